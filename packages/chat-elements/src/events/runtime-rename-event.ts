import type { Runtime } from '@remote-chat/protocol';

export interface RuntimeRenameDetail {
  readonly runtime: Runtime;
  /** The new name, trimmed. */
  readonly name: string;
}

/**
 * The user saved a new name for a runtime. Cancel it to rename the runtime yourself; otherwise the
 * element renames it through its client (`PATCH /api/runtimes/:id`).
 */
export class RcRuntimeRenameEvent extends Event {
  static readonly eventName = 'rc-runtime-rename';
  readonly detail: RuntimeRenameDetail;

  constructor(detail: RuntimeRenameDetail) {
    super(RcRuntimeRenameEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-runtime-rename': RcRuntimeRenameEvent;
  }
}
