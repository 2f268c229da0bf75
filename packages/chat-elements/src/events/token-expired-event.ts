import type { TokenFailure } from '../client/errors.js';

export interface TokenExpiredDetail {
  /** `refresh-failed`: the token provider failed; `refused`: the BFF refused the token it gave. */
  readonly reason: TokenFailure;
  /** A sentence for a person: what went wrong. */
  readonly message: string;
  /** What was thrown or answered. */
  readonly error: unknown;
}

/**
 * The chat has no token the BFF accepts any more: the host page's token provider failed, or the
 * BFF refused the token even after a refresh. The host page usually signs its user in again, then
 * sets `token` or `tokenProvider` on `<remote-chat>` (or `setToken` on the client), which retries.
 * Fired once per lapse, on the `RemoteChatClient` and, bubbling, on `<remote-chat>`.
 */
export class RcTokenExpiredEvent extends Event {
  static readonly eventName = 'rc-token-expired';
  readonly detail: TokenExpiredDetail;

  constructor(detail: TokenExpiredDetail) {
    super(RcTokenExpiredEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-token-expired': RcTokenExpiredEvent;
  }
}
