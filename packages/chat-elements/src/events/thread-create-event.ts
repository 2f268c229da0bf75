export interface ThreadCreateDetail {
  readonly runtimeId: string;
}

/**
 * The user asked for a new thread. Cancel it to create the thread yourself; otherwise the element
 * creates it through its client and then fires `rc-thread-select`.
 */
export class RcThreadCreateEvent extends Event {
  static readonly eventName = 'rc-thread-create';
  readonly detail: ThreadCreateDetail;

  constructor(detail: ThreadCreateDetail) {
    super(RcThreadCreateEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-thread-create': RcThreadCreateEvent;
  }
}
