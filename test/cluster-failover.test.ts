// Two BFF processes on one Postgres behind a proxy that plays the load balancer (issue 16): a
// machine streams through instance B while a browser watches on A; B is SIGKILLed mid-stream, the
// proxy sends the machine's reconnect to A, and the thread ends with every event once, in order,
// including the output of a message B accepted just before it died.
import { randomBytes } from 'node:crypto';
import type { Runtime, Thread, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, signIn, StreamClient } from './support/bff.js';
import { spawnBff } from './support/bff-process.js';
import { freshPostgresDatabase } from './support/databases.js';
import { project, startConnect } from './support/machine.js';
import { testService } from './support/services.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp-dir.js';
import { waitFor } from './support/wait.js';

const LINES = 200;

/** Two instances on one Postgres, a machine reaching B through a proxy (the load balancer), a thread, a browser stream on `streamOn`. */
async function cluster(fanout: 'postgres' | 'redis') {
  const env = {
    DATABASE_URL: await freshPostgresDatabase(),
    REMOTE_CHAT_SECRET: randomBytes(32).toString('base64url'),
    ...(fanout === 'redis' && { REDIS_URL: await testService('redis') }),
  };
  const a = await spawnBff(['--data-dir', tempDir()], env);
  const b = await spawnBff(['--data-dir', tempDir()], env);
  // Signed in on A; the session works on B too (it lives in the store).
  const cookie = await signIn(a.signinLink);
  const api = (base: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const { token } = (await (await api(b.url, '/api/tokens', { name: 'laptop' })).json()) as { token: string };
  const proxy = await startTcpProxy(Number(new URL(b.url).port));
  const home = tempDir('rc-home-');
  const folder = project(home, 'app', 'https://github.com/octo/app.git');
  startConnect([folder, '--url', proxy.url], { HOME: home, REMOTE_CHAT_TOKEN: token });
  const runtime = await waitFor(
    async () =>
      ((await (await api(a.url, '/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes.find(
        (r) => r.kind === 'machine' && r.status === 'ready',
      ),
    'the machine to be ready',
    30_000,
  );
  const thread = (await (await api(a.url, `/api/runtimes/${runtime.id}/threads`, {})).json()) as Thread;
  const subscribe = async (base: string, after = 0) => {
    const stream = await StreamClient.open(base, cookie);
    stream.send({ type: 'subscribe', topic: `thread:${thread.id}`, after });
    return stream;
  };
  /** The stored thread once both commands finished and it went idle, read on A. */
  const finished = (commands: number) =>
    waitFor(
      async () => {
        const list = (
          (await (await api(a.url, `/api/threads/${thread.id}/events`)).json()) as { events: ThreadEvent[] }
        ).events;
        return list.filter((e) => e.kind === 'tool.result').length === commands && list.at(-1)?.kind === 'status'
          ? list
          : null;
      },
      () => `the commands to finish on A:\n${a.output().slice(-2000)}`,
      45_000,
    );
  const long = `for i in $(seq 1 ${LINES}); do echo line-$i; sleep 0.02; done`;
  const expected = Array.from({ length: LINES }, (_, i) => `line-${i + 1}\n`).join('');
  return { a, b, api, proxy, thread, subscribe, finished, long, expected };
}

const outputOf = (events: ThreadEvent[]) => events.flatMap((e) => (e.kind === 'tool.output' ? [e.data] : [])).join('');
const portOf = (url: string) => Number(new URL(url).port);

for (const fanout of ['postgres', 'redis'] as const) {
  describe(`a cluster of two instances (fan-out through ${fanout})`, () => {
    it('loses nothing and doubles nothing when the instance holding a streaming machine is SIGKILLed', async () => {
      const { a, b, api, proxy, thread, subscribe, finished, long, expected } = await cluster(fanout);
      const stream = await subscribe(a.url);
      // Posted on A, run by the machine on B, streamed back to A through the store.
      expect(
        (await api(a.url, `/api/threads/${thread.id}/messages`, { clientId: clientId(), text: long })).status,
      ).toBe(202);
      await stream.until(() => outputOf(stream.events(thread.id)).includes('line-20\n'), 30_000, 'output on A');

      // B accepts a message and dies before it can send it; the load balancer moves to A.
      const accepted = await api(b.url, `/api/threads/${thread.id}/messages`, {
        clientId: clientId(),
        text: 'echo accepted-by-b',
      });
      expect(accepted.status).toBe(202);
      b.child.kill('SIGKILL');
      proxy.retarget(portOf(a.url));
      proxy.dropAll();

      const events = await finished(2);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(outputOf(events)).toBe(`${expected}accepted-by-b\n`);
      expect(events.filter((e) => e.kind === 'message.user')).toHaveLength(2);

      // The browser on A saw exactly the stored thread: no gap, no duplicate.
      await stream.until(() => stream.events(thread.id).length >= events.length, 20_000, 'every event on A');
      expect(stream.events(thread.id).map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    });

    it('drains on SIGTERM: the machine and the browser on B reconnect to A at once, with nothing lost', async () => {
      const { a, b, api, proxy, thread, subscribe, finished, long, expected } = await cluster(fanout);
      expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
      const onB = await subscribe(b.url);
      expect(
        (await api(b.url, `/api/threads/${thread.id}/messages`, { clientId: clientId(), text: long })).status,
      ).toBe(202);
      await onB.until(() => outputOf(onB.events(thread.id)).includes('line-20\n'), 30_000, 'output on B');

      // The load balancer sends new connections to A; B is told to go.
      proxy.retarget(portOf(a.url));
      const closed = new Promise<number>((resolve) => onB.socket.once('close', (code) => resolve(code)));
      b.child.kill('SIGTERM');
      expect(await closed).toBe(4504);
      expect((await b.exited).code).toBe(0);
      // The browser resumes on A from the last seq it has.
      const seen = onB.events(thread.id);
      const onA = await subscribe(a.url, seen.at(-1)?.seq ?? 0);

      const events = await finished(1);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(outputOf(events)).toBe(expected);
      await onA.until(
        () => seen.length + onA.events(thread.id).length >= events.length,
        20_000,
        'the rest of the thread on A',
      );
      expect([...seen, ...onA.events(thread.id)].map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    });
  });
}
