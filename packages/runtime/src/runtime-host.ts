import { EventBodySchema, FromRuntimeMessageSchema, type EventBody, type FromRuntimeMessage, type ToRuntimeMessage } from '@remote-chat/protocol';
import type { Agent } from './agents/agent.js';
import { projectInfo } from './project-info.js';
import { ThreadQueue } from './thread-queue.js';
import { truncateText } from './tools/text-chunks.js';
import { RUNTIME_VERSION } from './version.js';

export interface RuntimeHostOptions {
  /** The folder agents work in. */
  workspace: string;
  /** The agents this runtime offers; the first is the default. */
  agents: Agent[];
  /** Sends a message to the BFF (usually `session.send`). A throw (outbox full) drops that message. */
  send: (message: FromRuntimeMessage) => void;
  /** A `runtime.shutdown` arrived. */
  onShutdown?: (reason: string) => void;
  /** Where problems that cannot go over the link are reported. @default console.error */
  log?: (line: string) => void;
}

/**
 * The agent host behind a link: takes the BFF's messages, runs each thread's messages through its
 * agent one at a time, and sends every event back as `thread.event`. Knows nothing about sockets,
 * so `serve` (the BFF dials in) and `connect` (the runtime dials out) share it.
 */
export class RuntimeHost {
  readonly #options: RuntimeHostOptions;
  readonly #agents: Map<string, Agent>;
  readonly #queue: ThreadQueue;
  readonly #log: (line: string) => void;
  #dropped = 0;

  constructor(options: RuntimeHostOptions) {
    this.#options = options;
    this.#agents = new Map(options.agents.map((agent) => [agent.id, agent]));
    this.#log = options.log ?? ((line) => console.error(line));
    this.#queue = new ThreadQueue((threadId, error) => {
      this.#log(`agent failed in thread ${threadId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      this.#emit(threadId, { kind: 'status', state: 'error', message: 'The agent failed unexpectedly; see the runtime log.' });
    });
  }

  /** Handles one message from the BFF; returns at once (agents work in the background). */
  handle(message: ToRuntimeMessage): void {
    switch (message.type) {
      case 'message.send': {
        const { type: _type, ...agentMessage } = message;
        const agent = this.#agents.get(message.agent);
        if (!agent) {
          const known = [...this.#agents.keys()].join(', ');
          this.#emit(message.threadId, {
            kind: 'status',
            state: 'error',
            message: `This runtime has no agent "${message.agent}"; it has ${known}.`,
          });
          return;
        }
        this.#queue.enqueue(message.threadId, (signal) =>
          agent.handle({ message: agentMessage, signal, emit: (event) => this.#emit(message.threadId, event) }),
        );
        return;
      }
      case 'thread.cancel': {
        const { running } = this.#queue.cancel(message.threadId);
        // Nothing was running: confirm idle so a Stop button never stays stuck.
        if (!running) this.#emit(message.threadId, { kind: 'status', state: 'idle' });
        return;
      }
      case 'runtime.shutdown':
        this.#options.onShutdown?.(message.reason);
        return;
    }
  }

  /** The `runtime.info` message sent after every handshake. */
  async info(): Promise<Extract<FromRuntimeMessage, { type: 'runtime.info' }>> {
    const { project, gitRemote } = await projectInfo(this.#options.workspace);
    return {
      type: 'runtime.info',
      version: RUNTIME_VERSION,
      agents: this.#options.agents.map((agent) => ({ id: agent.id, label: agent.label })),
      project,
      gitRemote,
    };
  }

  /** Sends `runtime.info`. */
  async sendInfo(): Promise<void> {
    const info = FromRuntimeMessageSchema.safeParse(await this.info());
    if (info.success) this.#send(info.data);
    else this.#log(`runtime.info is invalid: ${info.error.message}`);
  }

  /** Cancels every thread's work and resolves when all of it has stopped. */
  cancelAll(): Promise<void> {
    return this.#queue.cancelAll();
  }

  #emit(threadId: string, event: EventBody): void {
    // An event the BFF would reject would be resent forever; catch the bug here instead.
    const checked = EventBodySchema.safeParse(event);
    if (!checked.success) {
      this.#log(`dropped an invalid ${event.kind} event: ${checked.error.message}`);
      this.#send({
        type: 'thread.event',
        threadId,
        event: { kind: 'status', state: 'error', message: truncateText(`The agent produced an invalid ${event.kind} event.`, 4096) },
      });
      return;
    }
    this.#send({ type: 'thread.event', threadId, event: checked.data });
  }

  #send(message: FromRuntimeMessage): void {
    try {
      this.#options.send(message);
    } catch (error) {
      // Log the first drop of a run only: a chatty command behind a full outbox would flood the log.
      if (this.#dropped++ === 0) this.#log(`dropping messages: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.#dropped > 0) {
      this.#log(`sending again after dropping ${this.#dropped} message(s)`);
      this.#dropped = 0;
    }
  }
}
