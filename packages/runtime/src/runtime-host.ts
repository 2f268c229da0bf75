import {
  EventBodySchema,
  FromRuntimeMessageSchema,
  safeParseFast,
  type EventBody,
  type FromRuntimeMessage,
  type Machine,
  type ModelInfo,
  type ToRuntimeMessage,
  type WorkspacePushFrame,
  type WorkspacePushResultFrame,
} from '@remote-chat/protocol';
import type { Agent, AgentTurn } from './agents/agent.js';
import { backpressureOf, type Backpressure, type PressureSource } from './backpressure.js';
import { ThreadHistory } from './durable/thread-history.js';
import type { TurnJournal } from './durable/turn-journal.js';
import type { ModelAccess, ModelEndpointAccess } from './model-endpoint/model-access.js';
import { PermissionDesk } from '@remote-chat/link';
import { projectInfo } from './project-info.js';
import { ThreadQueue } from './thread-queue.js';
import { truncateText } from './tools/text-chunks.js';
import { writeFilePiece } from './tools/files.js';
import { excludeFromGit } from './tools/git-exclude.js';
import { pushWorkspace } from './tools/git-push.js';
import { targetInWorkspace } from './tools/workspace-path.js';
import { RUNTIME_VERSION } from './version.js';

/** The workspace folder the BFF puts uploaded files in (`uploads/<time>-<name>`). */
const UPLOADS_FOLDER = 'uploads';

export interface RuntimeHostOptions {
  /** The folder agents work in. */
  workspace: string;
  /** The agents this runtime offers; the first is the default. */
  agents: Agent[];
  /**
   * Sends a message to the BFF. It must not refuse a message because the BFF is behind: pass
   * `(message) => session.sendOrHold(message)`, which holds it in memory past the outbox's limit.
   * A throw (a bug, a disk error) is logged, and that message is lost.
   */
  send: (message: FromRuntimeMessage) => void;
  /**
   * Back-pressure from the link (usually the LinkSession): while it is on, agents hold back (the
   * shell agent pauses its commands' output). @default none: agents are never paused
   */
  backpressure?: PressureSource;
  /** A `runtime.shutdown` arrived. */
  onShutdown?: (reason: string) => void;
  /** Where problems that cannot go over the link are reported. @default console.error */
  log?: (line: string) => void;
  /** Records what was handled and which turns are running, for a restart. @default none: nothing survives a restart */
  journal?: TurnJournal;
  /** The computer this runtime runs on, reported in `runtime.info` (set by `connect`). @default none */
  machine?: Machine;
  /**
   * Keeps each thread's events for its agents (`AgentTurn.history`): every event sent, and each
   * user message as its turn starts. Give the runtime state's, which survives a restart.
   * @default one in memory, for this host's life
   */
  history?: ThreadHistory;
  /**
   * The models agents may call (`AgentTurn.model`): the keyless endpoint, whose per-thread access
   * each turn gets (usage then counts per thread), or any other ModelAccess as it is. @default none
   */
  model?: ModelAccess | ModelEndpointAccess;
  /** The BFF sent the models its gateway offers (after every handshake). */
  onModels?: (models: readonly ModelInfo[]) => void;
  /** An agent's permission request unanswered this long is denied. @default 300_000 (5 minutes) */
  permissionTimeoutMs?: number;
  /**
   * Variables for every program an agent starts (`AgentTurn.env`): the agent endpoint's URL and
   * secret, so a command can start an external agent. @default none
   */
  env?: () => Readonly<Record<string, string>>;
}

/** The `runtime.info` message. */
export type RuntimeInfoMessage = Extract<FromRuntimeMessage, { type: 'runtime.info' }>;

/** The error of a tool call that was open when the runtime process died. */
export const INTERRUPTED_ERROR = 'interrupted: the runtime restarted';

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
  readonly #journal: TurnJournal | undefined;
  readonly #backpressure: Backpressure;
  readonly #history: ThreadHistory;
  readonly #permissions: PermissionDesk;
  #lost = 0;

  constructor(options: RuntimeHostOptions) {
    this.#options = options;
    this.#agents = new Map(options.agents.map((agent) => [agent.id, agent]));
    this.#log = options.log ?? ((line) => console.error(line));
    this.#journal = options.journal;
    this.#history = options.history ?? new ThreadHistory();
    this.#backpressure = backpressureOf(options.backpressure);
    this.#permissions = new PermissionDesk(options.permissionTimeoutMs ?? 300_000);
    this.#queue = new ThreadQueue((threadId, error) => {
      this.#log(
        `agent failed in thread ${threadId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      this.#emit(threadId, {
        kind: 'status',
        state: 'error',
        message: 'The agent failed unexpectedly; see the runtime log.',
      });
    });
  }

  /**
   * Handles one message from the BFF (link seq `linkSeq`). Resolves once it is accepted (and, with
   * a journal, recorded on disk); agents work in the background.
   */
  async handle(message: ToRuntimeMessage, linkSeq = 0): Promise<void> {
    const journal = this.#journal;
    switch (message.type) {
      case 'message.send': {
        const { type: _type, ...agentMessage } = message;
        const { threadId, seq: turn } = message;
        // `llm:<model id>` is the `llm` agent answering with that model.
        const agent = this.#agents.get(message.agent) ?? this.#agents.get(message.agent.split(':')[0] ?? '');
        if (!agent) {
          const known = [...this.#agents.keys()].join(', ');
          this.#emit(threadId, {
            kind: 'status',
            state: 'error',
            message: `This runtime has no agent "${message.agent}"; it has ${known}.`,
          });
          journal?.received(linkSeq);
          return;
        }
        // On disk before it can start: a restarted runtime never runs it again, and ends it if it was cut short.
        if (journal) await journal.accepted(linkSeq, threadId, turn);
        this.#queue.enqueue(
          threadId,
          async (signal) => {
            try {
              const earlier = this.#earlierEvents(threadId, agentMessage);
              const emit = (event: EventBody) => this.#emit(threadId, event);
              await agent.handle({
                message: agentMessage,
                signal,
                emit,
                askPermission: (question) => this.#permissions.ask(threadId, question, emit, signal),
                backpressure: this.#backpressure,
                ...(earlier ? { history: earlier } : {}),
                ...(this.#options.model && { model: this.#modelFor(threadId, this.#options.model) }),
                ...(this.#options.env && { env: this.#options.env() }),
              });
            } finally {
              this.#record(() => journal?.ended(threadId, turn));
            }
          },
          () => this.#record(() => journal?.ended(threadId, turn)),
        );
        return;
      }
      case 'thread.cancel': {
        const { running } = this.#queue.cancel(message.threadId);
        // Nothing was running: confirm idle so a Stop button never stays stuck.
        if (!running) this.#emit(message.threadId, { kind: 'status', state: 'idle' });
        journal?.received(linkSeq);
        return;
      }
      case 'thread.continue':
        // Before its next message (the link keeps order): that turn's agent sees the conversation.
        this.#record(() => this.#history.replace(message.threadId, message.history));
        journal?.received(linkSeq);
        return;
      case 'file.upload':
        await this.#upload(message);
        journal?.received(linkSeq);
        return;
      case 'runtime.shutdown':
        journal?.received(linkSeq);
        this.#options.onShutdown?.(message.reason);
        return;
      case 'models':
        this.#options.onModels?.(message.models);
        journal?.received(linkSeq);
        return;
      case 'permission.answer':
        // Settled already (timed out a moment before, or the runtime restarted): the BFF stored the
        // answer, but the agent went on without it.
        if (!this.#permissions.answer(message.threadId, message.requestId, message.optionId))
          this.#log(`the answer to permission request ${message.requestId} came when nothing waited for it`);
        journal?.received(linkSeq);
        return;
    }
  }

  /** A turn's model access: its thread's, when the access can name threads. */
  #modelFor(threadId: string, model: ModelAccess | ModelEndpointAccess): ModelAccess {
    return 'forThread' in model ? model.forThread(threadId) : model;
  }

  /**
   * The thread's events before this message; then records the message itself, as its turn starts
   * (not when queued: a message dropped from the queue by a Stop was never part of the conversation).
   */
  #earlierEvents(threadId: string, message: AgentTurn['message']): EventBody[] | undefined {
    try {
      const earlier = this.#history.events(threadId);
      const { clientId, text, agent } = message;
      this.#history.record(threadId, { kind: 'message.user', clientId, text, agent });
      return earlier;
    } catch (error) {
      this.#log(
        `cannot read the history of thread ${threadId}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    }
  }

  /** Writes a piece of an uploaded file (see writeFilePiece: the file appears only once whole). */
  async #upload(message: Extract<ToRuntimeMessage, { type: 'file.upload' }>): Promise<void> {
    try {
      const target = await targetInWorkspace(this.#options.workspace, message.path);
      const { offset, final } = message;
      // Uploads stay out of the user's git status (a machine runtime works in their own repository).
      const folder = message.path.split('/')[0];
      if (offset === 0 && folder === UPLOADS_FOLDER) {
        await excludeFromGit(this.#options.workspace, folder).catch((error: unknown) =>
          this.#log(
            `cannot keep ${folder}/ out of git status: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
      await writeFilePiece(target, { offset, final, data: Buffer.from(message.data, 'base64') }).finally(() =>
        target.folder.close(),
      );
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.#log(`upload of ${message.path} failed: ${text}`);
      this.#emit(message.threadId, {
        kind: 'status',
        state: 'error',
        message: truncateText(`The upload of ${message.path} failed: ${text}`, 4096),
      });
    }
  }

  /**
   * After a restart: ends every turn the previous process left unfinished (it was killed), so no
   * chat stays "running": each open tool call gets a failed result (unless `kept`, what the
   * outbox still holds unacknowledged, has its result), then the thread gets an `error` status and
   * `idle`. Call before the link opens. Returns the threads ended.
   */
  recoverInterrupted(kept: readonly FromRuntimeMessage[] = []): number {
    const journal = this.#journal;
    if (!journal) return 0;
    const resulted = new Set(
      kept.flatMap((m) =>
        m.type === 'thread.event' && m.event.kind === 'tool.result' ? [`${m.threadId} ${m.event.callId}`] : [],
      ),
    );
    const threads = journal.unfinished();
    for (const { threadId, turns, calls } of threads) {
      for (const call of calls) {
        if (resulted.has(`${threadId} ${call.callId}`)) continue;
        this.#emit(threadId, {
          kind: 'tool.result',
          callId: call.callId,
          ok: false,
          durationMs: Math.max(0, Date.now() - call.at),
          error: INTERRUPTED_ERROR,
        });
      }
      const skipped = turns.length - 1;
      this.#emit(threadId, {
        kind: 'status',
        state: 'error',
        message: `The runtime restarted while this was running, so it did not finish.${
          skipped > 0 ? ` ${skipped} queued message${skipped === 1 ? ' was' : 's were'} not run.` : ''
        }`,
      });
      this.#emit(threadId, { kind: 'status', state: 'idle' });
      for (const turn of turns) journal.ended(threadId, turn);
    }
    if (threads.length > 0)
      this.#log(`ended ${threads.length} thread(s) whose work the previous process left unfinished`);
    return threads.length;
  }

  /** The `runtime.info` message sent after every handshake. */
  async info(): Promise<RuntimeInfoMessage> {
    const { project, gitRemote } = await projectInfo(this.#options.workspace);
    return {
      type: 'runtime.info',
      version: RUNTIME_VERSION,
      agents: [...this.#agents.values()].map((agent) => ({
        id: agent.id,
        label: agent.label,
        kind: agent.kind ?? 'built-in',
        ...(agent.modelAccess && { modelAccess: agent.modelAccess }),
      })),
      project,
      gitRemote,
      ...(this.#options.machine ? { machine: this.#options.machine } : {}),
    };
  }

  /** Sends `runtime.info`; returns what it sent (undefined if it was invalid). */
  async sendInfo(): Promise<RuntimeInfoMessage | undefined> {
    const info = await this.info();
    const checked = FromRuntimeMessageSchema.safeParse(info);
    if (!checked.success) {
      this.#log(`runtime.info is invalid: ${checked.error.message}`);
      return undefined;
    }
    this.#send(checked.data);
    return info;
  }

  /** The back-pressure agents see: on while the link is behind. */
  get backpressure(): Backpressure {
    return this.#backpressure;
  }

  /** Cancels every thread's work and resolves when all of it has stopped, then closes the agents. */
  async cancelAll(): Promise<void> {
    await this.#queue.cancelAll();
    await Promise.all([...this.#agents.values()].map((agent) => agent.close?.()));
  }

  /** The agent answering to `id` now, if any. */
  agent(id: string): Agent | undefined {
    return this.#agents.get(id);
  }

  /**
   * Offers one more agent (an external agent that registered), replacing one with its id, and
   * reports the new list to the BFF (`runtime.info`, held until the link is up).
   */
  addAgent(agent: Agent): void {
    this.#agents.set(agent.id, agent);
    void this.sendInfo();
  }

  /**
   * Pushes the workspace to a new branch, as a person asked through the BFF (an unnumbered
   * `workspace.push`: it carries their token, for that one `git push` only). Shown in the thread
   * as a `git` tool card; answers with the commit or why it failed.
   */
  push(frame: WorkspacePushFrame): Promise<WorkspacePushResultFrame> {
    return pushWorkspace(this.#options.workspace, frame, (event) => this.#emit(frame.threadId, event));
  }

  /** Stops offering `agent` (if it is still the one with its id) and reports the new list. */
  removeAgent(agent: Agent): void {
    if (this.#agents.get(agent.id) !== agent) return;
    this.#agents.delete(agent.id);
    void this.sendInfo();
  }

  #emit(threadId: string, event: EventBody): void {
    // An event the BFF would reject would be resent forever; catch the bug here instead.
    const checked = safeParseFast(EventBodySchema, event);
    if (!checked.success) {
      this.#log(`dropped an invalid ${event.kind} event: ${checked.error.message}`);
      this.#send({
        type: 'thread.event',
        threadId,
        event: {
          kind: 'status',
          state: 'error',
          message: truncateText(`The agent produced an invalid ${event.kind} event.`, 4096),
        },
      });
      return;
    }
    // A call is opened in the journal before it is queued, and closed after its result is: after a
    // crash, a call the outbox holds open is open in the journal, and one the journal closed has
    // its result in the outbox (`recoverInterrupted` skips a result the outbox kept).
    const valid = checked.data;
    if (valid.kind === 'tool.call') this.#record(() => this.#journal?.callOpened(threadId, valid.callId));
    this.#record(() => this.#history.record(threadId, valid));
    this.#send({ type: 'thread.event', threadId, event: valid });
    if (valid.kind === 'tool.result') this.#record(() => this.#journal?.callClosed(threadId, valid.callId));
  }

  /** A journal or history write on the agents' path: a failure (disk full) is logged, the work goes on. */
  #record(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.#log(
        `cannot write the turn journal or a thread history: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  #send(message: FromRuntimeMessage): void {
    try {
      this.#options.send(message);
    } catch (error) {
      // Not the BFF being behind (the sender holds those): a bug or a failing disk. Log the first of a run only.
      if (this.#lost++ === 0)
        this.#log(`cannot send messages, losing them: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.#lost > 0) {
      this.#log(`sending again after losing ${this.#lost} message(s)`);
      this.#lost = 0;
    }
  }
}
