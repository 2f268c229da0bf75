import type { Runtime } from '@remote-chat/protocol';

export interface RuntimeDeleteDetail {
  readonly runtime: Runtime;
}

/**
 * The user confirmed deleting a runtime. Cancel it to delete the runtime yourself; otherwise the
 * element deletes it through its client (its sandbox is torn down, its threads go with it).
 */
export class RcRuntimeDeleteEvent extends Event {
  static readonly eventName = 'rc-runtime-delete';
  readonly detail: RuntimeDeleteDetail;

  constructor(detail: RuntimeDeleteDetail) {
    super(RcRuntimeDeleteEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-runtime-delete': RcRuntimeDeleteEvent;
  }
}
