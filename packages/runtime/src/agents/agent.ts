import type { AgentKind, EventBody, ModelAccessKind, ToRuntimeMessage } from '@remote-chat/protocol';
import type { Backpressure } from '../backpressure.js';
import type { ModelAccess } from '../model-endpoint/model-access.js';
import type { PermissionOutcome, PermissionQuestion } from '@remote-chat/link';

export type { Backpressure } from '../backpressure.js';

/** A user message as it reaches an agent. */
export type AgentMessage = Omit<Extract<ToRuntimeMessage, { type: 'message.send' }>, 'type'>;

/** One message for an agent to answer. */
export interface AgentTurn {
  message: AgentMessage;
  /** Aborted when the user cancels the thread's work or the runtime shuts down. */
  signal: AbortSignal;
  /**
   * Publishes one thread event; it must match EventBodySchema. Never refuses and never loses an
   * event, even while `backpressure` is on.
   */
  emit: (event: EventBody) => void;
  /**
   * The link's back-pressure (shared by every turn of the runtime): while `paused`, the BFF is
   * behind, and an agent should stop producing what it can hold back (the shell agent stops
   * reading its command's output) until it clears; `ready()` waits for that.
   */
  backpressure: Backpressure;
  /**
   * The thread's earlier events as this runtime recorded them (user messages, agent messages, tool
   * calls with their output, file writes; not this message), oldest first. Empty for a new thread;
   * absent when the host could not read it.
   */
  history?: readonly EventBody[];
  /**
   * The runtime's keyless model endpoint, for this turn's thread (calls through it count for the
   * thread). Undefined where the runtime has no link to a BFF's gateway and no models of its own.
   */
  model?: ModelAccess;
  /**
   * Variables every program the agent starts gets (the runtime's agent endpoint:
   * `REMOTE_CHAT_AGENT_URL`, `REMOTE_CHAT_AGENT_SECRET`). @default none
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Asks the person before doing something: emits a `permission.request` and resolves with the
   * option they chose, or `denied` when no one answered in time (`permissionTimeoutMs`) or the
   * turn was stopped (both also emit the denied `permission.answer`).
   */
  askPermission(question: PermissionQuestion): Promise<PermissionOutcome>;
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
  /** What it is, in `runtime.info`. @default 'built-in' */
  readonly kind?: AgentKind;
  /** Whose models it calls, in `runtime.info` (the picker says when it is the person's own). Absent: none. */
  readonly modelAccess?: ModelAccessKind;
  /**
   * Answers one message. Resolves when the agent is done with it, including after a cancel; an
   * agent reports its own failures as events and rejects only on a bug.
   */
  handle(turn: AgentTurn): Promise<void>;
  /** Ends what the agent keeps running between turns (an ACP agent's processes), at shutdown. */
  close?(): Promise<void>;
}
