import type { WebSocket } from 'ws';
import { CLOSE_CODES, LIMITS, type EventBody, type RuntimeAgent, type ThreadEventOf } from '@remote-chat/protocol';
import { AgentSocket, PermissionDesk } from '@remote-chat/link';
import type { Logger } from 'pino';
import type { Grant } from './credential-watch.js';
import type { EntryWriter } from './entry-writer.js';
import type { Store, ThreadRecord } from './store/store.js';

export interface ThreadAgentsOptions {
  store: Store;
  writer: EntryWriter;
  logger: Logger;
  /** Calls `onEnd` once the grant no longer stands (revoked token, deleted thread); returns the unwatch. */
  watchGrant: (grant: Grant, onEnd: () => void) => () => void;
  /** A permission request no one answers is denied after this long. @default 300_000 */
  permissionTimeoutMs?: number;
  /** A self-run agent of the thread registered or went away. */
  onAgentsChanged?: (threadId: string) => void;
}

/** Who a thread token let in. */
export interface ThreadAgentCaller {
  userId: string;
  threadId: string;
  grant: Grant;
}

interface Connected {
  socket: AgentSocket;
  agent: RuntimeAgent;
}

/** Kinds the transcript leaves out: they are steps of a message, not the conversation. */
const NOT_IN_TRANSCRIPT = new Set<EventBody['kind']>(['message.delta', 'status']);

/**
 * Self-run agents: processes anywhere that dialled `/api/agent` with a thread token and answer
 * that one thread. Holds their sockets (`AgentSocket`, as the runtime's agent endpoint does), runs
 * each thread's messages to them one at a time, stores their events in the thread, and ends a
 * connection as soon as its token no longer stands (revoked, or the thread deleted): 4440.
 */
export class ThreadAgents {
  readonly #options: ThreadAgentsOptions;
  /** threadId → agentId → the connection. */
  readonly #connected = new Map<string, Map<string, Connected>>();
  /** threadId → the tail of its turns, and the running turn's abort. */
  readonly #queues = new Map<string, { tail: Promise<void>; controllers: Set<AbortController> }>();
  /** Their permission requests waiting for a person. */
  readonly #permissions: PermissionDesk;

  constructor(options: ThreadAgentsOptions) {
    this.#options = options;
    this.#permissions = new PermissionDesk(options.permissionTimeoutMs ?? 300_000);
  }

  /** Whether a self-run agent of the thread waits for the answer to this request. */
  asking(threadId: string, requestId: string): boolean {
    return this.#permissions.waiting(threadId, requestId);
  }

  /** Hands a person's answer (already stored) to the agent that asked; false if none waits for it. */
  answer(threadId: string, requestId: string, optionId: string): boolean {
    return this.#permissions.answer(threadId, requestId, optionId);
  }

  /** Takes a socket a thread token opened; `agentId` is the URL's query. */
  accept(ws: WebSocket, caller: ThreadAgentCaller, agentId: string | undefined): void {
    const { threadId } = caller;
    let mine: Connected | undefined;
    const socket: AgentSocket = new AgentSocket(ws, {
      agentId,
      log: (line) => this.#options.logger.info({ threadId }, line),
      register: (registration) => {
        const agents = this.#connected.get(threadId) ?? new Map<string, Connected>();
        this.#connected.set(threadId, agents);
        const before = agents.get(registration.agentId);
        mine = { socket, agent: { id: registration.agentId, label: registration.label, kind: 'external' } };
        agents.set(registration.agentId, mine);
        before?.socket.close(CLOSE_CODES.replaced, 'replaced by a newer connection');
        this.#options.logger.info({ threadId, agentId: registration.agentId }, 'a thread agent registered');
        this.#options.onAgentsChanged?.(threadId);
        return { ok: true, connectionId: registration.agentId, threadId };
      },
      onClose: () => {
        unwatch();
        if (!mine) return;
        const agents = this.#connected.get(threadId);
        if (agents?.get(mine.agent.id) === mine) agents.delete(mine.agent.id);
        if (agents?.size === 0) this.#connected.delete(threadId);
        this.#options.onAgentsChanged?.(threadId);
      },
    });
    const unwatch = this.#options.watchGrant(caller.grant, () =>
      socket.close(CLOSE_CODES.reauthenticate, 'the thread token was revoked or its thread deleted'),
    );
    if (socket.closed) unwatch();
  }

  /** The self-run agents connected to a thread now. */
  agentsOf(threadId: string): RuntimeAgent[] {
    return [...(this.#connected.get(threadId)?.values() ?? [])].map((connected) => connected.agent);
  }

  /** Whether a self-run agent with this id answers the thread now. */
  answers(threadId: string, agentId: string): boolean {
    return this.#connected.get(threadId)?.has(agentId) ?? false;
  }

  /**
   * Hands a stored user message to the thread's self-run agent it names, after the thread's
   * earlier turns; its events are stored as they come.
   */
  deliver(thread: ThreadRecord, message: ThreadEventOf<'message.user'>): void {
    const queue = this.#queues.get(thread.id) ?? { tail: Promise.resolve(), controllers: new Set() };
    this.#queues.set(thread.id, queue);
    const controller = new AbortController();
    queue.controllers.add(controller);
    queue.tail = queue.tail
      .then(() => this.#run(thread, message, controller.signal))
      .catch((error: unknown) =>
        this.#options.logger.warn({ threadId: thread.id, err: String(error) }, 'a thread agent turn failed'),
      )
      .finally(() => {
        queue.controllers.delete(controller);
        if (queue.controllers.size === 0 && this.#queues.get(thread.id) === queue) this.#queues.delete(thread.id);
      });
  }

  /** Stop: aborts the thread's running and queued turns of self-run agents; false if there were none. */
  cancel(threadId: string): boolean {
    const queue = this.#queues.get(threadId);
    if (!queue || queue.controllers.size === 0) return false;
    for (const controller of queue.controllers) controller.abort();
    return true;
  }

  /** Closes every connection (the server is stopping). */
  close(): void {
    for (const agents of this.#connected.values())
      for (const { socket } of agents.values()) socket.close(CLOSE_CODES.goingAway, 'server shutting down');
  }

  async #run(thread: ThreadRecord, message: ThreadEventOf<'message.user'>, signal: AbortSignal): Promise<void> {
    const { writer, logger } = this.#options;
    const emit = (event: EventBody): void => {
      writer
        .appendEvent(thread, event)
        .catch((error: unknown) =>
          logger.warn({ threadId: thread.id, err: String(error) }, 'storing an agent event failed'),
        );
    };
    const connected = this.#connected.get(thread.id)?.get(message.agent);
    if (signal.aborted) return;
    if (!connected) {
      emit({
        kind: 'message.agent',
        messageId: `ext-${message.seq}-note`,
        text: `The agent "${message.agent}" is not connected any more, so it did not answer.`,
        agent: message.agent,
      });
      return;
    }
    await connected.socket.runTurn({
      threadId: thread.id,
      turnId: String(message.seq),
      messageId: message.clientId,
      text: message.text,
      agent: message.agent,
      history: await this.#history(thread.id, message.seq),
      signal,
      emit,
      askPermission: (question) => this.#permissions.ask(thread.id, question, emit, signal),
    });
  }

  /** The thread's conversation before `seq`, as a runtime's thread history keeps it. */
  async #history(threadId: string, seq: number): Promise<EventBody[]> {
    const events = await this.#options.store.listEvents(
      threadId,
      0,
      LIMITS.maxEventsPage,
      LIMITS.maxAgentTranscriptBytes,
    );
    return events
      .filter((event) => event.seq < seq && !NOT_IN_TRANSCRIPT.has(event.kind))
      .map(({ threadId: _thread, seq: _seq, at: _at, ...body }) => body as EventBody);
  }
}
