import { chmod, lstat, realpath, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import {
  CLOSE_CODES,
  ToRuntimeMessageSchema,
  ToRuntimeUnnumberedFrameSchema,
  type FromRuntimeMessage,
  type FromRuntimeUnnumberedFrame,
  type ToRuntimeMessage,
  type ToRuntimeUnnumberedFrame,
} from '@remote-chat/protocol';
import { LinkSession, type LinkSessionOptions, acceptLink } from '@remote-chat/link';
import { runtimeAgents } from './agents/built-in.js';
import { startAgentEndpoint, type AgentEndpoint } from './agents/external/agent-endpoint.js';
import { openRuntimeState, type RuntimeStateOptions } from './durable/runtime-state.js';
import { EXIT_CODES, RuntimeStartError } from './exit-codes.js';
import { startRuntimeModelGateway } from './model-endpoint/runtime-model-gateway.js';
import type { ModelAccess } from './model-endpoint/model-access.js';
import { removeRuntimeFile, writeRuntimeFile } from './runtime-file.js';
import { RuntimeHost } from './runtime-host.js';
import { DEFAULT_SETTINGS, type RuntimeSettings } from './settings.js';
import { sameSecret } from './same-secret.js';
import { RUNTIME_VERSION } from './version.js';

export interface ServeOptions {
  /** The folder agents work in; must exist. */
  workspace: string;
  /** Where runtime.json, the outbox and the turn journal go; created if missing. */
  stateDir: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /**
   * A Unix socket path to listen on instead of `host` and `port`: for a runtime in its own network
   * namespace, whose BFF reaches it through a folder both see. A socket left by an earlier process
   * is replaced (the state folder's lock keeps two runtimes apart). @default undefined, TCP
   */
  socket?: string;
  /** This runtime's id; the BFF's hello must name it. */
  runtimeId: string;
  /** The credential the BFF's hello must carry. */
  token: string;
  /** @default DEFAULT_SETTINGS */
  settings?: RuntimeSettings;
  /** Link timings and outbox limits (with `outbox`), for tests and tuning. */
  link?: Pick<
    LinkSessionOptions<ToRuntimeMessage>,
    'heartbeatMs' | 'deadAfterMs' | 'maxOutbox' | 'highWater' | 'lowWater'
  >;
  /** The outbox's byte bound and compaction, for tests and tuning. */
  outbox?: RuntimeStateOptions['outbox'];
  /** A `runtime.shutdown` message arrived; the runtime has already begun shutting down. */
  onShutdownRequest?: (reason: string) => void;
  /** Diagnostics for the runtime's log. @default console.error */
  log?: (line: string) => void;
  /** The models the `llm` agent calls (`--own-models`: directly, with the user's own key). @default none */
  model?: ModelAccess;
}

export interface RunningRuntime {
  /** Where it listens: an address and a port, or '' and 0 with `socket`. */
  host: string;
  port: number;
  socket: string | undefined;
  /** Where runtime.json was written. */
  runtimeFile: string;
  /** Cancels running commands, closes the link with goingAway, stops listening, removes runtime.json. Idempotent. */
  shutdown(reason?: string): Promise<void>;
  /** Resolves once the runtime has shut down, whatever started it. */
  closed: Promise<void>;
}

/** How long running commands get to stop at shutdown before the link closes anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * The runtime in a sandbox: an HTTP server (on a TCP port or a Unix socket) with `GET /healthz` and
 * the link endpoint `/link`, which the BFF dials. One link at a time; a newer connection replaces
 * the older (4409). Writes runtime.json when listening.
 */
export async function serve(options: ServeOptions): Promise<RunningRuntime> {
  const log = options.log ?? ((line: string) => console.error(line));
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const workspace = await usableFolder(options.workspace, 'workspace');
  // What a previous process left: unacknowledged frames, the seq numbering, what it handled.
  const state = await openRuntimeState(options.stateDir, {
    log,
    ...(options.outbox ? { outbox: options.outbox } : {}),
  });

  let shutdown: (reason?: string) => Promise<void> = async () => {};
  // Agents reach models through the BFF: a loopback endpoint that forwards over this link.
  const models = await startRuntimeModelGateway((frame) => session.sendGateway(frame)).catch(async (error: Error) => {
    await state.close();
    throw new RuntimeStartError(`cannot start the model endpoint: ${error.message}`, EXIT_CODES.listen);
  });
  const session: LinkSession<
    FromRuntimeMessage,
    ToRuntimeMessage,
    FromRuntimeUnnumberedFrame,
    ToRuntimeUnnumberedFrame
  > = new LinkSession({
    inbound: ToRuntimeMessageSchema,
    onMessage: (message, seq) => host.handle(message, seq),
    outbox: state.outbox,
    lastReceived: state.journal.lastReceived,
    log,
    // Unnumbered frames: the gateway's answers, and pushes (which carry a token, so are never stored).
    gateway: {
      inbound: ToRuntimeUnnumberedFrameSchema,
      onFrame: (frame) => {
        if (frame.type !== 'workspace.push') return models.link.onFrame(frame);
        void host.push(frame).then(
          (result) => session.sendGateway(result),
          (error: unknown) =>
            session.sendGateway({
              type: 'workspace.pushResult',
              requestId: frame.requestId,
              ok: false,
              reason: 'failed',
              error: `The push failed in the runtime: ${error instanceof Error ? error.message : String(error)}`.slice(
                0,
                4096,
              ),
            }),
        );
      },
    },
    ...options.link,
  });
  const host = new RuntimeHost({
    workspace,
    agents: runtimeAgents(workspace, settings, state.commands, {
      stateDir: options.stateDir,
      log,
      ownModels: options.model !== undefined,
    }),
    permissionTimeoutMs: settings.permissionTimeoutMs,
    history: state.history,
    send: (message) => session.sendOrHold(message),
    backpressure: session,
    // Your own models (`--own-models`), called directly; else the BFF's, through the endpoint.
    model: options.model ?? models.endpoint,
    onModels: (list) => models.setModels(list),
    onShutdown: (reason) => {
      options.onShutdownRequest?.(reason);
      void shutdown(`shutdown requested: ${reason}`);
    },
    log,
    journal: state.journal,
    env: () => agentEndpoint.env(),
  });
  host.recoverInterrupted(state.outbox.after(0).map((entry) => entry.message));
  // External agents register here (loopback, the runtime's agent secret).
  const agentEndpoint: AgentEndpoint = await startAgentEndpoint({
    agents: host,
    stateDir: options.stateDir,
    log,
  }).catch(async (error: Error) => {
    await models.close();
    await state.close();
    throw new RuntimeStartError(`cannot start the agent endpoint: ${error.message}`, EXIT_CODES.listen);
  });
  session.onState((state, detail) => {
    models.linkState(state);
    log(`link ${state}${detail ? `: ${detail}` : ''}`);
  });

  const server = createServer((request, response) => respond(request, response, options.runtimeId));
  const wss = new WebSocketServer({ noServer: true, maxPayload: session.maxPayloadBytes, perMessageDeflate: false });
  server.on('upgrade', (request, socket, head) => {
    if (pathOf(request) !== '/link') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      acceptLink(ws, {
        runtimeId: options.runtimeId,
        transport: socket,
        verify: (hello) => hello.runtimeId === options.runtimeId && sameSecret(hello.token, options.token),
        session: () => session,
      })
        .then(() => host.sendInfo())
        .catch((error: unknown) => log(`link refused: ${error instanceof Error ? error.message : String(error)}`));
    });
  });

  const { socket } = options;
  const bindHost = socket === undefined ? (options.host ?? '127.0.0.1') : '';
  const where = socket ?? `${bindHost}:${options.port ?? 0}`;
  await (async () => {
    if (socket !== undefined && (await lstat(socket).catch(() => null))?.isSocket()) await rm(socket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        server.off('error', reject);
        resolve();
      };
      if (socket === undefined) server.listen(options.port ?? 0, bindHost, listening);
      else server.listen(socket, listening);
    });
    if (socket !== undefined) await chmod(socket, 0o600);
  })().catch(async (error: Error) => {
    await agentEndpoint.close();
    await models.close();
    await state.close();
    throw new RuntimeStartError(`cannot listen on ${where}: ${error.message}`, EXIT_CODES.listen);
  });
  const port = socket === undefined ? (server.address() as AddressInfo).port : 0;
  const runtimeFile = await writeRuntimeFile(options.stateDir, {
    pid: process.pid,
    port,
    host: bindHost,
    ...(socket !== undefined && { socket }),
    startedAt: new Date().toISOString(),
    version: RUNTIME_VERSION,
  });
  log(`listening on ${socket ?? `${bindHost}:${port}`}, workspace ${workspace}`);
  log(`agent endpoint ${agentEndpoint.url} (its secret is in ${options.stateDir}/agent-endpoint.json)`);

  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let shuttingDown: Promise<void> | undefined;
  shutdown = (reason = 'runtime shutting down') => {
    shuttingDown ??= (async () => {
      log(`shutting down: ${reason}`);
      await Promise.race([host.cancelAll(), delay(SHUTDOWN_GRACE_MS)]);
      session.detach(CLOSE_CODES.goingAway, 'runtime shutting down');
      for (const client of wss.clients) client.close(CLOSE_CODES.goingAway, 'runtime shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      });
      await agentEndpoint.close();
      await models.close();
      // Frames the BFF has not acknowledged stay on disk for the next start.
      await state.close();
      await removeRuntimeFile(options.stateDir, process.pid);
      resolveClosed();
    })();
    return shuttingDown;
  };

  return { host: bindHost, port, socket, runtimeFile, shutdown: (reason) => shutdown(reason), closed };
}

function respond(request: IncomingMessage, response: ServerResponse, runtimeId: string): void {
  const send = (status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  };
  if (pathOf(request) === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
    send(200, { ok: true, runtimeId, version: RUNTIME_VERSION });
    return;
  }
  send(404, { error: { code: 'not_found', message: 'Only GET /healthz and the /link WebSocket are served here.' } });
}

function pathOf(request: IncomingMessage): string {
  return new URL(request.url ?? '/', 'http://runtime').pathname;
}

async function usableFolder(folder: string, what: string): Promise<string> {
  try {
    const real = await realpath(folder);
    if (!(await stat(real)).isDirectory()) throw new Error('not a folder');
    return real;
  } catch (error) {
    throw new RuntimeStartError(
      `the ${what} ${folder} is not a usable folder: ${(error as Error).message}`,
      EXIT_CODES.workspace,
    );
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
