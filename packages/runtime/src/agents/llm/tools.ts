import { z } from 'zod';
import type { AgentTurn } from '../agent.js';
import { type CommandSettings, runTerminalCall, runToolCall, runWriteCall, writeWorkspaceFile } from '../tool-calls.js';
import { exactEdit } from '../../tools/exact-edit.js';
import { listFiles, searchFiles } from '../../tools/file-search.js';
import { readTextFile } from '../../tools/files.js';
import { GIT_DIFF_SCRIPT } from '../../tools/git-diff.js';
import { formatBytes, truncateText } from '../../tools/text-chunks.js';
import { openFileInWorkspace } from '../../tools/workspace-path.js';
import type { ModelToolCall, ToolSpec } from './model-client.js';

// The llm agent's tools. Each runs as the same thread events the shell agent emits (a terminal,
// a read, a write with its diff, …), so the chat shows them alike, and the conversation a model
// is shown is made from those events (see conversation.ts).

/** What the tools work in. */
export interface ToolContext {
  turn: AgentTurn;
  workspace: string;
  commands: CommandSettings;
}

/** A read shows at most this much of a file; the model is told how to read on. */
const READ_MAX_CHARS = 36_000;
const READ_MAX_LINES = 2_000;
/** Files larger than this are not read or edited whole. */
const FILE_MAX_BYTES = 4 * 1024 * 1024;
const LIST_MAX_SHOWN = 500;

const path = z.string().min(1).describe('A path relative to the workspace (the repository root).');

const TOOLS = {
  run_command: {
    description:
      'Run a bash command line in the workspace and return its output and exit code. Stdin is closed, so interactive programs fail: pass flags that make them non-interactive. Use it to run tests, builds, linters, git and scripts.',
    input: z.object({
      command: z.string().min(1).describe('The command line, run with bash -c in the workspace.'),
      timeout_seconds: z.number().int().min(1).optional().describe('Stop the command after this long (default 300).'),
    }),
  },
  read_file: {
    description: `Read a text file. Shows at most ${READ_MAX_LINES} lines or ${READ_MAX_CHARS} characters at a time; use offset and limit to read a long file in parts.`,
    input: z.object({
      path,
      offset: z.number().int().min(1).optional().describe('The first line to show (1-based; default 1).'),
      limit: z.number().int().min(1).optional().describe(`How many lines to show (default ${READ_MAX_LINES}).`),
    }),
  },
  write_file: {
    description:
      'Create a file, or replace a file with the given content whole (folders are made as needed). To change part of an existing file, prefer edit_file.',
    input: z.object({ path, content: z.string().describe('The whole new content of the file.') }),
  },
  edit_file: {
    description:
      'Change a file by replacing an exact piece of its text. old_text must match the file exactly, including indentation and line breaks, and match only one place (include enough surrounding lines), unless replace_all is set.',
    input: z.object({
      path,
      old_text: z.string().describe('The exact text to replace, copied from the file.'),
      new_text: z.string().describe('The text to put in its place.'),
      replace_all: z.boolean().optional().describe('Replace every occurrence of old_text (default false).'),
    }),
  },
  list_files: {
    description:
      'List the files of the workspace (in a git repository: tracked and untracked files, without ignored ones), optionally only those matching a glob such as "**/*.ts" or "src/*.test.js".',
    input: z.object({
      pattern: z.string().optional().describe('A glob; one without "/" matches file names at any depth.'),
      path: z.string().optional().describe('Only list under this folder (relative to the workspace).'),
    }),
  },
  search_files: {
    description:
      'Search the text files of the workspace for lines matching a regular expression (JavaScript syntax). Returns path:line: text for each match.',
    input: z.object({
      pattern: z.string().min(1).describe('A regular expression.'),
      path: z.string().optional().describe('Only search under this folder.'),
      glob: z.string().optional().describe('Only search files matching this glob, such as "*.py".'),
      ignore_case: z.boolean().optional().describe('Match without regard to case.'),
    }),
  },
  git_diff: {
    description:
      'Show every change in the workspace since the last commit, new untracked files included, as a unified diff.',
    input: z.object({}),
  },
} as const;

type ToolName = keyof typeof TOOLS;

/** The tools as a model is told about them. */
export const TOOL_SPECS: ToolSpec[] = Object.entries(TOOLS).map(([name, tool]) => {
  const { $schema: _schema, ...parameters } = z.toJSONSchema(tool.input) as Record<string, unknown>;
  return { name, description: tool.description, parameters };
});

/** Runs one tool call of the model as thread events, under the call id `callId`. */
export async function runTool(call: ModelToolCall, callId: string, context: ToolContext): Promise<void> {
  const { turn } = context;
  const tool = Object.hasOwn(TOOLS, call.name) ? TOOLS[call.name as ToolName] : undefined;
  let json: unknown;
  try {
    json = JSON.parse(call.arguments || '{}');
  } catch {
    json = undefined;
  }
  const parsed = tool?.input.safeParse(json);
  if (!tool || !parsed?.success) {
    const problem = !tool
      ? `there is no tool "${call.name}"; the tools are ${Object.keys(TOOLS).join(', ')}`
      : json === undefined
        ? 'the arguments are not JSON (cut off at the output limit? write a large file in parts)'
        : `invalid arguments: ${parsed?.error?.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ')}`;
    const name = truncateText(call.name || 'tool', 64, '');
    await runToolCall(
      turn,
      callId,
      name,
      `${name}: refused`,
      { arguments: truncateText(call.arguments, 8_000) },
      () => {
        throw new Error(problem);
      },
    );
    return;
  }
  const input = parsed.data as Record<string, unknown>;
  await RUNNERS[call.name as ToolName](input as never, callId, context);
}

type Runner<N extends ToolName> = (
  input: z.infer<(typeof TOOLS)[N]['input']>,
  callId: string,
  context: ToolContext,
) => Promise<void>;

const RUNNERS: { [N in ToolName]: Runner<N> } = {
  async run_command(input, callId, { turn, commands }) {
    const limitMs = Math.min((input.timeout_seconds ?? 300) * 1000, commands.timeoutMs);
    const shown = { ...commands, timeoutMs: limitMs };
    await runTerminalCall(turn, callId, input.command, input.command, shown);
  },

  async read_file(input, callId, { turn, workspace }) {
    const title = `read ${input.path}`;
    await runToolCall(turn, callId, 'read', title, input, async (out, note) => {
      const target = await openFileInWorkspace(workspace, input.path);
      const result = await readTextFile(target, FILE_MAX_BYTES);
      if (result.kind === 'binary')
        throw new Error(`${target.relative} is a binary file (${formatBytes(result.size)}); not shown`);
      const lines = result.text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      const first = input.offset ?? 1;
      let shown = lines.slice(first - 1, first - 1 + (input.limit ?? READ_MAX_LINES));
      let text = shown.join('\n');
      if (text.length > READ_MAX_CHARS) {
        const cut = truncateText(text, READ_MAX_CHARS, '');
        shown = cut.split('\n');
        if (shown.length > 1) shown.pop();
        text = shown.join('\n');
      }
      if (lines.length === 0) {
        note('(empty file)\n');
        return;
      }
      if (shown.length === 0)
        throw new Error(`${target.relative} has ${lines.length} lines; there is no line ${first}`);
      out(`${text}\n`);
      const last = first + shown.length - 1;
      if (first > 1 || last < lines.length || result.truncated) {
        const more = last < lines.length ? `; read on with offset ${last + 1}` : '';
        const whole = result.truncated
          ? ` (the first ${formatBytes(FILE_MAX_BYTES)} of ${formatBytes(result.size)})`
          : '';
        note(`[lines ${first}-${last} of ${lines.length}${whole}${more}]\n`);
      }
    });
  },

  async write_file(input, callId, { turn, workspace }) {
    await runWriteCall(turn, callId, workspace, input.path, input.content);
  },

  async edit_file(input, callId, { turn, workspace }) {
    const shown = {
      path: input.path,
      old_text: truncateText(input.old_text, 8_000),
      new_text: truncateText(input.new_text, 8_000),
      ...(input.replace_all !== undefined ? { replace_all: input.replace_all } : {}),
    };
    await runToolCall(turn, callId, 'edit', `edit ${input.path}`, shown, async (out) => {
      const target = await openFileInWorkspace(workspace, input.path);
      const before = await readTextFile(target, FILE_MAX_BYTES);
      if (before.kind === 'binary') throw new Error(`${target.relative} is a binary file; it cannot be edited as text`);
      if (before.truncated)
        throw new Error(
          `${target.relative} is larger than ${formatBytes(FILE_MAX_BYTES)}; use run_command to change it`,
        );
      const edit = exactEdit(before.text, input.old_text, input.new_text, {
        path: target.relative,
        ...(input.replace_all !== undefined ? { replaceAll: input.replace_all } : {}),
      });
      if (!edit.ok) throw new Error(edit.reason);
      await writeWorkspaceFile(turn, callId, workspace, input.path, edit.content, () => {});
      out(
        `Edited ${target.relative}: replaced ${edit.replaced === 1 ? 'one occurrence' : `${edit.replaced} occurrences`}.\n`,
      );
    });
  },

  async list_files(input, callId, { turn, workspace }) {
    const title = `list ${input.pattern ?? '*'}${input.path ? ` in ${input.path}` : ''}`;
    await runToolCall(turn, callId, 'list', title, input, async (out) => {
      const { files, truncated } = await listFiles(workspace, {
        ...(input.path !== undefined ? { folder: input.path } : {}),
        ...(input.pattern !== undefined ? { pattern: input.pattern } : {}),
        signal: turn.signal,
      });
      if (files.length === 0) {
        out('No files match.\n');
        return;
      }
      const shown = files.slice(0, LIST_MAX_SHOWN);
      const more = files.length - shown.length;
      const note =
        more > 0 || truncated
          ? `[${more > 0 ? `${more} more` : 'more'} not shown: narrow the pattern or the folder]\n`
          : '';
      out(`${shown.join('\n')}\n${note}`);
    });
  },

  async search_files(input, callId, { turn, workspace }) {
    const title = `search ${input.pattern}${input.path ? ` in ${input.path}` : ''}`;
    await runToolCall(turn, callId, 'search', title, input, async (out) => {
      let regex: RegExp;
      try {
        regex = new RegExp(input.pattern, input.ignore_case ? 'i' : '');
      } catch (error) {
        throw new Error(`not a valid regular expression: ${(error as Error).message}`);
      }
      const { matches, truncated, filesSearched } = await searchFiles(workspace, regex, {
        ...(input.path !== undefined ? { folder: input.path } : {}),
        ...(input.glob !== undefined ? { pattern: input.glob } : {}),
        signal: turn.signal,
      });
      if (matches.length === 0) {
        out(`No matches in ${filesSearched} files.\n`);
        return;
      }
      const lines = matches.map((match) => `${match.file}:${match.line}: ${match.text}`);
      out(
        `${lines.join('\n')}\n${truncated ? `[more matches not shown: narrow the pattern, the folder or the glob]\n` : ''}`,
      );
    });
  },

  async git_diff(_input, callId, { turn, commands }) {
    await runTerminalCall(turn, callId, GIT_DIFF_SCRIPT, 'git diff', commands);
  },
};
