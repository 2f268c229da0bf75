import type { PushResponse } from '@remote-chat/protocol';

export interface PushCloseDetail {
  /** The push made, or null when the dialog was closed without one. */
  readonly result: PushResponse | null;
}

/** The user closed the push dialog, after a push or without one. */
export class RcPushCloseEvent extends Event {
  static readonly eventName = 'rc-push-close';
  readonly detail: PushCloseDetail;

  constructor(detail: PushCloseDetail) {
    super(RcPushCloseEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-push-close': RcPushCloseEvent;
  }
}
