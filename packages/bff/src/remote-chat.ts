import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CLOSE_CODES,
  ExternalAgentIdSchema,
  LIMITS,
  parseTopic,
  type AcpAgentConfig,
  type LogEntry,
  type ThreadEvent,
  type User,
} from '@remote-chat/protocol';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { hostname } from 'node:os';
import express from 'express';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { Auth } from './auth.js';
import { isPostgresUrl, startRelay } from './cluster/cluster.js';
import { Metrics } from './cluster/metrics.js';
import { prepareDataDir, restrictDataFiles } from './data-dir.js';
import type { Grant } from './credential-watch.js';
import { cors } from './http/cors.js';
import { errorHandler } from './http/error-handler.js';
import { isAllowedOrigin } from './http/origins.js';
import { RateLimiter } from './rate-limiter.js';
import { createRoutes } from './http/routes.js';
import { deliveredEntries, Hub } from './hub.js';
import { EntryWriter } from './entry-writer.js';
import { RESEND_WAIT_MS, ResendFence } from './resend-fence.js';
import { ExecutionGateway } from './gateway/execution-gateway.js';
import { ConfigError, emptyGatewayConfig, modelInfo, type GatewayConfig } from './gateway/gateway-config.js';
import { InferenceHandler } from './gateway/inference.js';
import { Upstreams } from './gateway/upstream.js';
import { GitHubApi } from './github/github-api.js';
import { cloneCheck } from './github/clone-check.js';
import type { GitHubConfig } from './github/github-config.js';
import { GitHubOAuth } from './github/github-oauth.js';
import { defaultProviders } from './providers/default-providers.js';
import type { Provider } from './providers/provider.js';
import type { ProviderAudience } from './providers/provider-access.js';
import type { SandboxNetwork } from './providers/sandbox-command.js';
import { Runtimes } from './runtimes/runtimes.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from './runtimes/supervisor.js';
import { ServerSecret } from './secrets.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import {
  STREAM_MAX_PAYLOAD,
  StreamConnection,
  entryFrame,
  type EntryHub,
  type StreamDeps,
  type StreamLimits,
} from './stream.js';
import { ThreadAgents } from './thread-agents.js';

export interface RemoteChatOptions {
  /** Where the SQLite database, the server secret and process runtimes live. */
  dataDir: string;
  /** `postgres://…` to use Postgres; SQLite in `dataDir` when unset. */
  databaseUrl?: string;
  /**
   * SQLite durability: `full` fsyncs each commit (an acknowledged event survives power loss);
   * `normal` survives a process kill but may lose the last commits on power loss. @default 'full'
   */
  sqliteSynchronous?: 'full' | 'normal';
  /**
   * The server secret (base64url, ≥ 32 bytes), the same on every instance of a cluster.
   * @default made once into `dataDir`
   */
  secret?: string;
  /**
   * `redis://…` to relay between instances through Redis pub/sub; without it, instances on
   * Postgres relay through `LISTEN/NOTIFY`. Needs a Postgres `databaseUrl`.
   */
  redisUrl?: string;
  /**
   * This process's name in a cluster: it holds link leases under it. A restart with the same name
   * takes its leases back at once. @default the host name and a hash of `dataDir`
   */
  instanceId?: string;
  /** How long a link lease lasts without a heartbeat (cluster only). @default 15_000 */
  leaseTtlMs?: number;
  /** How often every followed topic is read again, in case a relay message was lost. @default 5000 */
  relayRecheckMs?: number;
  /** A store to use instead of opening one (tests, custom deployments). */
  store?: Store;
  /**
   * Providers offered under New; the first is the picker's default.
   * @default the Local sandbox (bubblewrap) when it works on this host, then the Local process
   */
  providers?: Provider[];
  /**
   * Providers the configuration switched on (cloud sandboxes, SSH hosts, modules): offered before
   * the default ones, so the first is the picker's default. Ignored with `providers`. @default []
   */
  configuredProviders?: Provider[];
  /**
   * Who may use the default Local process provider, whose runtimes are not sandboxed: `owner`, or
   * `all` to let a host site's users in too. @default 'owner'
   */
  processProviderFor?: ProviderAudience;
  /** What the default Local sandbox reaches: `none` (only its link) or `internet`. @default 'none' */
  sandboxNetwork?: SandboxNetwork;
  /** Origins, besides the BFF's own, whose pages may use the API with the user's cookie. @default [] */
  allowedOrigins?: string[];
  /** The WebSocket path browsers connect to. @default '/api/stream' */
  streamPath?: string;
  /**
   * Where a runtime's `clone` step clones `owner/name` from, whatever its provider.
   * @default `github.webUrl`, else 'https://github.com'
   */
  gitBaseUrl?: string;
  /**
   * GitHub sign-in (an OAuth app or a GitHub App), its API for the repository selector, and the
   * size check before a clone. `loadGitHubConfig` reads it from `REMOTE_CHAT_GITHUB_*`. @default off
   */
  github?: GitHubConfig;
  /**
   * The one-file runtime (`remote-chat-runtime.js`) that every provider's `install` step puts into
   * its runtimes and the standalone server serves. The BFF never imports runtime code.
   * @default the built bundle of the installed `@remote-chat/runtime` (`@remote-chat/runtime/bundle`)
   */
  runtimeFile?: string;
  /** @default a pino logger at `info` on stderr, with secrets redacted */
  logger?: Logger;
  stream?: StreamLimits;
  /**
   * Idle shutdown of sandbox runtimes: the window, and how often to look.
   * @default 1 hour, every tenth of the window but at least every minute
   */
  idleTimeoutMs?: number;
  idleCheckMs?: number;
  /**
   * The execution gateway: the models runtimes may call through the BFF (keys stay here), the
   * capability policies, the daily token budget, timeouts and limits. `loadGatewayConfig` reads
   * them from the environment and a config file.
   * @default no model: no `llm` agent, every capability refused
   */
  gateway?: Partial<GatewayConfig>;
  /**
   * ACP agents sandbox runtimes may start, sent to them in their settings; `GET /api/config` lists
   * them. `loadAgentsConfig` reads them from `REMOTE_CHAT_ACP_AGENTS` and the config file. @default []
   */
  acpAgents?: AcpAgentConfig[];
  /** An agent's permission request left unanswered this long is denied (sent to sandboxes). @default 300_000 */
  permissionTimeoutMs?: number;
}

export interface RemoteChat {
  /** This process's name in a cluster. */
  instanceId: string;
  /** The REST API; mount it at `/api` (or wherever `streamPath`'s folder is). */
  router: express.Router;
  /** Routes a WebSocket upgrade for `streamPath`; returns false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  auth: Auth;
  store: Store;
  runtimes: Runtimes;
  logger: Logger;
  /** Re-attaches the runtimes that were up before a restart. */
  resume(): Promise<void>;
  /** This instance's Prometheus metrics (the standalone server serves them at `/metrics`). */
  metrics: Metrics;
  /** Null when the instance takes work: the store answers and it is not draining; else why not. */
  unready(): Promise<string | null>;
  /**
   * Drains this instance of a cluster: not ready from now on, link leases let go and links and
   * browser streams closed with 4504 (`reconnectElsewhere`), so they reconnect to another instance
   * at once. `close` after it.
   */
  drain(): Promise<void>;
  /** Closes links and sockets and the store; runtimes keep running. */
  close(): Promise<void>;
}

/** Paths pino must never print: credentials travel in these. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'token',
  '*.token',
  'headers.authorization',
  'headers.cookie',
  'ticket',
  '*.ticket',
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
  // GitHub tokens travel per request (and in the bodies of runtime creation and push).
  'req.headers["x-github-token"]',
  'headers["x-github-token"]',
  'githubToken',
  '*.githubToken',
  'code_verifier',
  '*.code_verifier',
];

/** A request's target as a URL, or null when it is not one (`//[`, `http://[/x`): a peer chose it. */
function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

export function createLogger(level = 'info'): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.destination(2));
}

/**
 * Builds the BFF: store, hub, runtime manager, REST router and the stream's upgrade handler.
 * Mount `router` beside an existing backend and route upgrades to `handleUpgrade`.
 *
 * @example
 * const chat = await createRemoteChat({ dataDir: './data' });
 * app.use('/api', chat.router);
 * server.on('upgrade', (req, socket, head) => chat.handleUpgrade(req, socket, head) || socket.destroy());
 */
export async function createRemoteChat(options: RemoteChatOptions): Promise<RemoteChat> {
  const logger = options.logger ?? createLogger();
  // Private before anything is written: the database, the secret and workspaces live there.
  prepareDataDir(options.dataDir);
  const store =
    options.store ??
    (await openStore({
      databaseUrl: options.databaseUrl,
      dataDir: options.dataDir,
      sqliteSynchronous: options.sqliteSynchronous,
      onIdleError: (error) =>
        logger.warn({ err: error.message }, 'a pooled database connection failed; it will be replaced'),
    }));
  const secret = ServerSecret.load(options.dataDir, options.secret);
  restrictDataFiles(options.dataDir);
  const instanceId =
    options.instanceId ??
    `${hostname()}-${createHash('sha256').update(resolve(options.dataDir)).digest('hex').slice(0, 8)}`;
  const hub: EntryHub = new Hub<ThreadEvent | LogEntry, Buffer>(
    async (topic, after, limit, maxBytes) => {
      const parsed = parseTopic(topic);
      if (parsed?.family === 'thread') return store.listEvents(parsed.id, after, limit, maxBytes);
      if (parsed?.family === 'runtime-log') return store.listLog(parsed.id, after, limit, maxBytes);
      throw new Error(`${topic} is not a seq topic`);
    },
    (topic, error) => logger.warn({ topic, err: String(error) }, 'reading another instance’s entries failed'),
    // A reader whose socket fell behind resumes from the frames built for everyone.
    { keep: entryFrame, weigh: (frame) => frame.length },
  );
  const metrics = new Metrics(instanceId, {
    streams: () => sockets.clients.size,
    links: () => runtimes.linkCount,
    delivered: deliveredEntries,
  });
  const relay = await startRelay({
    ...options,
    instanceId,
    hub,
    logger,
    onTraffic: (direction) => metrics.relayMessages.inc({ direction }),
  });
  let fence: ResendFence | null = null;
  if (store.unclean) {
    fence = new ResendFence(RESEND_WAIT_MS);
    logger.warn(
      { waitMs: RESEND_WAIT_MS },
      'the database was not closed last time: messages to a runtime’s threads wait until it has resent what it had sent',
    );
  }
  const writer = new EntryWriter(store, hub, {
    observe: (kind, stored, seconds) => {
      metrics.eventsStored.inc({ topic: kind }, stored);
      metrics.storeSeconds.observe({ operation: kind === 'thread' ? 'append_events' : 'append_log' }, seconds);
    },
    fence,
    // One process owns a SQLite database; Postgres may be shared by the instances of a cluster.
    soleWriter: store.dialect === 'sqlite',
  });
  const githubApi = options.github ? new GitHubApi(options.github) : undefined;
  const providerList = options.providers ?? [
    ...(options.configuredProviders ?? []),
    ...(await defaultProviders({
      dataDir: options.dataDir,
      processProviderFor: options.processProviderFor,
      sandboxNetwork: options.sandboxNetwork,
      logger,
    })),
  ];
  const providers = new Map(providerList.map((p) => [p.id, p]));
  if (providers.size < providerList.length)
    throw new ConfigError(`two providers have the same id (${providerList.map((p) => p.id).join(', ')})`);
  const allowedOrigins = (options.allowedOrigins ?? []).map((o) => new URL(o).origin);
  const auth = new Auth(store, secret, allowedOrigins, {
    onWatchError: (error) => logger.warn({ err: error }, 'checking open connections’ credentials failed'),
  });
  const gatewayConfig: GatewayConfig = { ...emptyGatewayConfig(), ...options.gateway };
  if (!options.gateway?.capabilities && gatewayConfig.models.length > 0)
    gatewayConfig.capabilities = { inference: 'proxy' };
  const models = gatewayConfig.models.map(modelInfo);
  const gateway = new ExecutionGateway({
    config: gatewayConfig,
    logger,
    handlers: {
      inference: new InferenceHandler({
        models: gatewayConfig.models,
        dailyTokens: gatewayConfig.dailyTokens,
        usage: store,
        ownsThread: (runtimeId, threadId) => runtimes.ownsThread(runtimeId, threadId),
        upstreams: new Upstreams(gatewayConfig.timeoutMs),
        logger,
      }),
    },
  });
  // Counted as they come in, whatever the gateway answers.
  const receiveGatewayFrame = gateway.receive.bind(gateway);
  gateway.receive = (link, frame) => {
    metrics.gatewayCalls.inc({ capability: frame.type === 'executionGateway.cancel' ? 'cancel' : frame.capability });
    receiveGatewayFrame(link, frame);
  };
  const runtimes: Runtimes = new Runtimes({
    gateway,
    onLeaseChange: (change, count) => metrics.leaseChanges.inc({ change }, count),
    models,
    authenticateMachine: async (token) => {
      const caller = await auth.fromApiToken(token);
      return caller && { userId: caller.user.id, watch: (onEnd) => auth.watchGrant(caller.grant, onEnd) };
    },
    store,
    writer,
    hub,
    providers,
    secret,
    logger,
    ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
    ...(options.idleCheckMs !== undefined && { idleCheckMs: options.idleCheckMs }),
    agentSettings: {
      acpAgents: options.acpAgents ?? [],
      ...(options.permissionTimeoutMs !== undefined && { permissionTimeoutMs: options.permissionTimeoutMs }),
    },
    gitBaseUrl: options.gitBaseUrl ?? options.github?.webUrl,
    ...(githubApi && options.github && { checkSource: cloneCheck(githubApi, options.github.maxRepoMb * 1024) }),
    runtimeFile: options.runtimeFile,
    ...(isPostgresUrl(options.databaseUrl) && {
      cluster: { instanceId, leaseTtlMs: options.leaseTtlMs ?? 15_000 },
    }),
  });
  const streamPath = options.streamPath ?? '/api/stream';
  const linkPath = streamPath.replace(/stream$/, 'link');
  const agentPath = streamPath.replace(/stream$/, 'agent');
  const threadAgents = new ThreadAgents({
    store,
    writer,
    logger,
    watchGrant: (grant, onEnd) => auth.watchGrant(grant, onEnd),
    // The thread lists show who is connected: the composer's picker offers them.
    onAgentsChanged: (threadId) => {
      store
        .getThread(threadId)
        .then((thread) => thread && writer.notifyThread(thread))
        .catch((error: unknown) => logger.warn({ threadId, err: String(error) }, 'telling the thread list failed'));
    },
  });
  writer.threadAgentsOf = (threadId) => threadAgents.agentsOf(threadId);
  const failedAuthLimiter = new RateLimiter({ burst: 30, perMinute: 30 });
  // Every hello costs a token check and runtime reads: an address may open this many links.
  const linkLimiter = new RateLimiter({ burst: 60, perMinute: 600 });

  const router = express.Router();
  router.use(cors(allowedOrigins));
  router.use(
    createRoutes({
      store,
      auth,
      writer,
      runtimes,
      providers,
      allowedOrigins,
      threadAgents,
      tokenLimiter: new RateLimiter({ burst: 20, perMinute: 10 }),
      failedAuthLimiter,
      models,
      dailyTokens: gatewayConfig.dailyTokens,
      acpAgents: options.acpAgents ?? [],
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      ...(githubApi &&
        options.github && {
          github: {
            api: githubApi,
            oauth: new GitHubOAuth(options.github, secret.derive('github-oauth', 'v1')),
            webUrl: options.github.webUrl,
          },
        }),
    }),
  );
  router.use(errorHandler(logger));

  const sockets = new WebSocketServer({ noServer: true, maxPayload: STREAM_MAX_PAYLOAD, perMessageDeflate: false });
  const streamDeps: StreamDeps = {
    store,
    hub,
    runtimes,
    writer,
    credentials: auth.credentialWatch,
    ...(options.stream && { limits: options.stream }),
  };
  const agentSockets = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.maxAgentFrameBytes,
    perMessageDeflate: false,
  });
  const links = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(LIMITS.maxLinkFrameBytes, LIMITS.maxGatewayFrameBytes),
    perMessageDeflate: false,
  });

  function refuse(socket: Duplex, status: number, text: string): void {
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  }

  /** Who opens a browser stream, and with what: a one-time ticket (`?ticket=`), else the session cookie. */
  async function streamUser(req: IncomingMessage, url: URL): Promise<{ user: User; grant: Grant } | null> {
    const ticket = url.searchParams.get('ticket');
    if (ticket !== null) return auth.redeemStreamTicket(ticket, req.headers.origin);
    const caller = await auth.authenticate({ cookie: req.headers.cookie });
    return caller?.via === 'session' ? caller : null;
  }

  /** One listener for every upgraded socket, rather than a closure per socket that outlives the upgrade. */
  const onUpgradeSocketError = (error: Error) => logger.debug({ err: error.message }, 'upgrade socket failed');

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    // Node's HTTP server stops listening for errors on a socket it hands over for an upgrade: a
    // peer that resets it while we authenticate would otherwise end the process.
    socket.on('error', onUpgradeSocketError);
    const url = requestUrl(req);
    if (!url) {
      refuse(socket, 400, 'Bad Request');
      return true;
    }
    if (url.pathname === linkPath) {
      // Runtime links come from programs, never from web pages.
      if (req.headers.origin !== undefined) {
        refuse(socket, 403, 'Forbidden');
        return true;
      }
      const address = req.socket.remoteAddress ?? 'unknown';
      if (linkLimiter.take(address) > 0) {
        refuse(socket, 429, 'Too Many Requests');
        return true;
      }
      links.handleUpgrade(req, socket, head, (ws) => {
        // Guessing tokens costs, as on REST: a refused hello draws from the address's failed-auth bucket.
        const refusal = () =>
          failedAuthLimiter.take(address) > 0
            ? { code: CLOSE_CODES.rateLimited, reason: 'too many refused hellos; try again later' }
            : false;
        runtimes
          .acceptMachine(ws, refusal, socket)
          .catch((error: unknown) => logger.info({ err: String(error) }, 'machine link refused'));
      });
      return true;
    }
    if (url.pathname === agentPath) {
      // Self-run agents are programs; a page may open it only from an allowed origin, like the stream.
      if (!isAllowedOrigin(req, allowedOrigins)) {
        refuse(socket, 403, 'Forbidden');
        return true;
      }
      // Every upgrade costs a token lookup: an address may open as many as it may open links.
      if (linkLimiter.take(req.socket.remoteAddress ?? 'unknown') > 0) {
        refuse(socket, 429, 'Too Many Requests');
        return true;
      }
      void openAgent(req, socket, head, url);
      return true;
    }
    if (url.pathname !== streamPath) return false;
    // Cross-site WebSocket hijacking: a page elsewhere could open this socket with our cookie.
    if (!isAllowedOrigin(req, allowedOrigins)) {
      refuse(socket, 403, 'Forbidden');
      return true;
    }
    void openStream(req, socket, head, url);
    return true;
  }

  /** A self-run agent with a thread token (`Authorization: Bearer rcat_…`), for that thread only. */
  async function openAgent(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    try {
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
      const caller = await auth.fromAgentToken(token);
      if (!caller) {
        const wait = failedAuthLimiter.take(req.socket.remoteAddress ?? 'unknown');
        refuse(socket, wait > 0 ? 429 : 401, wait > 0 ? 'Too Many Requests' : 'Unauthorized');
        return;
      }
      const agentId = url.searchParams.get('agentId');
      if (agentId !== null && !ExternalAgentIdSchema.safeParse(agentId).success) {
        refuse(socket, 400, 'Bad Request');
        return;
      }
      agentSockets.handleUpgrade(req, socket, head, (ws) => threadAgents.accept(ws, caller, agentId ?? undefined));
    } catch (error) {
      logger.error({ err: error }, 'opening an agent socket failed');
      refuse(socket, 500, 'Internal Server Error');
    }
  }

  async function openStream(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    try {
      const opener = await streamUser(req, url);
      if (!opener) {
        const wait = failedAuthLimiter.take(req.socket.remoteAddress ?? 'unknown');
        refuse(socket, wait > 0 ? 429 : 401, wait > 0 ? 'Too Many Requests' : 'Unauthorized');
        return;
      }
      sockets.handleUpgrade(req, socket, head, (ws) => new StreamConnection(ws, opener, streamDeps, socket));
    } catch (error) {
      logger.error({ err: error }, 'opening a stream failed');
      refuse(socket, 500, 'Internal Server Error');
    }
  }

  let draining = false;
  return {
    instanceId,
    router,
    handleUpgrade,
    auth,
    store,
    runtimes,
    logger,
    resume: () => runtimes.resumeAll(),
    metrics,
    async unready() {
      if (draining) return 'draining';
      try {
        // Any read: a missing runtime answers null once the store does.
        await store.getRuntime('readiness-probe');
        return null;
      } catch (error) {
        return `the store does not answer: ${String(error)}`;
      }
    },
    async drain() {
      draining = true;
      await runtimes.drain();
      for (const client of sockets.clients)
        client.close(CLOSE_CODES.reconnectElsewhere, 'this instance is draining; reconnect elsewhere');
    },
    async close() {
      fence?.close();
      auth.close();
      for (const client of sockets.clients) client.close(CLOSE_CODES.goingAway, 'server shutting down');
      sockets.close();
      threadAgents.close();
      agentSockets.close();
      links.close();
      gateway.close();
      await runtimes.close();
      await writer.drain();
      await relay?.close();
      await store.close();
    },
  };
}
