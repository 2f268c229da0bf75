import path from 'node:path';
import type * as acp from '@agentclientprotocol/sdk';
import type { CommandResult } from '../../tools/terminal.js';
import { PathOutsideWorkspaceError, openFolderInWorkspace } from '../../tools/workspace-path.js';
import type { AgentTurn } from '../agent.js';
import { type CommandSettings, runTerminalCall } from '../tool-calls.js';

/** A terminal an ACP agent asked for (`terminal/create`). */
interface Terminal {
  output: string;
  truncated: boolean;
  limit: number | undefined;
  stop: AbortController;
  done: Promise<CommandResult>;
  result: CommandResult | undefined;
}

/**
 * The terminals an ACP agent runs through the client. Each is a `terminal` tool call of the turn
 * (run like the shell agent's commands: bash in the workspace, output streamed as `tool.output`,
 * stopped by Stop or the time limit), whose output the agent reads back with `terminal/output`.
 * Working folders stay inside the workspace.
 */
export class AcpTerminals {
  readonly #settings: CommandSettings;
  readonly #terminals = new Map<string, Terminal>();
  #count = 0;

  constructor(settings: CommandSettings) {
    this.#settings = settings;
  }

  async create(turn: AgentTurn, params: acp.CreateTerminalRequest): Promise<acp.CreateTerminalResponse> {
    const cwd = await this.#cwd(params.cwd ?? undefined);
    const terminalId = `term-${++this.#count}`;
    const callId = `acp-${turn.message.seq}-${terminalId}`;
    const stop = new AbortController();
    const env = Object.fromEntries((params.env ?? []).map(({ name, value }) => [name, value]));
    const line = [params.command, ...(params.args ?? [])].map(shellQuote).join(' ');
    const ownTurn: AgentTurn = {
      ...turn,
      signal: AbortSignal.any([turn.signal, stop.signal]),
      emit: (event) => {
        // Output arrives after `terminal` below is made (the command starts asynchronously).
        if (event.kind === 'tool.output' && event.callId === callId) this.#append(terminal, event.data);
        turn.emit(event);
      },
    };
    const done = runTerminalCall(ownTurn, callId, line, line, {
      ...this.#settings,
      workspace: cwd,
      env: { ...this.#settings.env, ...env },
    }).then((result) => {
      terminal.result = result;
      return result;
    });
    const terminal: Terminal = {
      output: '',
      truncated: false,
      limit: params.outputByteLimit ?? undefined,
      stop,
      done,
      result: undefined,
    };
    this.#terminals.set(terminalId, terminal);
    return { terminalId };
  }

  output(terminalId: string): acp.TerminalOutputResponse {
    const terminal = this.#get(terminalId);
    return {
      output: terminal.output,
      truncated: terminal.truncated,
      ...(terminal.result && { exitStatus: exitStatusOf(terminal.result) }),
    };
  }

  async waitForExit(terminalId: string): Promise<acp.WaitForTerminalExitResponse> {
    return exitStatusOf(await this.#get(terminalId).done);
  }

  kill(terminalId: string): void {
    this.#get(terminalId).stop.abort();
  }

  release(terminalId: string): void {
    this.kill(terminalId);
    this.#terminals.delete(terminalId);
  }

  /** Stops every terminal and waits for them (the agent's process is going away). */
  async closeAll(): Promise<void> {
    const running = [...this.#terminals.values()];
    this.#terminals.clear();
    for (const terminal of running) terminal.stop.abort();
    await Promise.all(running.map((terminal) => terminal.done));
  }

  #get(terminalId: string): Terminal {
    const terminal = this.#terminals.get(terminalId);
    if (!terminal) throw new Error(`no terminal ${terminalId}`);
    return terminal;
  }

  /** Keeps the last `limit` bytes of the output, as ACP asks, cut at a character boundary. */
  #append(terminal: Terminal, data: string): void {
    terminal.output += data;
    if (terminal.limit === undefined || Buffer.byteLength(terminal.output) <= terminal.limit) return;
    const bytes = Buffer.from(terminal.output);
    terminal.output = bytes
      .subarray(bytes.length - terminal.limit)
      .toString('utf8')
      .replace(/^\uFFFD+/, '');
    terminal.truncated = true;
  }

  /** The working folder: the workspace, or a folder inside it (symlinks resolved inside it too). */
  async #cwd(requested: string | undefined): Promise<string> {
    const workspace = this.#settings.workspace;
    if (requested === undefined) return workspace;
    const relative = path.relative(workspace, path.resolve(workspace, requested));
    if (relative.startsWith('..') || path.isAbsolute(relative))
      throw new PathOutsideWorkspaceError(requested, 'the working folder must be inside the workspace');
    const folder = await openFolderInWorkspace(workspace, relative || '.');
    await folder.folder.close();
    return path.join(workspace, folder.relative);
  }
}

function exitStatusOf(result: CommandResult): acp.WaitForTerminalExitResponse {
  return { exitCode: result.exitCode ?? null, signal: result.signal ?? null };
}

/** A word for bash, quoted unless it is plainly safe. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
