export interface AgentChangeDetail {
  /** The agent that answers the next message. */
  readonly agent: string;
}

/** The user picked which agent answers the next message. */
export class RcAgentChangeEvent extends Event {
  static readonly eventName = 'rc-agent-change';
  readonly detail: AgentChangeDetail;

  constructor(detail: AgentChangeDetail) {
    super(RcAgentChangeEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-agent-change': RcAgentChangeEvent;
  }
}
