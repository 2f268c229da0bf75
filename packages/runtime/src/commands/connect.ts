import { stat } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { configDir, readConfigFolders, resolveConnectSettings, type ConnectFlags } from '../connect/config.js';
import { connect, type Connection } from '../connect/connector.js';
import { loadMachine } from '../connect/machine.js';
import { EXIT_CODES, RuntimeStartError, type ExitCode } from '../exit-codes.js';
import { loadOwnModels } from '../own-models.js';
import { RuntimeSettingsSchema } from '../settings.js';

const HELP = `
Where the settings come from (the first that has one wins):
  1. the flags --url and --token
  2. the environment: REMOTE_CHAT_URL, REMOTE_CHAT_TOKEN
  3. the config file: $XDG_CONFIG_HOME/remote-chat/config.json, or ~/.config/remote-chat/config.json,
     or the file given with --config:  { "url": "https://chat.example.com", "token": "…",
                                          "folders": ["~/src/app", "../other"] }
Prefer REMOTE_CHAT_TOKEN or the config file (chmod 600) for the token: other users of this
computer can see command-line arguments in \`ps\`. The token is never printed.

Folders: the arguments; else the config file's "folders" (relative to the config file, "~/" is
your home folder), which is re-read every poll: add a folder there to connect it, remove it to
disconnect it; else the current folder. Each folder is its own runtime in the portal, listed as
local with its folder name, its git remote and this computer's name. Every poll (5 s) also checks
that each folder still exists (a folder that is gone is disconnected) and whether its git remote
changed (then the runtime re-registers).

Files:
  <config dir>/machine.json      this computer's id and name, made once: {"id":"mc_…","name":HOST}
  <folder>/.remote-chat/         made in each folder, with a .gitignore of "*" so nothing is committed:
    runtime-ids.json             the folder's runtime id at each server, the same on every start
    state/<runtime id>/          events not yet delivered (resent after a reconnect or a restart)

Commands from the chat run with bash in the folder, as you, with your environment minus
REMOTE_CHAT_TOKEN. Models: agents here (the llm agent, and CLI agents a command starts) reach the
server's models through a keyless endpoint on 127.0.0.1 that forwards over the link; commands get
OPENAI_BASE_URL, OPENAI_API_KEY, ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY pointing at it (the key is
this runtime's own random secret, never a model key). ACP agents (Claude Code, Codex, Gemini
CLI, …) go in the config file: "acpAgents": [{"id": "claude", "label": "Claude Code", "command":
"claude-code-acp", "args": [], "env": {}}] (offered where the command is on PATH; started in the
folder with the variables above, then "env"; with "ownLogin": true, without the endpoint's
variables, so that the agent uses its own login, and the chat's picker says so), and
"permissionTimeoutMs" (default 300000) denies a permission request no one answers in time;
a thread's ACP agent process stops after "acpIdleMs" (default 600000) without a message, and at
most "acpMaxProcesses" (default 4) run at once. With --own-models FILE ({"baseUrl":
"https://api.openai.com", "apiKey": "…", "models": [{"id": "gpt-4.1", "label": "GPT-4.1", "api":
"openai"}]}) they call your own models directly with your own key instead. Agents in any
language register on each folder's agent endpoint (ws://127.0.0.1:PORT/codebolt?agentId=ID, see
docs/agent-protocol.md): commands get REMOTE_CHAT_AGENT_URL and REMOTE_CHAT_AGENT_SECRET, and
.remote-chat/<runtime id>/agent-endpoint.json (readable only by you) holds both. Ctrl-C or SIGTERM stops running commands, disconnects and exits 0.

Exit codes: 0 stopped by Ctrl-C or SIGTERM (or every runtime was deleted in the portal),
1 unexpected error, 2 usage (no URL, or a bad one), 3 no API token or a malformed one,
4 a folder is missing or unusable or already connected by another process, 5 the config file or
machine.json is unreadable or invalid, 7 the server refused the token (wrong, expired or revoked),
8 the server says a folder's runtime id belongs to another account, 9 the server speaks another
protocol version. Other connection failures are retried with backoff, never fatal.`;

export function connectCommand(): Command {
  return new Command('connect')
    .description(
      'Connect folders on this computer to a Remote Chat server, so you can chat with agents that work in them.',
    )
    .argument('[folders...]', 'the folders to connect (default: the config file\'s "folders", else the current folder)')
    .option('--url <url>', 'the server (BFF) address, e.g. https://chat.example.com (env REMOTE_CHAT_URL)')
    .option('--token <token>', 'an API token from the portal, Account → API tokens (env REMOTE_CHAT_TOKEN)')
    .option(
      '--config <file>',
      'the config file (default: $XDG_CONFIG_HOME/remote-chat/config.json or ~/.config/remote-chat/config.json)',
    )
    .option(
      '--own-models <file>',
      'call your own models directly with your own key, from a JSON file {baseUrl, apiKey, models: [{id, label, api, contextWindow?}]}, instead of through the server',
    )
    .addOption(
      new Option('--poll-interval <ms>', 'how often folders, git remotes and the config file are checked')
        .default(5_000)
        .argParser(parseInterval),
    )
    .addHelpText('after', HELP)
    .action(async (folders: string[], flags: ConnectFlags) => {
      process.exitCode = await runConnect(flags, folders, process.env);
    });
}

/**
 * The `connect` command as a plain function: resolves the settings, connects, stops on SIGINT or
 * SIGTERM, and resolves with the exit code. Status goes to stdout, problems to stderr.
 */
export async function runConnect(flags: ConnectFlags, folders: string[], env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const err = (line: string): void => void process.stderr.write(`${line}\n`);
  let connection: Connection;
  try {
    const settings = await resolveConnectSettings({ flags, folders, env, cwd: process.cwd() });
    for (const warning of settings.warnings) err(`warning: ${warning}`);
    if (settings.folders.from === 'arguments') {
      for (const folder of settings.folders.list) {
        if (!(await isFolder(folder))) throw new RuntimeStartError(`${folder} is not a folder`, EXIT_CODES.workspace);
      }
    }
    const machine = await loadMachine(configDir(env));
    const model = flags.ownModels === undefined ? undefined : await loadOwnModels(flags.ownModels);
    connection = await connect({
      bff: settings.bff,
      token: settings.token,
      machine,
      folders: settings.folders.list,
      ...(settings.folders.from === 'config file'
        ? { reloadFolders: () => readConfigFolders(settings.configFile, env) }
        : {}),
      ...(flags.pollInterval !== undefined ? { pollMs: flags.pollInterval } : {}),
      ...(model ? { model } : {}),
      settings: RuntimeSettingsSchema.parse({
        acpAgents: settings.acpAgents,
        ...(settings.permissionTimeoutMs !== undefined && { permissionTimeoutMs: settings.permissionTimeoutMs }),
        ...(settings.acpIdleMs !== undefined && { acpIdleMs: settings.acpIdleMs }),
        ...(settings.acpMaxProcesses !== undefined && { acpMaxProcesses: settings.acpMaxProcesses }),
      }),
      out,
      err,
    });
  } catch (error) {
    if (error instanceof RuntimeStartError) {
      err(`remote-chat-runtime connect: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    out(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping running commands and disconnecting…`);
    void connection.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const exit = await connection.done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (exit.code === EXIT_CODES.ok) out('disconnected');
  else err(`remote-chat-runtime connect: ${exit.message ?? 'stopped'}`);
  return exit.code;
}

function parseInterval(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 10 || ms > 3_600_000)
    throw new InvalidArgumentError(`not an interval in milliseconds (10-3600000): ${value}`);
  return ms;
}

async function isFolder(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}
