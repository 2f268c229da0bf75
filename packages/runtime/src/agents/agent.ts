import type { EventBody, ToRuntimeMessage } from '@remote-chat/protocol';

/** A user message as it reaches an agent. */
export type AgentMessage = Omit<Extract<ToRuntimeMessage, { type: 'message.send' }>, 'type'>;

/** One message for an agent to answer. */
export interface AgentTurn {
  message: AgentMessage;
  /** Aborted when the user cancels the thread's work or the runtime shuts down. */
  signal: AbortSignal;
  /** Publishes one thread event; it must match EventBodySchema. */
  emit: (event: EventBody) => void;
}

/**
 * What answers a thread's messages: `shell` today, an LLM or an external process later. The host
 * calls `handle` once per message, one message per thread at a time, in order.
 */
export interface Agent {
  /** The id messages name in their `agent` field. */
  readonly id: string;
  /** A name for people, shown in the picker. */
  readonly label: string;
  /**
   * Answers one message. Resolves when the agent is done with it, including after a cancel; an
   * agent reports its own failures as events and rejects only on a bug.
   */
  handle(turn: AgentTurn): Promise<void>;
}
