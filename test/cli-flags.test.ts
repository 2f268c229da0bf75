// `remote-chat-bff` flags take effect, seen from outside the process: what it syncs to disk, when
// it stops an idle runtime, which database it writes to.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '@remote-chat/protocol';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { signIn } from './support/bff.js';
import { spawnBff, type BffProcess } from './support/bff-process.js';
import { freshPostgresDatabase } from './support/databases.js';
import { tempDir } from './support/temp-dir.js';

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Runs `work` with strace attached to the BFF and returns how many times the BFF synced its
 * SQLite write-ahead log meanwhile (`fsync`/`fdatasync` of `remote-chat.db-wal`): on its main
 * thread (the event loop) and on others (libuv's thread pool).
 */
async function walSyncsDuring(bff: BffProcess, work: () => Promise<void>): Promise<{ loop: number; pool: number }> {
  const out = join(tempDir('rc-strace-'), 'trace.txt');
  const strace = spawn('strace', ['-f', '-y', '-e', 'trace=fsync,fdatasync', '-o', out, '-p', String(bff.child.pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => strace.once('exit', () => resolve()));
  onTestFinished(async () => {
    if (strace.exitCode === null) strace.kill('SIGKILL');
    await exited;
  });
  // strace says so on stderr once it is attached; only then can nothing be missed.
  await new Promise<void>((resolve, reject) => {
    let said = '';
    strace.once('error', reject);
    strace.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (/attached/.test(said)) resolve();
    });
    void exited.then(() => reject(new Error(`strace could not attach: ${said}`)));
  });
  await work();
  strace.kill('SIGINT');
  await exited;
  // With -f and -o, each line starts with the id of the thread that made the call.
  const syncs = readFileSync(out, 'utf8')
    .split('\n')
    .filter((line) => /\b(fsync|fdatasync)\(\d+<[^>]*remote-chat\.db-wal>\)/.test(line));
  const loop = syncs.filter((line) => line.startsWith(`${bff.child.pid} `)).length;
  return { loop, pool: syncs.length - loop };
}

/** Ten commits: API tokens created by the signed-in owner. */
async function tenCommits(bff: BffProcess, cookie: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const response = await fetch(`${bff.url}/api/tokens`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `commit ${i}` }),
    });
    expect(response.status).toBe(201);
  }
}

describe('remote-chat-bff flags', () => {
  it('--sqlite-synchronous: full syncs the log on every commit, normal does not', async () => {
    const full = await spawnBff(['--data-dir', tempDir()]);
    const normal = await spawnBff(['--data-dir', tempDir(), '--sqlite-synchronous', 'normal']);
    const syncs = {
      default: await walSyncsDuring(full, async () => tenCommits(full, await signIn(full.signinLink))),
      normal: await walSyncsDuring(normal, async () => tenCommits(normal, await signIn(normal.signinLink))),
    };
    expect(syncs.default.loop + syncs.default.pool).toBeGreaterThanOrEqual(10);
    expect(syncs.normal).toEqual({ loop: 0, pool: 0 });
  });

  it("--sqlite-synchronous full: syncs a runtime's events off the event loop", async () => {
    const bff = await spawnBff(['--data-dir', tempDir()]);
    const cookie = await signIn(bff.signinLink);
    const api = async (path: string, body?: unknown) =>
      (
        await fetch(`${bff.url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        })
      ).json();
    const runtime = (await api('/api/runtimes', { provider: 'process' })) as Runtime;
    await until(
      async () => ((await api(`/api/runtimes/${runtime.id}`)) as Runtime).status,
      (s) => s === 'ready',
      'the runtime',
    );
    const thread = (await api(`/api/runtimes/${runtime.id}/threads`, {})) as { id: string };
    const syncs = await walSyncsDuring(bff, async () => {
      await api(`/api/threads/${thread.id}/messages`, {
        clientId: 'three-lines',
        text: 'for i in 1 2 3; do echo $i; done',
      });
      await until(
        async () =>
          (await api(`/api/threads/${thread.id}/events`)) as { events: Array<{ kind: string; state?: string }> },
        (page) => page.events.some((e) => e.kind === 'status' && e.state === 'idle'),
        'the command to end',
      );
    });
    // The message and the runtime's events are appended: synced on libuv's pool. (The loop's own
    // are the other writes, such as the thread's activity.)
    expect(syncs.pool).toBeGreaterThan(0);
  });

  it('--idle-timeout: stops a sandbox runtime after that many minutes without activity', async () => {
    const bff = await spawnBff(['--data-dir', tempDir(), '--idle-timeout', '0.02']);
    const cookie = await signIn(bff.signinLink);
    const api = (path: string, body?: unknown) =>
      fetch(`${bff.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    const runtime = (await (await api('/api/runtimes', { provider: 'process' })).json()) as Runtime;
    const read = async () => ((await (await api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status;
    await until(read, (s) => s !== 'starting', 'the runtime to start');
    // 0.02 minutes is 1.2 s; the default is an hour.
    expect(await until(read, (s) => s === 'stopped' || s === 'failed', 'the idle stop', 15_000)).toBe('stopped');
  });

  it('--database-url: keeps everything in that Postgres database and nothing in the data directory', async () => {
    const dataDir = tempDir();
    const databaseUrl = await freshPostgresDatabase();
    const bff = await spawnBff(['--data-dir', dataDir, '--database-url', databaseUrl]);
    const cookie = await signIn(bff.signinLink);
    const created = await fetch(`${bff.url}/api/tokens`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept in postgres' }),
    });
    expect(created.status).toBe(201);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    onTestFinished(() => db.end());
    const rows = await db.query('SELECT name FROM api_tokens');
    expect(rows.rows).toEqual([{ name: 'kept in postgres' }]);
    expect(existsSync(join(dataDir, 'remote-chat.db'))).toBe(false);
  });
});
