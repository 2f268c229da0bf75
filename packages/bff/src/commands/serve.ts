import { Command, InvalidArgumentError, Option } from 'commander';
import { PROVIDER_AUDIENCES, type ProviderAudience } from '../providers/provider-access.js';
import { SANDBOX_NETWORKS, type SandboxNetwork } from '../providers/sandbox-command.js';
import { loadAgentsConfig, loadGatewayConfig, loadProvidersConfig } from '../gateway/gateway-config.js';
import { configuredProviders } from '../providers/provider-config.js';
import { GITHUB_ENV, loadGitHubConfig } from '../github/github-config.js';
import { createLogger } from '../remote-chat.js';
import { startServer, type RunningServer } from '../server.js';
import {
  dataDirOption,
  databaseUrlOption,
  instanceIdOption,
  publicUrlOption,
  redisUrlOption,
  resolveDataDir,
} from './options.js';

export interface ServeFlags {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  /** The URL browsers and machines use (a load balancer's in a cluster). */
  publicUrl?: string;
  redisUrl?: string;
  instanceId?: string;
  allowedOrigins?: string[];
  idleTimeout: number;
  sqliteSynchronous: 'full' | 'normal';
  processProviderFor: ProviderAudience;
  sandboxNetwork: SandboxNetwork;
  logLevel: string;
  trustProxy?: string;
  /** The config file (models, budget, gateway, providers). */
  config?: string;
  /** Files of third-party providers. */
  providerModule?: string[];
}

/**
 * Starts the server and prints where to open it; the plain function behind `serve`. Models come
 * from `env` (`REMOTE_CHAT_LLM_*`) and the config file; a bad one throws a ConfigError.
 */
export async function serve(
  flags: ServeFlags,
  print: (line: string) => void = console.log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServer> {
  const gateway = loadGatewayConfig({ env, configFile: flags.config });
  const agents = loadAgentsConfig({ env, configFile: flags.config });
  const providersConfig = loadProvidersConfig({ configFile: flags.config });
  const github = loadGitHubConfig(env);
  // The clone host even with GitHub sign-in off (public repositories clone without a token).
  const gitBaseUrl = github?.webUrl ?? env[GITHUB_ENV.webUrl]?.trim().replace(/\/+$/, '');
  const logger = createLogger(flags.logLevel);
  // The server secret comes from the environment alone (a flag would show in ps), and leaves it:
  // the commands this server starts (git, runtimes) inherit its environment.
  const secret = env.REMOTE_CHAT_SECRET;
  delete env.REMOTE_CHAT_SECRET;
  const metricsToken = env.REMOTE_CHAT_METRICS_TOKEN;
  delete env.REMOTE_CHAT_METRICS_TOKEN;
  const dataDir = resolveDataDir(flags.dataDir);
  const providers = await configuredProviders({
    env,
    fileSettings: providersConfig.fileSettings,
    modules: [...providersConfig.modules, ...(flags.providerModule ?? [])],
    context: { dataDir, logger, idleTimeoutMs: flags.idleTimeout * 60_000 },
  });
  const running = await startServer({
    configuredProviders: providers,
    ...(github && { github }),
    ...(gitBaseUrl && { gitBaseUrl }),
    gateway,
    acpAgents: agents.acpAgents,
    ...(agents.permissionTimeoutMs !== undefined && { permissionTimeoutMs: agents.permissionTimeoutMs }),
    port: flags.port,
    host: flags.host,
    dataDir,
    ...(flags.databaseUrl && { databaseUrl: flags.databaseUrl }),
    ...(flags.redisUrl && { redisUrl: flags.redisUrl }),
    ...(flags.publicUrl && { publicUrl: flags.publicUrl }),
    ...(flags.instanceId && { instanceId: flags.instanceId }),
    ...(secret !== undefined && { secret }),
    ...(metricsToken && { metricsToken }),
    allowedOrigins: flags.allowedOrigins ?? [],
    idleTimeoutMs: flags.idleTimeout * 60_000,
    sqliteSynchronous: flags.sqliteSynchronous,
    processProviderFor: flags.processProviderFor,
    sandboxNetwork: flags.sandboxNetwork,
    logger,
    ...(flags.trustProxy && { trustProxy: flags.trustProxy }),
  });
  for (const model of gateway.models)
    print(`Model ${model.id}: ${model.model} (${model.api}) at ${model.baseUrl}${model.apiKey ? '' : ', no key'}`);
  if (gateway.models.length === 0) print('No model configured: only the shell agent (see --help, Models).');
  for (const provider of providers) print(`Provider ${provider.id}: ${provider.label}`);
  print(
    github
      ? `GitHub sign-in: on (${github.webUrl}, API ${github.apiUrl}); callback URL ${running.publicUrl}/api/github/oauth/callback`
      : 'GitHub sign-in: off (set REMOTE_CHAT_GITHUB_CLIENT_ID and REMOTE_CHAT_GITHUB_CLIENT_SECRET; see --help, GitHub).',
  );
  for (const agent of agents.acpAgents) print(`ACP agent ${agent.id}: ${[agent.command, ...agent.args].join(' ')}`);
  print(`Remote Chat is running at ${running.url}`);
  if (running.publicUrl !== running.url) print(`Public URL: ${running.publicUrl}`);
  if (flags.databaseUrl?.startsWith('postgres'))
    print(
      `Instance ${running.chat.instanceId}: fan-out through ${flags.redisUrl ? 'Redis' : 'Postgres LISTEN/NOTIFY'}`,
    );
  print(`Sign in (one-time link, valid for an hour): ${await running.signinLink()}`);
  return running;
}

/** Providers and models, after the flags: in `serve --help` and in `remote-chat-bff --help`. */
export const SERVE_HELP = `
Providers (New in the portal):
  Local sandbox  (bubblewrap) each runtime in its own Linux sandbox: system folders read-only, only
                 its workspace writable, no view of the data directory or other runtimes, its own
                 network namespace, resource limits. The default where bwrap works; otherwise the
                 server says so at start and offers the Local process only.
  Local process  (process) a plain process as this server's user, no sandbox: for the owner only
                 unless --process-provider-for all.
  E2B sandbox    (e2b) a fresh E2B cloud sandbox per runtime, paused when idle (files and
                 processes kept). On with E2B_API_KEY; also E2B_API_URL, E2B_DOMAIN,
                 E2B_SANDBOX_URL (the SDK's own) and REMOTE_CHAT_E2B_TEMPLATE (default base:
                 a template with Node.js 20 or later and git).
  SSH host       (ssh) a folder per runtime on a host reached over SSH, the link over a channel
                 forwarded to the runtime's Unix socket (no port opened there); needs git and
                 Node >= 20 on the host. On with REMOTE_CHAT_SSH_HOST; also
                 REMOTE_CHAT_SSH_PORT (default 22), REMOTE_CHAT_SSH_USER (default this user),
                 REMOTE_CHAT_SSH_KEY (a private key file; else the agent at SSH_AUTH_SOCK),
                 REMOTE_CHAT_SSH_KNOWN_HOSTS (pins the host key; default ~/.ssh/known_hosts),
                 REMOTE_CHAT_SSH_DIR (default ~/.remote-chat/runtimes),
                 REMOTE_CHAT_SSH_AUDIENCE (owner or all; default owner).
  Daytona        (daytona) a Daytona cloud sandbox per runtime, paused when idle (Daytona's stop:
                 files kept). On when DAYTONA_API_KEY is set; also DAYTONA_API_URL, DAYTONA_TARGET,
                 REMOTE_CHAT_DAYTONA_SNAPSHOT (a snapshot with Node 20 or later and git).
  Your own       --provider-module FILE: a module whose default export is a Provider (see the
                 README, "Your own provider"); offered first.
  Configured providers come first in the picker; a wrong setting stops the server (exit code 2).
  An idle runtime (--idle-timeout) is paused where its provider can pause, else stopped.

The data directory is made private at every start (folder 0700, files 0600).

Several instances (behind a load balancer, on one Postgres; see docs/deploy.md):
  DATABASE_URL              postgres://… the same for all: events, the outbox and leases live there
  REMOTE_CHAT_SECRET        the server secret, the same for all (base64url of 32 random bytes, e.g.
                            node -e "console.log(crypto.randomBytes(32).toString('base64url'))");
                            without it the server makes one in its data directory (one instance)
  REMOTE_CHAT_PUBLIC_URL    the load balancer's URL, for the links this server prints
  REDIS_URL                 optional: fan events out through Redis pub/sub instead of LISTEN/NOTIFY
  REMOTE_CHAT_INSTANCE_ID   optional: this process's name (default: host name + hash of the data dir)
  REMOTE_CHAT_METRICS_TOKEN optional: GET /metrics asks for it as a bearer token (without it, it
                            answers loopback only); GET /healthz and /readyz answer anyone
  SIGTERM drains: /readyz fails, link leases are let go, links and streams close with 4504
  (reconnect elsewhere) and reconnect to another instance at once.
  Nothing else needs to differ between instances but the port.

Models (the llm agent; keys stay in this server, runtimes reach models through it):
  REMOTE_CHAT_LLM_MODEL         the upstream's model name; setting it configures one model
  REMOTE_CHAT_LLM_API           openai (chat completions and responses; the default) or anthropic
  REMOTE_CHAT_LLM_BASE_URL      the official client's base URL (default https://api.openai.com/v1,
                                or https://api.anthropic.com); any OpenAI-compatible server works:
                                http://localhost:11434/v1 (Ollama), http://localhost:8000/v1 (vLLM)
  REMOTE_CHAT_LLM_API_KEY       its key (environment only, never a flag: flags show in ps)
  REMOTE_CHAT_LLM_DAILY_TOKENS  input plus output tokens each user may use per UTC day

  Several models: --config FILE with
    { "models": [ { "id": "gpt", "label": "GPT-4.1", "api": "openai", "model": "gpt-4.1",
                    "apiKeyEnv": "OPENAI_API_KEY", "contextWindow": 1047576 },
                  { "id": "claude", "label": "Claude Sonnet", "api": "anthropic",
                    "model": "claude-sonnet-4-5", "apiKeyEnv": "ANTHROPIC_API_KEY" } ],
      "usage": { "dailyTokens": 2000000 },
      "gateway": { "timeoutSeconds": 600, "maxConcurrent": 8, "requestsPerMinute": 120,
                   "capabilities": { "inference": "proxy" } } }
  Each model: id, model, and optionally label, api, baseUrl, apiKeyEnv (or apiKey), contextWindow.
  The agent "llm" answers with the first model, "llm:<id>" with that one.

ACP agents (Claude Code, Codex, Gemini CLI, … over the Agent Client Protocol), sent to sandboxes:
  in the config file: "acpAgents": [ { "id": "claude", "label": "Claude Code",
                                      "command": "claude-code-acp", "args": [], "env": {} } ],
                      "permissionTimeoutMs": 300000   (an unanswered permission request is denied)
  REMOTE_CHAT_ACP_AGENTS        the same list as JSON (replaces the file's)
  A runtime offers those whose command it finds on its PATH; their model calls go through this
  server (OPENAI_BASE_URL / ANTHROPIC_BASE_URL point at the runtime's keyless endpoint).

GitHub (sign-in, the repository selector, clone with the user's token, push to a branch):
  REMOTE_CHAT_GITHUB_CLIENT_ID      an OAuth app's (or GitHub App's) client id; setting it and the
  REMOTE_CHAT_GITHUB_CLIENT_SECRET  secret switches GitHub on. Callback URL to register:
                                    <this server's URL>/api/github/oauth/callback
  REMOTE_CHAT_GITHUB_URL            the web host (default https://github.com; Enterprise Server:
                                    https://HOST); also where runtimes clone owner/name from
  REMOTE_CHAT_GITHUB_API_URL        the REST API (default https://api.github.com; https://HOST/api/v3)
  REMOTE_CHAT_GITHUB_MAX_REPO_MB    larger repositories fail the clone step (default 1024)
  The token stays in the browser; the server uses it per request and never stores or logs it.`;

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the BFF and the portal (the default command)')
    .addOption(
      new Option('-p, --port <port>', 'port to listen on (0 picks a free one)')
        .env('REMOTE_CHAT_PORT')
        .default(8787)
        .argParser((v) => {
          const port = Number(v);
          if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`not a port: ${v}`);
          return port;
        }),
    )
    .addOption(
      new Option('--host <address>', 'address to bind; 0.0.0.0 to accept other machines')
        .env('REMOTE_CHAT_HOST')
        .default('127.0.0.1'),
    )
    .addOption(dataDirOption())
    .addOption(databaseUrlOption())
    .addOption(publicUrlOption())
    .addOption(redisUrlOption())
    .addOption(instanceIdOption())
    .addOption(
      new Option('--allowed-origins <origins>', 'comma-separated origins whose pages may embed the chat')
        .env('REMOTE_CHAT_ALLOWED_ORIGINS')
        .argParser((v) =>
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
    )
    .addOption(
      new Option(
        '--sqlite-synchronous <mode>',
        'full: an acknowledged event survives power loss; normal: a process kill only, faster',
      )
        .env('REMOTE_CHAT_SQLITE_SYNCHRONOUS')
        .choices(['full', 'normal'])
        .default('full'),
    )
    .addOption(
      new Option(
        '--idle-timeout <minutes>',
        'pause a sandbox runtime after this long without activity (stop it where its provider cannot pause)',
      )
        .env('REMOTE_CHAT_IDLE_TIMEOUT')
        .default(60)
        .argParser((v) => {
          const minutes = Number(v);
          if (!(minutes > 0)) throw new InvalidArgumentError(`not a number of minutes: ${v}`);
          return minutes;
        }),
    )
    .addOption(
      new Option(
        '--process-provider-for <who>',
        "who may use the Local process provider, whose runtimes run unsandboxed as this server's user: owner, or all (a host site's users too)",
      )
        .env('REMOTE_CHAT_PROCESS_PROVIDER_FOR')
        .choices(PROVIDER_AUDIENCES)
        .default('owner'),
    )
    .addOption(
      new Option(
        '--sandbox-network <network>',
        "what a Local sandbox (bubblewrap) runtime reaches besides its link: none, or internet (through slirp4netns; never this host's loopback)",
      )
        .env('REMOTE_CHAT_SANDBOX_NETWORK')
        .choices(SANDBOX_NETWORKS)
        .default('none'),
    )
    .addOption(
      new Option(
        '--trust-proxy <addresses>',
        'reverse proxies whose X-Forwarded-For/-Proto to believe (e.g. loopback, 10.0.0.0/8); only behind one',
      ).env('REMOTE_CHAT_TRUST_PROXY'),
    )
    .addOption(
      new Option(
        '--config <file>',
        'a JSON config file: models, the daily token budget, gateway settings, ACP agents, providers',
      ).env('REMOTE_CHAT_CONFIG'),
    )
    .addOption(
      new Option(
        '--provider-module <file>',
        'a provider of your own: a JS module whose default export is a Provider or a ProviderDefinition (repeatable; the env var takes a comma-separated list)',
      )
        .env('REMOTE_CHAT_PROVIDER_MODULES')
        .argParser((value: string, previous: string[] | undefined) => [
          ...(previous ?? []),
          ...value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ]),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .env('REMOTE_CHAT_LOG_LEVEL')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .addHelpText('after', SERVE_HELP)
    .action(async (flags: ServeFlags) => {
      // Whatever this server writes (database, secret, workspaces) is its user's alone.
      process.umask(0o077);
      // Listening for signals before serve() prints the address: a SIGTERM that comes as soon as
      // the sign-in line is read still shuts down cleanly, once the server is up.
      let running: RunningServer | undefined;
      let requested: string | undefined;
      let stopping = false;
      const stop = (signal: string) => {
        requested ??= signal;
        if (stopping || !running) return;
        stopping = true;
        const server = running;
        // At a terminal, where the start-up lines were read, a person reads these too: words, not
        // JSON (the log line goes to debug). Piped to a file or a service manager: the JSON log.
        const person = process.stdout.isTTY === true && process.stderr.isTTY === true;
        if (person) {
          console.log(`Shutting down (${signal === 'SIGINT' ? 'Ctrl+C' : signal})…`);
          server.chat.logger.debug({ signal }, 'shutting down');
        } else server.chat.logger.info({ signal }, 'shutting down');
        // An instance of a cluster drains first: its links and streams reconnect to the others at once.
        const drained =
          flags.databaseUrl?.startsWith('postgres') && signal === 'SIGTERM' ? server.drain() : Promise.resolve();
        drained
          .then(() => server.close())
          .then(
            () => {
              if (person) console.log('Stopped.');
              process.exit(0);
            },
            (error: unknown) => {
              server.chat.logger.error({ err: error }, 'shutdown failed');
              if (person) console.log(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
              process.exit(1);
            },
          );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      running = await serve(flags);
      if (requested) stop(requested);
    });
}
