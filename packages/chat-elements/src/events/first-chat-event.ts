export interface FirstChatDetail {
  /** The sandbox provider to make the first runtime on. */
  readonly provider: string;
}

/** The user pressed "Start your first chat" in the welcome. */
export class RcFirstChatEvent extends Event {
  static readonly eventName = 'rc-first-chat';
  readonly detail: FirstChatDetail;

  constructor(detail: FirstChatDetail) {
    super(RcFirstChatEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-first-chat': RcFirstChatEvent;
  }
}
