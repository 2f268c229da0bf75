import type { Runtime } from '@remote-chat/protocol';

export interface RuntimeSelectDetail {
  readonly runtime: Runtime;
}

/** The user picked a runtime, or one they asked for was created. */
export class RcRuntimeSelectEvent extends Event {
  static readonly eventName = 'rc-runtime-select';
  readonly detail: RuntimeSelectDetail;

  constructor(detail: RuntimeSelectDetail) {
    super(RcRuntimeSelectEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-runtime-select': RcRuntimeSelectEvent;
  }
}
