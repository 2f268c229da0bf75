import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { AcpAgentConfig, ModelAccessKind } from '@remote-chat/protocol';
import type { CommandTracker } from '../../tools/leftover-commands.js';
import type { Agent, AgentTurn } from '../agent.js';
import { type CommandSettings, commandSettings } from '../tool-calls.js';
import { AcpSessions } from './acp-sessions.js';
import { AcpThread } from './acp-thread.js';

export interface AcpAgentOptions {
  config: AcpAgentConfig;
  /** The folder the agent works in; files and terminals stay inside it. */
  workspace: string;
  /** Where each thread's session id is kept for a restart. */
  sessions: AcpSessions;
  /** A terminal's command is stopped after this long. @default 600_000 */
  commandTimeoutMs?: number;
  commands?: CommandTracker;
  /** Where the agent's stderr and problems go. @default console.error */
  log?: (line: string) => void;
  /** After a Stop, how long the agent gets to end its turn before its process is stopped. @default 1_000 */
  cancelGraceMs?: number;
  /** A thread's agent process is stopped after this long without a turn. @default 600_000 */
  idleMs?: number;
  /** Agent processes (one per thread) running at once, at most; the longest idle goes first. @default 4 */
  maxProcesses?: number;
  /** It runs on a person's machine, where `ownLogin` is honoured. @default false */
  machine?: boolean;
  /** The runtime's endpoint serves the person's own models (`--own-models`). @default false */
  ownModels?: boolean;
}

/**
 * An agent spoken to over the Agent Client Protocol: a configured command (Claude Code's
 * `claude-code-acp`, `codex-acp`, `gemini --experimental-acp`, …) started per thread in the
 * workspace, its model calls pointed at the runtime's keyless endpoint (`OPENAI_BASE_URL`,
 * `ANTHROPIC_BASE_URL`, …) before the configured environment.
 */
export class AcpAgent implements Agent {
  readonly id: string;
  readonly label: string;
  readonly kind = 'acp';
  readonly modelAccess: ModelAccessKind;
  readonly #options: AcpAgentOptions;
  readonly #commands: CommandSettings;
  readonly #threads = new Map<string, ThreadProcess>();
  /** Started without the model endpoint's variables: it uses its own login. */
  readonly #ownLogin: boolean;

  constructor(options: AcpAgentOptions) {
    this.#options = options;
    this.id = options.config.id;
    this.label = options.config.label ?? options.config.id;
    this.#commands = commandSettings(options);
    this.#ownLogin = Boolean(options.machine && options.config.ownLogin);
    this.modelAccess = this.#ownLogin || options.ownModels || setsOwnEndpoint(options.config) ? 'own' : 'gateway';
  }

  handle(turn: AgentTurn): Promise<void> {
    const { threadId } = turn.message;
    let entry = this.#threads.get(threadId);
    if (!entry) {
      const { config, workspace, sessions } = this.#options;
      const thread = new AcpThread({
        config,
        label: this.label,
        threadId,
        workspace,
        sessions,
        commands: this.#commands,
        ownLogin: this.#ownLogin,
        log: this.#log,
        ...(this.#options.cancelGraceMs !== undefined && { cancelGraceMs: this.#options.cancelGraceMs }),
      });
      entry = { thread, turns: 0, usedAt: 0, idleTimer: undefined };
      this.#threads.set(threadId, entry);
    }
    const current = entry;
    clearTimeout(current.idleTimer);
    current.turns++;
    current.usedAt = performance.now();
    if (!current.thread.live) this.#makeRoom(current);
    return current.thread.run(turn).finally(() => {
      current.turns--;
      current.usedAt = performance.now();
      if (current.turns > 0) return;
      current.idleTimer = setTimeout(() => this.#stopIdle(threadId, current), this.#options.idleMs ?? 600_000);
      current.idleTimer.unref();
    });
  }

  async close(): Promise<void> {
    const entries = [...this.#threads.values()];
    this.#threads.clear();
    for (const entry of entries) clearTimeout(entry.idleTimer);
    await Promise.all(entries.map((entry) => entry.thread.stop()));
  }

  /** How many of its threads have an agent process now. */
  get liveProcesses(): number {
    let live = 0;
    for (const entry of this.#threads.values()) if (entry.thread.live) live++;
    return live;
  }

  get #log(): (line: string) => void {
    return this.#options.log ?? ((line) => console.error(line));
  }

  /** A thread's process had no turn for the idle window: stopped (its session id is kept). */
  #stopIdle(threadId: string, entry: ThreadProcess): void {
    if (entry.turns > 0 || !entry.thread.live) return;
    this.#log(`${this.label}: stopping the agent process of thread ${threadId}, idle`);
    void entry.thread.stop();
  }

  /** Before `starting` starts a process: stops the longest idle ones while at the limit. */
  #makeRoom(starting: ThreadProcess): void {
    const max = this.#options.maxProcesses ?? 4;
    const idle = [...this.#threads.entries()]
      .filter(([, entry]) => entry !== starting && entry.turns === 0 && entry.thread.live)
      .sort(([, a], [, b]) => a.usedAt - b.usedAt);
    let live = this.liveProcesses;
    for (const [threadId, entry] of idle) {
      if (live < max) break;
      clearTimeout(entry.idleTimer);
      this.#log(`${this.label}: stopping the agent process of thread ${threadId} to start another`);
      void entry.thread.stop();
      live--;
    }
  }
}

/** A thread's agent process and what decides when it is stopped. */
interface ThreadProcess {
  thread: AcpThread;
  /** Turns handed to it and not finished. */
  turns: number;
  /** When it last started or finished a turn (performance.now()). */
  usedAt: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * The configured ACP agents this runtime can run: those whose command it finds (a name on PATH,
 * or a path, relative to the workspace, to an executable file).
 */
export function acpAgents(
  configs: readonly AcpAgentConfig[],
  options: Omit<AcpAgentOptions, 'config' | 'sessions'> & { stateDir?: string; env?: NodeJS.ProcessEnv },
): AcpAgent[] {
  const usable = configs.filter((config) => findCommand(config.command, options.workspace, options.env) !== undefined);
  if (usable.length === 0) return [];
  const sessions = new AcpSessions(options.stateDir);
  return usable.map((config) => new AcpAgent({ ...options, config, sessions }));
}

/** The configured environment points the agent at a model service of its own. */
function setsOwnEndpoint(config: AcpAgentConfig): boolean {
  return ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL'].some((name) => config.env[name] !== undefined);
}

/** Where `command` is: a path (relative to `cwd`) to an executable file, or the first on PATH. */
export function findCommand(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : (env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((folder) => path.join(folder, command));
  return candidates.find(isExecutableFile);
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
