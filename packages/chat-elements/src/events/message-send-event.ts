export interface MessageSendDetail {
  readonly threadId: string;
  readonly text: string;
  /** The id that makes sending idempotent; reuse it to retry. */
  readonly clientId: string;
}

/**
 * The user sent a message. Cancel it to send the message yourself; otherwise the element sends it
 * through its client.
 */
export class RcMessageSendEvent extends Event {
  static readonly eventName = 'rc-message-send';
  readonly detail: MessageSendDetail;

  constructor(detail: MessageSendDetail) {
    super(RcMessageSendEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-message-send': RcMessageSendEvent;
  }
}
