import { LIMITS } from '@remote-chat/protocol';
import type { AgentTurn } from './agent.js';
import { writeTextFile, type WriteResult } from '../tools/files.js';
import type { CommandTracker } from '../tools/leftover-commands.js';
import { modelEnv } from '../model-endpoint/model-access.js';
import { commandEnv, runCommand, type CommandResult } from '../tools/terminal.js';
import { formatBytes, splitText, truncateText } from '../tools/text-chunks.js';
import { targetInWorkspace } from '../tools/workspace-path.js';

// The tool calls the built-in agents make, as thread events: a `tool.call`, its `tool.output`
// and one `tool.result` (plus `file.write` for a changed file). The shell agent and the llm agent
// both go through here, so the chat shows their terminals and diffs alike.

/** How the built-in agents run commands. */
export interface CommandSettings {
  /** The folder commands run in. */
  workspace: string;
  /** The environment of commands. */
  env: NodeJS.ProcessEnv;
  /** A command is stopped after this long, including time it spent paused by back-pressure. */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL when a command is stopped. @default 2_000 */
  killGraceMs?: number;
  /** Records running commands for the next runtime process. @default not recorded */
  tracker?: CommandTracker;
  /**
   * Point the OpenAI and Anthropic clients of commands (a CLI agent) at the turn's keyless model
   * endpoint (`OPENAI_BASE_URL`, `OPENAI_API_KEY`, `ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY`);
   * false leaves the environment's own keys alone.
   */
  modelEnv: boolean;
}

/** The command settings of an agent's options, with their defaults. */
export function commandSettings(options: {
  workspace: string;
  env?: NodeJS.ProcessEnv;
  commandTimeoutMs?: number;
  killGraceMs?: number;
  commands?: CommandTracker;
  modelEnv?: boolean;
}): CommandSettings {
  return {
    workspace: options.workspace,
    env: options.env ?? commandEnv(),
    timeoutMs: options.commandTimeoutMs ?? 600_000,
    ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
    ...(options.commands ? { tracker: options.commands } : {}),
    modelEnv: options.modelEnv ?? true,
  };
}

/**
 * Runs a bash command line as a `terminal` tool call: output streamed as `tool.output`, stopped
 * by the turn's signal or the time limit, paused by back-pressure. `title` is what the chat shows.
 */
export async function runTerminalCall(
  turn: AgentTurn,
  callId: string,
  command: string,
  title: string,
  settings: CommandSettings,
): Promise<CommandResult> {
  turn.emit({
    kind: 'tool.call',
    callId,
    tool: 'terminal',
    title: truncateText(title, 4096),
    input: { command: title },
  });
  const result = await runCommand({
    command,
    cwd: settings.workspace,
    env: {
      ...settings.env,
      ...turn.env,
      ...(turn.model && settings.modelEnv && modelEnv(turn.model)),
    },
    signal: turn.signal,
    timeoutMs: settings.timeoutMs,
    ...(settings.killGraceMs !== undefined ? { killGraceMs: settings.killGraceMs } : {}),
    onOutput: (stream, data) => turn.emit({ kind: 'tool.output', callId, stream, data }),
    // A BFF that falls behind pauses the command (it blocks writing its output) instead of losing output.
    backpressure: turn.backpressure,
    tracker: settings.tracker,
  });
  turn.emit({
    kind: 'tool.result',
    callId,
    ok: result.exitCode === 0 && result.error === undefined,
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: result.durationMs,
    ...(result.error !== undefined ? { error: truncateText(result.error, 4096) } : {}),
  });
  return result;
}

/** What `work` of a file tool call writes: `out` to stdout, `note` to stderr. */
export type ToolOutput = (text: string) => void;

/**
 * A tool call around `work`; a thrown error becomes a failed result with its message (a file
 * error names the path the agent gave, not the runtime's absolute one). Returns that error.
 */
export async function runToolCall(
  turn: AgentTurn,
  callId: string,
  tool: string,
  title: string,
  input: Record<string, unknown>,
  work: (out: ToolOutput, note: ToolOutput) => Promise<void>,
): Promise<string | undefined> {
  const started = performance.now();
  turn.emit({ kind: 'tool.call', callId, tool, title: truncateText(title, 4096), input });
  const output =
    (stream: 'stdout' | 'stderr'): ToolOutput =>
    (text) => {
      for (const data of splitText(text, LIMITS.maxOutputChunkChars))
        turn.emit({ kind: 'tool.output', callId, stream, data });
    };
  let error: string | undefined;
  try {
    await work(output('stdout'), output('stderr'));
  } catch (cause) {
    error = describeFileError(cause, typeof input.path === 'string' ? input.path : title);
  }
  turn.emit({
    kind: 'tool.result',
    callId,
    ok: error === undefined,
    durationMs: Math.round(performance.now() - started),
    ...(error !== undefined ? { error: truncateText(error, 4096) } : {}),
  });
  return error;
}

/**
 * Writes `content` to the workspace path `requested` (confined to the workspace) as a `write`
 * tool call, with a `file.write` event carrying the diff.
 */
export async function runWriteCall(
  turn: AgentTurn,
  callId: string,
  workspace: string,
  requested: string,
  content: string,
): Promise<void> {
  const input = { path: requested, bytes: Buffer.byteLength(content) };
  await runToolCall(turn, callId, 'write', `write ${requested}`, input, async (out) => {
    await writeWorkspaceFile(turn, callId, workspace, requested, content, out);
  });
}

/**
 * Inside a tool call: writes `content` to the workspace path `requested` (confined to the
 * workspace), emits `file.write` with the diff, and says what it did on `out`.
 */
export async function writeWorkspaceFile(
  turn: AgentTurn,
  callId: string,
  workspace: string,
  requested: string,
  content: string,
  out: ToolOutput,
): Promise<WriteResult> {
  const target = await targetInWorkspace(workspace, requested);
  const result = await writeTextFile(target, content).finally(() => target.folder.close());
  turn.emit({
    kind: 'file.write',
    callId,
    path: target.relative,
    diff: truncateText(result.diff, LIMITS.maxMessageChars * 4, '\n[diff truncated]\n'),
    created: result.created,
    bytes: result.bytes,
  });
  out(`${result.created ? 'Created' : 'Wrote'} ${target.relative} (${formatBytes(result.bytes)})\n`);
  return result;
}

/** A file error for people: the path they gave, not the runtime's absolute one. */
export function describeFileError(error: unknown, subject: string): string {
  if (!(error instanceof Error)) return String(error);
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return `${subject}: no such file or folder`;
    case 'ENOTDIR':
      return `${subject}: not a folder`;
    case 'EISDIR':
      return `${subject}: is a folder, not a file`;
    case 'EACCES':
    case 'EPERM':
      return `${subject}: permission denied`;
    default:
      return error.message;
  }
}
