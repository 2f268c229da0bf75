export interface AgentStopDetail {
  readonly threadId: string;
}

/**
 * The user pressed Stop while the agent was working. Cancel it to stop the agent yourself;
 * otherwise the element calls `client.cancel(threadId)`.
 */
export class RcAgentStopEvent extends Event {
  static readonly eventName = 'rc-agent-stop';
  readonly detail: AgentStopDetail;

  constructor(detail: AgentStopDetail) {
    super(RcAgentStopEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-agent-stop': RcAgentStopEvent;
  }
}
