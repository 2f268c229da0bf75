import type { Thread } from '@remote-chat/protocol';

export interface ThreadRenameDetail {
  readonly thread: Thread;
  /** The new title, trimmed, never empty. */
  readonly title: string;
}

/**
 * The user renamed a thread. Cancel it to rename the thread yourself; otherwise the element calls
 * `client.renameThread(thread.id, title)`.
 */
export class RcThreadRenameEvent extends Event {
  static readonly eventName = 'rc-thread-rename';
  readonly detail: ThreadRenameDetail;

  constructor(detail: ThreadRenameDetail) {
    super(RcThreadRenameEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-thread-rename': RcThreadRenameEvent;
  }
}
