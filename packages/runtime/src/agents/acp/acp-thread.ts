import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';
import type { AcpAgentConfig } from '@remote-chat/protocol';
import { modelEnv } from '../../model-endpoint/model-access.js';
import type { PermissionOutcome } from '@remote-chat/link';
import { readTextFile, writeTextFile } from '../../tools/files.js';
import { withoutSecrets } from '../../tools/terminal.js';
import { truncateText } from '../../tools/text-chunks.js';
import { PathOutsideWorkspaceError, openFileInWorkspace, targetInWorkspace } from '../../tools/workspace-path.js';
import type { AgentTurn } from '../agent.js';
import { type CommandSettings, describeFileError } from '../tool-calls.js';
import { AcpTerminals } from './acp-terminals.js';
import type { AcpSessions } from './acp-sessions.js';
import { lastTurnOf, promptWithContext, turnsNotBy } from './thread-context.js';
import { AcpTurnEvents } from './turn-events.js';

export interface AcpThreadOptions {
  config: AcpAgentConfig;
  label: string;
  threadId: string;
  workspace: string;
  sessions: AcpSessions;
  /** How terminals run (the runtime's command settings). */
  commands: CommandSettings;
  log: (line: string) => void;
  /** After a Stop, how long the agent gets to end its turn before its process is killed. @default 1_000 */
  cancelGraceMs?: number;
  /** Start it without the model endpoint's variables, so that it uses its own login. @default false */
  ownLogin?: boolean;
}

/** `fs/read_text_file` reads at most this much of a file. */
const MAX_READ_BYTES = 16 * 1024 * 1024;
/** Between SIGTERM and SIGKILL when the agent's process is stopped. */
const KILL_GRACE_MS = 2_000;

/** The agent's process with its ACP connection and the thread's session in it. */
interface Running {
  child: ChildProcess;
  connection: acp.ClientConnection;
  capabilities: acp.AgentCapabilities;
  sessionId: string;
  exited: Promise<void>;
  /**
   * How many events of the thread's history the session has been told of (or took part in): a
   * fresh session none, a loaded one all. The next prompt tells the rest.
   */
  toldUpTo: number;
  /** The session remembers its own turns (it was prompted, or loaded), so they are not told again. */
  remembers: boolean;
}

/**
 * One thread's ACP agent: its process (the configured command in the workspace, started for the
 * thread's first message and again if it died), the thread's session in it (kept across
 * messages, loaded again after a restart where the agent can), and the client side of ACP: the
 * session updates become thread events, permission requests go to the person, files and
 * terminals stay in the workspace.
 */
export class AcpThread {
  readonly #options: AcpThreadOptions;
  readonly #terminals: AcpTerminals;
  #running: Running | undefined;
  /** The turn being answered, which updates, permission requests and terminals belong to. */
  #turn: { turn: AgentTurn; events: AcpTurnEvents } | undefined;

  constructor(options: AcpThreadOptions) {
    this.#options = options;
    this.#terminals = new AcpTerminals(options.commands);
  }

  /** Answers one message: prompts the session and turns what the agent does into events. */
  async run(turn: AgentTurn): Promise<void> {
    const { config, label } = this.#options;
    turn.emit({ kind: 'status', state: 'running' });
    const events = new AcpTurnEvents(turn, config.id, this.#options.workspace);
    try {
      let running: Running;
      try {
        running = await this.#start(turn, events);
      } catch (error) {
        events.finish(`${label} could not start: ${describe(error)}`);
        return;
      }
      if (turn.signal.aborted) {
        events.finish('Stopped.', true);
        return;
      }
      this.#turn = { turn, events };
      const { note, stopped } = await this.#prompt(running, turn);
      events.finish(note, stopped);
    } finally {
      this.#turn = undefined;
      turn.emit({ kind: 'status', state: 'idle' });
    }
  }

  /** The agent's process is running (started by a turn, not stopped since). */
  get live(): boolean {
    return this.#running !== undefined;
  }

  /** Stops the agent's process and its terminals. */
  async stop(): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    await this.#terminals.closeAll();
    if (running) await this.#kill(running);
  }

  async #prompt(running: Running, turn: AgentTurn): Promise<{ note?: string; stopped: boolean }> {
    const { connection, sessionId } = running;
    const history = turn.history ?? [];
    const unseen = history.slice(running.toldUpTo);
    const told = running.remembers ? turnsNotBy(unseen, this.#options.config.id) : unseen;
    const text = promptWithContext(turn.message.text, told, this.#options.label);
    running.toldUpTo = history.length;
    running.remembers = true;
    const prompt = connection.agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text }] });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      void connection.agent.notify('session/cancel', { sessionId }).catch(() => {});
      // An agent that does not end its turn promptly is stopped: Stop must be felt within a second.
      killTimer = setTimeout(() => {
        this.#options.log(`${this.#options.config.id} did not end its turn after a cancel; stopping it`);
        void this.stop();
      }, this.#options.cancelGraceMs ?? 1_000);
    };
    if (turn.signal.aborted) onAbort();
    else turn.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await prompt;
      if (turn.signal.aborted || response.stopReason === 'cancelled') return { note: 'Stopped.', stopped: true };
      return { note: stopNote(response.stopReason), stopped: false };
    } catch (error) {
      if (turn.signal.aborted) return { note: 'Stopped.', stopped: true };
      const ended = this.#running !== running;
      return {
        note: `${this.#options.label} failed: ${ended ? 'its process ended' : describe(error)}.`,
        stopped: false,
      };
    } finally {
      turn.signal.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
    }
  }

  /** The running process and session, starting (or restarting) them when needed. */
  async #start(turn: AgentTurn, events: AcpTurnEvents): Promise<Running> {
    if (this.#running) return this.#running;
    const { config, workspace, threadId, sessions, label } = this.#options;
    const env = {
      ...withoutSecrets(),
      ...turn.env,
      ...(turn.model && !this.#options.ownLogin && modelEnv(turn.model)),
      ...config.env,
    };
    const child = spawn(config.command, config.args, {
      cwd: workspace,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.on('error', (error) => this.#options.log(`${config.id}: ${error.message}`));
    this.#logStderr(child);
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const connection = this.#client().connect(
      acp.ndJsonStream(
        Writable.toWeb(child.stdin!) as WritableStream<Uint8Array>,
        Readable.toWeb(child.stdout!) as ReadableStream<Uint8Array>,
      ),
    );
    const running: Running = {
      child,
      connection,
      capabilities: {},
      sessionId: '',
      exited,
      toldUpTo: 0,
      remembers: false,
    };
    void exited.then(() => {
      connection.close(new Error('the agent process ended'));
      if (this.#running === running) this.#running = undefined;
    });
    try {
      const initialized = await connection.agent.request('initialize', {
        protocolVersion: acp.PROTOCOL_VERSION,
        clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: true },
        clientInfo: { name: 'remote-chat', version: '1' },
      });
      running.capabilities = initialized.agentCapabilities ?? {};
      const earlier = sessions.get(config.id, threadId);
      if (earlier !== undefined && running.capabilities.loadSession) {
        try {
          await connection.agent.request('session/load', { sessionId: earlier, cwd: workspace, mcpServers: [] });
          running.sessionId = earlier;
          // It remembers the thread up to its last turn; the turns of other agents since are told.
          running.toldUpTo = lastTurnOf(turn.history ?? [], config.id);
          running.remembers = true;
        } catch (error) {
          this.#options.log(`${config.id} could not load session ${earlier}: ${describe(error)}`);
        }
      }
      if (!running.sessionId) {
        const created = await connection.agent.request('session/new', { cwd: workspace, mcpServers: [] });
        running.sessionId = created.sessionId;
        sessions.set(config.id, threadId, created.sessionId);
        if (earlier !== undefined)
          events.update({
            sessionUpdate: 'agent_message_chunk',
            content: {
              type: 'text',
              text: `_${label} restarted and could not resume this thread's session${
                running.capabilities.loadSession ? '' : ' (it cannot load sessions)'
              }, so it starts afresh, with a transcript of the thread so far._\n\n`,
            },
          });
      }
    } catch (error) {
      await this.#kill(running);
      throw error;
    }
    this.#running = running;
    return running;
  }

  /** The client side of ACP, answering what the agent asks of its host. */
  #client(): acp.ClientApp {
    return acp
      .client({ name: 'remote-chat' })
      .onNotification('session/update', ({ params }) => {
        // Updates before the session runs (a loaded session replaying its history, which the
        // thread has already) and of other sessions are not shown.
        if (params.sessionId !== this.#running?.sessionId) return;
        this.#turn?.events.update(params.update);
      })
      .onRequest('session/request_permission', async ({ params }) => ({
        outcome: await this.#askPermission(params),
      }))
      .onRequest('fs/read_text_file', ({ params }) =>
        toldToAgent(params.path, async () => ({ content: await this.#read(params) })),
      )
      .onRequest('fs/write_text_file', ({ params }) =>
        toldToAgent(params.path, async () => {
          const target = await targetInWorkspace(this.#options.workspace, this.#relative(params.path));
          const result = await writeTextFile(target, params.content).finally(() => target.folder.close());
          this.#turn?.events.wrote(params.path, params.content, result);
          return {};
        }),
      )
      .onRequest('terminal/create', ({ params }) =>
        toldToAgent(params.command, () => this.#terminals.create(this.#current().turn, params)),
      )
      .onRequest('terminal/output', ({ params }) =>
        toldToAgent(params.terminalId, async () => this.#terminals.output(params.terminalId)),
      )
      .onRequest('terminal/wait_for_exit', ({ params }) =>
        toldToAgent(params.terminalId, () => this.#terminals.waitForExit(params.terminalId)),
      )
      .onRequest('terminal/kill', ({ params }) =>
        toldToAgent(params.terminalId, async () => {
          this.#terminals.kill(params.terminalId);
          return {};
        }),
      )
      .onRequest('terminal/release', ({ params }) =>
        toldToAgent(params.terminalId, async () => {
          this.#terminals.release(params.terminalId);
          return {};
        }),
      );
  }

  /** Asks the person; a denial picks the agent's reject option (or cancels, after a Stop). */
  async #askPermission(params: acp.RequestPermissionRequest): Promise<acp.RequestPermissionOutcome> {
    const current = this.#turn;
    if (!current || params.options.length === 0) return { outcome: 'cancelled' };
    const { toolCall } = params;
    const callId = current.events.callIdOf(toolCall.toolCallId);
    const title = truncateText(toolCall.title ?? `${this.#options.label} asks for permission`, 4096);
    const outcome: PermissionOutcome = await current.turn.askPermission({
      title,
      toolCall: {
        ...(callId !== undefined && { callId }),
        ...(toolCall.kind && { tool: toolCall.kind }),
        ...(toolCall.title && { title: truncateText(toolCall.title, 4096) }),
      },
      options: params.options.slice(0, 16).map(({ optionId, name, kind }) => ({
        optionId: optionId.slice(0, 128),
        name: truncateText(name, 200),
        kind,
      })),
    });
    if (outcome.outcome === 'chosen') return { outcome: 'selected', optionId: outcome.option.optionId };
    const reject =
      params.options.find((option) => option.kind === 'reject_once') ??
      params.options.find((option) => option.kind === 'reject_always');
    // ACP: a request open when the turn is cancelled is answered `cancelled`.
    return outcome.by === 'stop' || !reject
      ? { outcome: 'cancelled' }
      : { outcome: 'selected', optionId: reject.optionId };
  }

  async #read(params: acp.ReadTextFileRequest): Promise<string> {
    const file = await openFileInWorkspace(this.#options.workspace, this.#relative(params.path));
    const result = await readTextFile(file, MAX_READ_BYTES);
    if (result.kind === 'binary') throw new Error(`${file.relative} is a binary file`);
    if (params.line == null && params.limit == null) return result.text;
    const lines = result.text.split('\n');
    const first = Math.max(1, params.line ?? 1) - 1;
    return lines.slice(first, params.limit == null ? undefined : first + params.limit).join('\n');
  }

  /** An agent's absolute path as one relative to the workspace, refused when it is outside. */
  #relative(requested: string): string {
    const { workspace } = this.#options;
    const relative = path.relative(workspace, path.resolve(workspace, requested));
    if (relative.startsWith('..') || path.isAbsolute(relative))
      throw new PathOutsideWorkspaceError(requested, 'the path is outside the workspace');
    return relative || '.';
  }

  #current(): { turn: AgentTurn; events: AcpTurnEvents } {
    if (!this.#turn) throw new Error('no prompt turn is running');
    return this.#turn;
  }

  /** The agent's stderr goes to the runtime's log, a line at a time, at most 2 KiB a line. */
  #logStderr(child: ChildProcess): void {
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines)
        if (line.trim()) this.#options.log(`${this.#options.config.id}: ${line.slice(0, 2048)}`);
    });
  }

  /** SIGTERM to the agent's process group, SIGKILL if it is still there after the grace. */
  async #kill(running: Running): Promise<void> {
    running.connection.close();
    const pid = running.child.pid;
    if (pid === undefined || running.child.exitCode !== null || running.child.signalCode !== null) return;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-pid, name);
      } catch {
        // Gone already.
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS);
    await running.exited;
    clearTimeout(timer);
  }
}

/** What the turn's end says when the agent stopped for a reason other than being done. */
function stopNote(reason: acp.StopReason): string | undefined {
  switch (reason) {
    case 'max_tokens':
      return '_The agent stopped: its model reached its token limit._';
    case 'max_turn_requests':
      return '_The agent stopped: it reached its limit of model requests for one message._';
    case 'refusal':
      return '_The agent refused to go on._';
    default:
      return undefined;
  }
}

/** Runs a client method; a failure reaches the agent as a JSON-RPC error that says what went wrong. */
async function toldToAgent<T>(subject: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new acp.RequestError(-32603, describeFileError(error, subject));
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
