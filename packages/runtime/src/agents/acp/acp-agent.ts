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
  readonly #threads = new Map<string, AcpThread>();
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
    let thread = this.#threads.get(threadId);
    if (!thread) {
      const { config, workspace, sessions } = this.#options;
      thread = new AcpThread({
        config,
        label: this.label,
        threadId,
        workspace,
        sessions,
        commands: this.#commands,
        ownLogin: this.#ownLogin,
        log: this.#options.log ?? ((line) => console.error(line)),
        ...(this.#options.cancelGraceMs !== undefined && { cancelGraceMs: this.#options.cancelGraceMs }),
      });
      this.#threads.set(threadId, thread);
    }
    return thread.run(turn);
  }

  async close(): Promise<void> {
    const threads = [...this.#threads.values()];
    this.#threads.clear();
    await Promise.all(threads.map((thread) => thread.stop()));
  }
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
