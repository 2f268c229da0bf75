import {
  ServerFrameSchema,
  streamTopic,
  type CreateRuntimeRequest,
  type Runtime,
  type ServerFrame,
  type ThreadEvent,
} from '@remote-chat/protocol';
import { startServer, createLogger, type RunningServer, type ServerOptions } from '@remote-chat/bff';
import { onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { freshPostgresDatabase } from './databases.js';
import { tempDir } from './temp-dir.js';

export interface TestBff {
  server: RunningServer;
  url: string;
  dataDir: string;
  /** The Postgres database, when the BFF runs on one. */
  databaseUrl: string | undefined;
  /** The owner's session cookie header. */
  cookie: string;
  /** fetch against the BFF as the signed-in owner, with a JSON body when given. */
  api(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** Opens the browser stream as the owner. */
  stream(): Promise<StreamClient>;
  /** Stops the server (not the runtimes). */
  stop(): Promise<void>;
}

/** Signs in through a one-time link and returns the session cookie header. */
export async function signIn(link: string): Promise<string> {
  const response = await fetch(link, { redirect: 'manual' });
  if (response.status !== 303) throw new Error(`sign-in answered ${response.status}`);
  const cookie = response.headers.get('set-cookie');
  if (!cookie) throw new Error('sign-in set no cookie');
  return cookie.split(';')[0]!;
}

/**
 * Starts a BFF in this process on a free loopback port, quiet, with its own data directory, and
 * signs the owner in. Runtimes it made are deleted and the server stopped when the test ends.
 */
export async function startTestBff(
  options: Partial<ServerOptions> & { dialect?: 'sqlite' | 'postgres' } = {},
): Promise<TestBff> {
  const { dialect, ...rest } = options;
  const dataDir = rest.dataDir ?? tempDir('rc-bff-');
  const databaseUrl = rest.databaseUrl ?? (dialect === 'postgres' ? await freshPostgresDatabase() : undefined);
  const server = await startServer({
    port: 0,
    dataDir,
    logger: createLogger('silent'),
    ...rest,
    ...(databaseUrl && { databaseUrl }),
  });
  const cookie = await signIn(await server.signinLink());
  let stopped = false;
  const bff: TestBff = {
    server,
    url: server.url,
    dataDir,
    databaseUrl,
    cookie,
    api: (path, init = {}) =>
      fetch(`${server.url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          cookie,
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body !== undefined && { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
      }),
    stream: () => StreamClient.open(server.url, cookie),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
    },
  };
  onTestFinished(async () => {
    if (!stopped) await cleanUpRuntimes(bff);
    await bff.stop();
  });
  return bff;
}

/** Deletes every runtime of every user, which stops their processes. */
export async function cleanUpRuntimes(bff: TestBff): Promise<void> {
  const { store, runtimes } = bff.server.chat;
  const all = await store.listRuntimes(null);
  await Promise.all(all.map((r) => runtimes.delete(r.userId, r.id).catch(() => undefined)));
}

/** A browser-stream client for tests: records every frame and waits for conditions. */
export class StreamClient {
  readonly frames: ServerFrame[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(ServerFrameSchema.parse(JSON.parse(String(data))));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Opens the stream with a cookie (or '' for none), extra headers and a query such as `?ticket=…`. */
  static async open(
    url: string,
    cookie: string,
    headers: Record<string, string> = {},
    query = '',
  ): Promise<StreamClient> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream${query}`, {
      headers: { ...(cookie && { cookie }), ...headers },
    });
    const client = new StreamClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await client.until(() => client.frames.some((f) => f.type === 'welcome'));
    onTestFinished(() => socket.close());
    return client;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Thread events received on a topic, in arrival order. */
  events(threadId: string): ThreadEvent[] {
    return this.frames.flatMap((f) =>
      f.type === 'event' && f.topic === streamTopic.thread(threadId) ? [f.event] : [],
    );
  }

  async until(check: () => boolean, timeoutMs = 20_000, what = 'a frame'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; last frames: ${JSON.stringify(this.frames.slice(-5)).slice(0, 2000)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/**
 * Creates a runtime (`process` unless told; `request` adds a repository, a name, an agent) and
 * waits until it is ready; returns it with its first thread.
 */
export async function readyRuntime(
  bff: Pick<TestBff, 'api'>,
  provider = 'process',
  request: Omit<CreateRuntimeRequest, 'provider'> = {},
): Promise<{ runtime: Runtime; threadId: string }> {
  const created = await bff.api('/api/runtimes', { body: { ...request, provider } });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
  const runtime = (await created.json()) as Runtime;
  // A bound, not a measure: an SSH host's steps are round trips, slow on a loaded machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const current = (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime;
    if (current.status === 'ready') break;
    if (current.status === 'failed') {
      const log = await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json();
      throw new Error(`runtime failed: ${JSON.stringify(log)}`);
    }
    if (Date.now() > deadline) throw new Error('runtime did not become ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  const thread = (await (await bff.api(`/api/runtimes/${runtime.id}/threads`, { body: {} })).json()) as { id: string };
  return { runtime, threadId: thread.id };
}

let counter = 0;
/** A client id for a message, unique per test run. */
export function clientId(): string {
  return `test-${process.pid}-${Date.now()}-${++counter}`;
}
