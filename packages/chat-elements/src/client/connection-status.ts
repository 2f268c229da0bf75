/**
 * The state of the client's stream socket.
 * - `closed`: no socket, because nothing is subscribed yet, `close()` was called, or the BFF
 *   refused the session (see `RcConnectionChangeEvent.detail.closeCode`).
 * - `connecting`: the first attempt is under way.
 * - `open`: subscriptions are live.
 * - `reconnecting`: the socket dropped; it is retrying with backoff and resumes every topic.
 */
export const CONNECTION_STATUSES = ['closed', 'connecting', 'open', 'reconnecting'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export interface ConnectionChangeDetail {
  readonly status: ConnectionStatus;
  /** The close code of the socket that ended, when one did. */
  readonly closeCode?: number;
}

/** Fired on a `RemoteChatClient` when its connection status changes. */
export class RcConnectionChangeEvent extends Event {
  static readonly eventName = 'rc-connection-change';
  readonly detail: ConnectionChangeDetail;

  constructor(detail: ConnectionChangeDetail) {
    super(RcConnectionChangeEvent.eventName);
    this.detail = detail;
  }
}
