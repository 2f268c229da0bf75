import type { Runtime, Thread, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { StreamClient, clientId, readyRuntime, signIn, startTestBff } from './support/bff.js';
import { spawnBff } from './support/bff-process.js';
import { freshPostgresDatabase } from './support/databases.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tempDir } from './support/temp-dir.js';

/** A command whose output is numbered lines, so loss, duplication and reordering all show. */
const LINES = 60;
const COMMAND = `for i in $(seq 1 ${LINES}); do echo line-$i; sleep 0.04; done`;
const EXPECTED = Array.from({ length: LINES }, (_, i) => `line-${i + 1}`);

function lines(events: ThreadEvent[]): string[] {
  return events
    .flatMap((e) => (e.kind === 'tool.output' ? [e.data] : []))
    .join('')
    .split('\n')
    .filter(Boolean);
}

/** Checks a thread's events are exactly what the agent produced for COMMAND: once each, in order. */
function expectExactlyOnce(events: ThreadEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(lines(events)).toEqual(EXPECTED);
  expect(events.filter((e) => e.kind === 'message.user')).toHaveLength(1);
  expect(events.filter((e) => e.kind === 'tool.call')).toHaveLength(1);
  expect(events.filter((e) => e.kind === 'tool.result')).toEqual([expect.objectContaining({ ok: true, exitCode: 0 })]);
}

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const finished = (events: ThreadEvent[]) => events.some((e) => e.kind === 'status' && e.state === 'idle');

describe('nothing lost', () => {
  it.each(['sqlite', 'postgres'] as const)(
    'keeps every event on %s, once and in order, when the BFF is SIGKILLed mid-stream and restarted',
    async (dialect) => {
      const dataDir = tempDir();
      // Postgres through DATABASE_URL, as a deployment configures it.
      const env: Record<string, string> = dialect === 'postgres' ? { DATABASE_URL: await freshPostgresDatabase() } : {};
      let bff = await spawnBff(['--data-dir', dataDir], env);
      const cookie = await signIn(bff.signinLink);
      const api = (url: string, path: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      const runtime = (await (await api(bff.url, '/api/runtimes', { provider: 'process' })).json()) as Runtime;
      await poll(
        async () => (await (await api(bff.url, `/api/runtimes/${runtime.id}`)).json()) as Runtime,
        (r) => r.status === 'ready',
      );
      const thread = (await (await api(bff.url, `/api/runtimes/${runtime.id}/threads`, {})).json()) as Thread;
      const events = async (url: string) =>
        ((await (await api(url, `/api/threads/${thread.id}/events`)).json()) as { events: ThreadEvent[] }).events;

      await api(bff.url, `/api/threads/${thread.id}/messages`, { clientId: clientId(), text: COMMAND });
      await poll(
        () => events(bff.url),
        (e) => lines(e).length >= 5,
      );
      bff.child.kill('SIGKILL');
      await bff.exited;
      // The command goes on while nobody listens.
      await new Promise((r) => setTimeout(r, 800));

      bff = await spawnBff(['--data-dir', dataDir], env);
      const all = await poll(() => events(bff.url), finished);
      expectExactlyOnce(all);
    },
  );

  it('keeps every event, once and in order, when the runtime link is cut mid-stream', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff);
    const stream = await bff.stream();
    stream.send({ type: 'subscribe', topic: `thread:${threadId}` });
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: COMMAND } });
    for (const after of [5, 20, 40]) {
      await stream.until(() => lines(stream.events(threadId)).length >= after);
      expect(bff.server.chat.runtimes.dropLink('owner', runtime.id)).toBe(true);
    }
    await stream.until(() => finished(stream.events(threadId)), 30_000);
    expectExactlyOnce(stream.events(threadId));
    const stored = ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] })
      .events;
    expect(stored).toEqual(stream.events(threadId));
  });

  it('shows a browser every event once and in order when its socket drops mid-stream', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const proxy = await startTcpProxy(Number(new URL(bff.url).port));
    // A stream client that resumes from its last seq after each drop, as the browser client does.
    const seen: ThreadEvent[] = [];
    const connect = async () => {
      const stream = await StreamClient.open(proxy.url, bff.cookie);
      stream.socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; event?: ThreadEvent };
        if (frame.type === 'event' && frame.event) seen.push(frame.event);
      });
      stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: seen.at(-1)?.seq ?? 0 });
      return stream;
    };
    await connect();
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: COMMAND } });
    for (const after of [5, 25, 45]) {
      await poll(
        async () => lines(seen).length,
        (n) => n >= after,
      );
      expect(proxy.dropAll()).toBeGreaterThan(0);
      await connect();
    }
    await poll(async () => seen, finished);
    expectExactlyOnce(seen);
  });
});
