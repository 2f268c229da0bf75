import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { IdSchema } from '@remote-chat/protocol';
import { EXIT_CODES, RuntimeStartError } from '../exit-codes.js';
import { serve, type RunningRuntime } from '../serve.js';
import { loadOwnModels } from '../own-models.js';
import { loadSettings } from '../settings.js';

/** The flags of `serve`, as commander parses them. */
export interface ServeFlags {
  workspace: string;
  stateDir: string;
  host: string;
  port: number;
  socket?: string;
  settings?: string;
  ownModels?: string;
}

const ENV_HELP = `
Environment:
  REMOTE_CHAT_RUNTIME_ID     this runtime's id (required; letters, digits, "-", "_")
  REMOTE_CHAT_RUNTIME_TOKEN  the credential the BFF must present (required, 16-512 characters);
                             read from the environment so that it never shows in \`ps\`, and
                             removed from the environment of the commands agents run

When listening, it writes <state-dir>/runtime.json ({ pid, port, host, startedAt, version }, and
socket with --socket, where port is 0 and host "") and prints one line {"listening":PORT,"pid":PID}
({"listening":"SOCKET","pid":PID} with --socket) to stdout; diagnostics go to stderr.
SIGTERM, SIGINT or a runtime.shutdown message cancel running commands, close the link and
remove runtime.json; the process then exits 0.

The state folder also keeps, across restarts: outbox.jsonl (the events the BFF has not
acknowledged yet, resent after the next handshake, and the link's seq numbering) and turns.jsonl
(the BFF's messages already handled, so none runs twice, and the turns in progress: after a
SIGKILL the next start ends them with an "interrupted" error so no chat stays running). A lock
file keeps two runtimes from sharing one state folder.

Settings file (JSON, optional): { "agent": "shell", "commandTimeoutMs": 600000, "llmMaxSteps": 50,
  "acpAgents": [{ "id": "claude", "command": "claude-code-acp", "args": [], "env": {} }],
  "permissionTimeoutMs": 300000, "acpIdleMs": 600000, "acpMaxProcesses": 4 }
  (ACP agents are offered where their command is on PATH; each thread's agent process stops after
  acpIdleMs without a message, and at most acpMaxProcesses run at once)

Agents: shell (a message is a command line) and llm (a coding agent on a model: llm for the
first model, llm:<model id> for another). The llm agent's models come from the server, which
holds their keys; --own-models FILE calls models directly with your own key instead. Each
thread's history is kept in <state-dir>/threads/ so the llm agent remembers it across restarts.

Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 credentials, 4 workspace or state folder
(missing, unusable, or in use by another runtime), 5 settings, 6 cannot listen.`;

export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'Serve agents to a BFF that dials in: GET /healthz and the runtime link at /link. External agents register on ' +
        'the agent endpoint (ws://127.0.0.1:PORT/codebolt?agentId=ID; its URL and secret are in ' +
        'STATE_DIR/agent-endpoint.json and, for commands, REMOTE_CHAT_AGENT_URL and REMOTE_CHAT_AGENT_SECRET).',
    )
    .requiredOption('--workspace <dir>', 'the folder agents work in (must exist)')
    .requiredOption(
      '--state-dir <dir>',
      'where runtime.json, the outbox and the turn journal are kept (created if missing)',
    )
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .addOption(new Option('--port <port>', 'the port to listen on; 0 picks a free one').default(0).argParser(parsePort))
    .option(
      '--socket <path>',
      'listen on this Unix socket instead of --host and --port (a runtime in its own network namespace)',
    )
    .option('--settings <file>', 'a JSON settings file')
    .option(
      '--own-models <file>',
      'call models directly with your own key, from a JSON file {baseUrl, apiKey, models: [{id, label, api, contextWindow?}]}, instead of through the server',
    )
    .addHelpText('after', ENV_HELP)
    .action(async (flags: ServeFlags) => {
      process.exitCode = await runServe(flags, process.env);
    });
}

/**
 * The `serve` command as a plain function: starts the runtime, prints the listening line, and
 * resolves with the exit code once it has shut down (on SIGTERM, SIGINT or runtime.shutdown).
 */
export async function runServe(flags: ServeFlags, env: NodeJS.ProcessEnv): Promise<number> {
  let running: RunningRuntime;
  try {
    const { runtimeId, token } = credentialsFrom(env);
    const settings = await loadSettings(flags.settings);
    const model = flags.ownModels === undefined ? undefined : await loadOwnModels(flags.ownModels);
    running = await serve({
      workspace: path.resolve(flags.workspace),
      stateDir: path.resolve(flags.stateDir),
      host: flags.host,
      port: flags.port,
      ...(flags.socket !== undefined && { socket: path.resolve(flags.socket) }),
      runtimeId,
      token,
      settings,
      ...(model ? { model } : {}),
    });
  } catch (error) {
    if (error instanceof RuntimeStartError) {
      console.error(`remote-chat-runtime: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
  const onSignal = (signal: NodeJS.Signals): void => void running.shutdown(`received ${signal}`);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.stdout.write(`${JSON.stringify({ listening: running.socket ?? running.port, pid: process.pid })}\n`);
  await running.closed;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return EXIT_CODES.ok;
}

/** The runtime id and token from the environment, checked. */
export function credentialsFrom(env: NodeJS.ProcessEnv): { runtimeId: string; token: string } {
  const runtimeId = env.REMOTE_CHAT_RUNTIME_ID ?? '';
  const token = env.REMOTE_CHAT_RUNTIME_TOKEN ?? '';
  if (!IdSchema.safeParse(runtimeId).success) {
    throw new RuntimeStartError(
      'REMOTE_CHAT_RUNTIME_ID must be set to the runtime id (1-64 letters, digits, "-" or "_")',
      EXIT_CODES.credentials,
    );
  }
  if (token.length < 16 || token.length > 512) {
    throw new RuntimeStartError(
      'REMOTE_CHAT_RUNTIME_TOKEN must be set to the runtime credential (16-512 characters)',
      EXIT_CODES.credentials,
    );
  }
  return { runtimeId, token };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`not a port: ${value}`);
  return port;
}
