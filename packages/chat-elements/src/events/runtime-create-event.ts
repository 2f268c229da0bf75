import type { CreateRuntimeRequest } from '@remote-chat/protocol';

export interface RuntimeCreateDetail {
  readonly request: CreateRuntimeRequest;
}

/**
 * The user asked for a new runtime. Cancel it to create the runtime yourself; otherwise the
 * element creates it through its client and then fires `rc-runtime-select`.
 */
export class RcRuntimeCreateEvent extends Event {
  static readonly eventName = 'rc-runtime-create';
  readonly detail: RuntimeCreateDetail;

  constructor(detail: RuntimeCreateDetail) {
    super(RcRuntimeCreateEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-runtime-create': RcRuntimeCreateEvent;
  }
}
