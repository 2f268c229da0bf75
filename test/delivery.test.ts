import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Runtime, Thread, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, signIn } from './support/bff.js';
import { spawnBff, type BffProcess } from './support/bff-process.js';
import { freePort, project, startConnect } from './support/machine.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp-dir.js';

/** A reconnect after a BFF restart waits out the machine's backoff (1 s doubling). */
const TIMEOUT = 60_000;

async function poll<T>(read: () => Promise<T> | T, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const value = await Promise.resolve()
      .then(read)
      .catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A BFF run as a process, and a machine runtime (`connect`) that reaches it through a proxy the
 * test controls: the link can be taken down (the machine keeps trying), acknowledgements held,
 * and the BFF SIGKILLed and started again on the same port and data.
 */
async function setUp() {
  const dataDir = tempDir();
  const home = tempDir('rc-home-');
  const port = await freePort();
  let bff: BffProcess = await spawnBff(['--data-dir', dataDir, '--port', String(port)]);
  const cookie = await signIn(bff.signinLink);
  const api = (path: string, init: { body?: unknown; raw?: Buffer } = {}) =>
    fetch(`${bff.url}${path}`, {
      method: init.body === undefined && init.raw === undefined ? 'GET' : 'POST',
      headers: { cookie, 'content-type': init.raw ? 'application/octet-stream' : 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      ...(init.raw !== undefined && { body: new Uint8Array(init.raw) }),
    });
  const { token } = (await (await api('/api/tokens', { body: { name: 'laptop' } })).json()) as { token: string };
  const folder = project(home, 'app', 'https://github.com/octo/app.git');
  const proxy: TcpProxy = await startTcpProxy(port);
  const machine = () => startConnect([folder, '--url', proxy.url], { HOME: home, REMOTE_CHAT_TOKEN: token });
  let connect = machine();
  const runtimeOf = async () =>
    ((await (await api('/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes.find((r) => r.kind === 'machine');
  const runtime = await poll(runtimeOf, (r) => r?.status === 'ready', 'the machine to be ready');
  const thread = (await (await api(`/api/runtimes/${runtime!.id}/threads`, { body: {} })).json()) as Thread;
  const events = async () =>
    ((await (await api(`/api/threads/${thread.id}/events`)).json()) as { events: ThreadEvent[] }).events;

  const chat = {
    folder,
    proxy,
    api,
    thread,
    events,
    /** Waits for the thread's last event to be `status idle` after a `tool.result`. */
    idle: () =>
      poll(
        events,
        (list) => list.at(-1)?.kind === 'status' && list.some((e) => e.kind === 'tool.result'),
        'the thread to go idle',
      ),
    /** How many messages the BFF keeps for the runtime that it has not acknowledged. */
    unacknowledged(): number {
      const db = new Sqlite(join(dataDir, 'remote-chat.db'), { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare('SELECT count(*) AS n FROM outbound WHERE runtime_id = ?').get(runtime!.id) as {
          n: number;
        };
        return row.n;
      } finally {
        db.close();
      }
    },
    /** Cuts the link and keeps it down; the machine keeps redialling and failing. */
    async linkDown() {
      proxy.refuse(true);
      proxy.dropAll();
      await poll(runtimeOf, (r) => r?.link === 'offline', 'the link to go down');
    },
    /** SIGKILLs the BFF and starts it again on the same port and data. */
    async restartBff() {
      bff.child.kill('SIGKILL');
      await bff.exited;
      bff = await spawnBff(['--data-dir', dataDir, '--port', String(port)]);
    },
    linkUp: () => proxy.refuse(false),
    async killMachine() {
      connect.child.kill('SIGKILL');
      await connect.exited;
    },
    startMachine() {
      connect = machine();
    },
  };
  // What the BFF sent at the handshake (the model list) is acknowledged before a test counts what it keeps.
  await poll(
    () => chat.unacknowledged(),
    (n) => n === 0,
    'the first messages to be acknowledged',
  );
  return chat;
}

const toolCalls = (events: ThreadEvent[]) => events.filter((e) => e.kind === 'tool.call');

describe('what the BFF sends a runtime, across restarts', () => {
  it('delivers a message sent while the link was down, once, after the BFF is SIGKILLed and restarted', async () => {
    const chat = await setUp();
    await chat.linkDown();
    const sent = await chat.api(`/api/threads/${chat.thread.id}/messages`, {
      body: { clientId: clientId(), text: 'echo ran >> runs.txt' },
    });
    expect(sent.status).toBe(202);
    await chat.restartBff();
    chat.linkUp();

    const events = await chat.idle();
    await poll(
      () => chat.unacknowledged(),
      (n) => n === 0,
      'the runtime to acknowledge',
    );
    expect(readFileSync(join(chat.folder, 'runs.txt'), 'utf8')).toBe('ran\n');
    expect(toolCalls(events)).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'tool.result')).toEqual([expect.objectContaining({ ok: true })]);
  }, 120_000);

  it('delivers a cancel sent while the link was down, after the BFF is SIGKILLed and restarted', async () => {
    const chat = await setUp();
    await chat.api(`/api/threads/${chat.thread.id}/messages`, { body: { clientId: clientId(), text: 'sleep 600' } });
    await poll(chat.events, (events) => toolCalls(events).length === 1, 'the command to start');
    await chat.linkDown();
    expect((await chat.api(`/api/threads/${chat.thread.id}/cancel`, { body: {} })).status).toBe(202);
    await chat.restartBff();
    chat.linkUp();

    const events = await chat.idle();
    expect(events.filter((e) => e.kind === 'tool.result')).toEqual([
      expect.objectContaining({ ok: false, error: 'cancelled' }),
    ]);
    await poll(
      () => chat.unacknowledged(),
      (n) => n === 0,
      'the runtime to acknowledge',
    );
  }, 120_000);

  it('delivers an upload sent while the link was down, whole and once, after the BFF is SIGKILLed and restarted', async () => {
    const chat = await setUp();
    await chat.linkDown();
    // Several pieces (LIMITS.uploadChunkBytes each), all kept.
    const bytes = Buffer.alloc(600 * 1024, 'upload ');
    const response = await chat.api(`/api/threads/${chat.thread.id}/uploads?name=notes.txt`, { raw: bytes });
    expect(response.status).toBe(201);
    const { path } = (await response.json()) as { path: string };
    await chat.restartBff();
    chat.linkUp();

    await poll(
      () => chat.unacknowledged(),
      (n) => n === 0,
      'the runtime to acknowledge every piece',
    );
    expect(existsSync(join(chat.folder, `${path}.part`))).toBe(false);
    expect(readFileSync(join(chat.folder, path)).equals(bytes)).toBe(true);
    // A failed piece would have said so in the thread.
    expect(await chat.events()).toEqual([]);
  }, 120_000);

  it('does not run a message twice when the runtime restarts between running it and acknowledging it', async () => {
    const chat = await setUp();
    // The runtime gets the message, but its acknowledgement (and its events) never reach the BFF.
    chat.proxy.holdFromClients(true);
    await chat.api(`/api/threads/${chat.thread.id}/messages`, {
      body: { clientId: clientId(), text: 'echo ran >> runs.txt' },
    });
    await poll(() => existsSync(join(chat.folder, 'runs.txt')), Boolean, 'the command to run');
    await chat.killMachine();
    chat.proxy.dropAll();
    chat.proxy.holdFromClients(false);
    // The BFF still keeps the message: it will send it again.
    expect(chat.unacknowledged()).toBe(1);

    chat.startMachine();
    await poll(
      () => chat.unacknowledged(),
      (n) => n === 0,
      'the runtime to acknowledge the resend',
    );
    const events = await chat.idle();
    expect(readFileSync(join(chat.folder, 'runs.txt'), 'utf8')).toBe('ran\n');
    expect(toolCalls(events)).toHaveLength(1);
  }, 120_000);
});
