import { LIMITS, type EventBody } from '@remote-chat/protocol';
import type { Agent, AgentTurn } from './agent.js';
import { type CommandSettings, commandSettings, runTerminalCall, runToolCall, runWriteCall } from './tool-calls.js';
import { listDirectory, readTextFile } from '../tools/files.js';
import { GIT_DIFF_SCRIPT } from '../tools/git-diff.js';
import type { CommandTracker } from '../tools/leftover-commands.js';
import { formatBytes, splitText } from '../tools/text-chunks.js';
import { openFileInWorkspace, openFolderInWorkspace } from '../tools/workspace-path.js';

export interface ShellAgentOptions {
  /** The folder commands run in and paths resolve against. */
  workspace: string;
  /** A command is stopped after this long, including time it spent paused by back-pressure. @default 600_000 (10 minutes) */
  commandTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL when a command is stopped. @default 2_000 */
  killGraceMs?: number;
  /** `/read` shows at most this much of a file. @default 256 KiB */
  maxReadBytes?: number;
  /** The environment of commands. @default commandEnv() */
  env?: NodeJS.ProcessEnv;
  /** Records running commands for the next runtime process (the runtime state's). @default not recorded */
  commands?: CommandTracker;
  /**
   * Point the OpenAI and Anthropic clients of commands (a CLI agent) at the runtime's keyless
   * model endpoint (`OPENAI_BASE_URL`, `OPENAI_API_KEY`, `ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY`);
   * false leaves the environment's own keys alone. @default true
   */
  modelEnv?: boolean;
}

const HELP = `**Shell agent.** Every message is a command line, run with \`bash\` in the workspace; its output streams back as a terminal.
Stop cancels the running command (and drops the messages queued behind it).

Built-in commands:

| command | what it does |
| --- | --- |
| \`/help\` | this help |
| \`/ls [path]\` | list a folder (the workspace by default) |
| \`/read path\` | show a text file |
| \`/write path\` | write a file: everything after the first line of the message is its content; shows the diff |
| \`/diff\` | every change in the workspace since the last commit, new files included |

Paths are relative to the workspace and cannot leave it. A command line that starts with a path, such as \`/usr/bin/env\`, runs as usual.`;

/** `/name` followed by whitespace or the end: a built-in. `/usr/bin/env` is a command line. */
const BUILT_IN = /^\/([A-Za-z][\w-]*)(?=\s|$)/;

/**
 * The agent that needs no model: a message is a command line run with bash in the workspace, with
 * `/help`, `/ls`, `/read`, `/write` and `/diff` built in.
 */
export class ShellAgent implements Agent {
  readonly id = 'shell';
  readonly label = 'Shell';
  readonly #options: ShellAgentOptions;
  readonly #commands: CommandSettings;

  constructor(options: ShellAgentOptions) {
    this.#options = options;
    this.#commands = commandSettings(options);
  }

  async handle(turn: AgentTurn): Promise<void> {
    turn.emit({ kind: 'status', state: 'running' });
    try {
      const text = turn.message.text;
      const builtIn = BUILT_IN.exec(text.trimStart());
      if (builtIn) await this.#builtIn(turn, builtIn[1]!.toLowerCase(), text.trimStart().slice(builtIn[0].length));
      else if (text.trim() === '') this.#say(turn, 'Type a command line to run it in the workspace, or `/help`.');
      else await this.#terminal(turn, text, text);
    } finally {
      turn.emit({ kind: 'status', state: 'idle' });
    }
  }

  async #builtIn(turn: AgentTurn, name: string, rest: string): Promise<void> {
    switch (name) {
      case 'help':
        this.#say(turn, HELP);
        return;
      case 'ls':
        return this.#list(turn, rest.trim());
      case 'read':
        return this.#read(turn, rest.trim());
      case 'write':
        return this.#write(turn, rest);
      case 'diff':
        return this.#terminal(turn, GIT_DIFF_SCRIPT, 'git diff');
      default:
        this.#say(turn, `Unknown command \`/${name}\`. Type \`/help\` to see the built-in commands.`);
    }
  }

  /** Runs a command line as a `terminal` tool call. */
  async #terminal(turn: AgentTurn, command: string, title: string): Promise<void> {
    await runTerminalCall(turn, callIdOf(turn), command, title, this.#commands);
  }

  async #list(turn: AgentTurn, requested: string): Promise<void> {
    await runToolCall(
      turn,
      callIdOf(turn),
      'list',
      `ls ${requested || '.'}`,
      { path: requested || '.' },
      async (out) => {
        const { folder } = await openFolderInWorkspace(this.#options.workspace, requested);
        try {
          const listing = await listDirectory(folder);
          out(listing ? `${listing}\n` : '(empty folder)\n');
        } finally {
          await folder.close();
        }
      },
    );
  }

  async #read(turn: AgentTurn, requested: string): Promise<void> {
    if (!requested) {
      this.#say(turn, 'Usage: `/read path`');
      return;
    }
    const maxBytes = this.#options.maxReadBytes ?? 256 * 1024;
    await runToolCall(turn, callIdOf(turn), 'read', `read ${requested}`, { path: requested }, async (out, note) => {
      const target = await openFileInWorkspace(this.#options.workspace, requested);
      const result = await readTextFile(target, maxBytes);
      if (result.kind === 'binary')
        throw new Error(`${target.relative} is a binary file (${formatBytes(result.size)}); not shown`);
      out(result.text);
      if (result.truncated) note(`\n[showing the first ${formatBytes(maxBytes)} of ${formatBytes(result.size)}]\n`);
    });
  }

  async #write(turn: AgentTurn, rest: string): Promise<void> {
    const newline = rest.indexOf('\n');
    const requested = (newline === -1 ? rest : rest.slice(0, newline)).trim();
    if (!requested || newline === -1) {
      this.#say(turn, 'Usage: `/write path`, then the file content on the following lines.');
      return;
    }
    await runWriteCall(turn, callIdOf(turn), this.#options.workspace, requested, rest.slice(newline + 1));
  }

  /** A whole agent message, streamed as one delta and then closed. */
  #say(turn: AgentTurn, text: string): void {
    const messageId = `msg-${turn.message.seq}`;
    const events: EventBody[] = [
      ...splitText(text, LIMITS.maxOutputChunkChars).map(
        (piece): EventBody => ({ kind: 'message.delta', messageId, text: piece }),
      ),
      { kind: 'message.agent', messageId, text, agent: this.id },
    ];
    for (const event of events) turn.emit(event);
  }
}

/** Tool calls are named after the user message they answer; the shell makes one per message. */
function callIdOf(turn: AgentTurn): string {
  return `call-${turn.message.seq}`;
}
