import type { Thread } from '@remote-chat/protocol';

export interface ThreadSelectDetail {
  readonly thread: Thread;
  /**
   * The user asked for a new thread (New thread): it was created, or an empty one was reused.
   * `<remote-chat>` then moves focus to the message box.
   */
  readonly fresh?: boolean;
}

/** The user opened a thread, or one they asked for was created. */
export class RcThreadSelectEvent extends Event {
  static readonly eventName = 'rc-thread-select';
  readonly detail: ThreadSelectDetail;

  constructor(detail: ThreadSelectDetail) {
    super(RcThreadSelectEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-thread-select': RcThreadSelectEvent;
  }
}
