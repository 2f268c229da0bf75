export interface ThreadMoveDetail {
  readonly threadId: string;
  /** The runtime it is to continue on (ready, or just made and ready). */
  readonly runtimeId: string;
}

/**
 * The user asked to continue a thread on another runtime. Cancelable: cancel it to move the
 * thread yourself (`POST /api/threads/:id/move`), as `<remote-chat>` does to follow it there.
 */
export class RcThreadMoveEvent extends Event {
  static readonly eventName = 'rc-thread-move';
  readonly detail: ThreadMoveDetail;

  constructor(detail: ThreadMoveDetail) {
    super(RcThreadMoveEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-thread-move': RcThreadMoveEvent;
  }
}
