// Several BFF instances on one Postgres (issue 16): a browser on any instance sees every event of
// its threads, once and in order, whichever instance stored it; fan-out goes through Postgres
// LISTEN/NOTIFY, or through Redis pub/sub when REDIS_URL is set.
import { randomBytes } from 'node:crypto';
import type { Runtime, SendMessageResponse, Thread } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff, type TestBff } from './support/bff.js';
import { freshPostgresDatabase } from './support/databases.js';
import { MACHINE_INFO, MachineLink } from './support/machine-link.js';
import { testService } from './support/services.js';
import { apiToken } from './support/tokens.js';
import { waitFor } from './support/wait.js';

const RUNTIME = 'rt_cluster_laptop';

/** Two instances on a fresh database with one secret; the timers are slow, so only the relay can deliver quickly. */
async function twoInstances(fanout: 'postgres' | 'redis'): Promise<[TestBff, TestBff]> {
  const common = {
    databaseUrl: await freshPostgresDatabase(),
    secret: randomBytes(32).toString('base64url'),
    relayRecheckMs: 600_000,
    // Heartbeats (which also pick up handed-off messages) far apart: only the relay's nudge is quick.
    leaseTtlMs: 60_000,
    ...(fanout === 'redis' && { redisUrl: await testService('redis') }),
  };
  return [await startTestBff(common), await startTestBff(common)];
}

async function machineOn(bff: TestBff, token: string): Promise<MachineLink> {
  const link = await MachineLink.open(bff.url, { token, runtimeId: RUNTIME, lastReceived: 0 });
  link.send({ type: 'data', seq: 1, message: MACHINE_INFO });
  await waitFor(
    async () => ((await (await bff.api(`/api/runtimes/${RUNTIME}`)).json()) as Runtime).status === 'ready',
    'the machine to be ready',
    20_000,
  );
  return link;
}

for (const fanout of ['postgres', 'redis'] as const) {
  describe(`two instances on one Postgres, fan-out through ${fanout}`, () => {
    it('a stream on A gets every event a machine linked to B writes, once and in order', async () => {
      const [a, b] = await twoInstances(fanout);
      // A sign-in and an API token made on one instance work on the other.
      const { token } = await apiToken(a, 'laptop');
      const machine = await machineOn(b, token);
      const thread = (await (await b.api(`/api/runtimes/${RUNTIME}/threads`, { body: {} })).json()) as Thread;

      const stream = await a.stream();
      stream.send({ type: 'subscribe', topic: `thread:${thread.id}`, after: 0 });
      const runtimes = await a.stream();
      runtimes.send({ type: 'subscribe', topic: 'runtimes' });
      await stream.until(() => stream.frames.some((f) => f.type === 'caught-up'));

      const count = 200;
      for (let n = 1; n <= count; n++)
        machine.send({
          type: 'data',
          seq: 1 + n,
          message: {
            type: 'thread.event',
            threadId: thread.id,
            event: { kind: 'tool.output', callId: 'c', stream: 'stdout', data: `line ${n}\n` },
          },
        });
      await stream.until(() => stream.events(thread.id).length >= count, 20_000, `${count} events on A`);
      const events = stream.events(thread.id);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(events.map((e) => (e.kind === 'tool.output' ? e.data : ''))).toEqual(
        Array.from({ length: count }, (_, i) => `line ${i + 1}\n`),
      );

      // A's runtime list hears of B's link going down.
      await machine.close();
      await runtimes.until(
        () =>
          runtimes.frames.some(
            (f) => f.type === 'runtime' && f.runtime.id === RUNTIME && f.runtime.status === 'offline',
          ),
        20_000,
        'the runtime offline on A',
      );
    });

    it('a message, an upload and a cancel posted on A reach the machine linked to B, once each, in order', async () => {
      const [a, b] = await twoInstances(fanout);
      const { token } = await apiToken(a, 'laptop');
      const machine = await machineOn(b, token);
      const thread = (await (await a.api(`/api/runtimes/${RUNTIME}/threads`, { body: {} })).json()) as Thread;
      const stream = await b.stream();
      stream.send({ type: 'subscribe', topic: `thread:${thread.id}`, after: 0 });

      const upload = await a.api(`/api/threads/${thread.id}/uploads?name=notes.txt`, {
        body: 'hello',
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(upload.status).toBe(201);
      const sent = await a.api(`/api/threads/${thread.id}/messages`, {
        body: { clientId: clientId(), text: 'echo from A' },
      });
      expect(sent.status).toBe(202);
      expect(((await sent.json()) as SendMessageResponse).event).toMatchObject({ kind: 'message.user', seq: 1 });
      expect((await a.api(`/api/threads/${thread.id}/cancel`, { method: 'POST' })).status).toBe(202);

      const wanted = ['file.upload', 'message.send', 'thread.cancel'];
      await machine.until(
        () => machine.frames.filter((f) => wanted.includes(f.message?.type ?? '')).length >= 3,
        'the upload, the message and the cancel on B',
      );
      const delivered = machine.frames.filter((f) => f.type === 'data' && wanted.includes(f.message?.type ?? ''));
      expect(delivered.map((f) => f.message?.type)).toEqual(wanted);
      expect(delivered[1]!.message).toMatchObject({ threadId: thread.id, text: 'echo from A', seq: 1 });
      // Numbered by B, after what B sent before (its link seqs go on without a gap).
      const seqs = delivered.map((f) => f.seq!);
      expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
      // The message is in the thread as B's subscribers see it.
      await stream.until(() => stream.events(thread.id).some((e) => e.kind === 'message.user'));
    });
  });
}

describe('a sandbox whose instance went away', () => {
  it('is re-dialled by another instance once its lease expires, and a message posted there runs', async () => {
    const common = {
      databaseUrl: await freshPostgresDatabase(),
      secret: randomBytes(32).toString('base64url'),
      leaseTtlMs: 1500,
    };
    const a = await startTestBff(common);
    const b = await startTestBff(common);
    const { runtime, threadId } = await readyRuntime(b);
    // B goes without letting its lease go (as a crash would; its runtime keeps running).
    await b.stop();
    const stream = await a.stream();
    stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: 0 });
    await waitFor(async () => a.server.chat.runtimes.linkCount === 1, 'A to take the runtime over', 20_000);
    const sent = await a.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo adopted' },
    });
    expect(sent.status).toBe(202);
    await stream.until(
      () => stream.events(threadId).some((e) => e.kind === 'tool.output' && e.data.includes('adopted')),
      30_000,
      'the output on A',
    );
    expect(((await (await a.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status).toBe('ready');
  });
});

describe('operations', () => {
  it('answers /healthz and /readyz, and /metrics to loopback or to its bearer token only', async () => {
    const databaseUrl = await freshPostgresDatabase();
    const open = await startTestBff({ databaseUrl, instanceId: 'one' });
    expect(await (await fetch(`${open.url}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${open.url}/readyz`)).status).toBe(200);
    const scraped = await (await fetch(`${open.url}/metrics`)).text();
    for (const name of [
      'remote_chat_stream_connections',
      'remote_chat_runtime_links',
      'remote_chat_events_stored_total',
      'remote_chat_events_delivered_total',
      'remote_chat_store_seconds',
      'remote_chat_lease_changes_total',
      'remote_chat_gateway_calls_total',
      'remote_chat_relay_messages_total',
    ])
      expect(scraped).toContain(`# TYPE ${name} `);
    expect(scraped).toContain('instance_id="one"');

    const guarded = await startTestBff({ databaseUrl, instanceId: 'two', metricsToken: 'scrape-me' });
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(404);
    expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } })).status).toBe(
      200,
    );

    // Draining: not ready any more, still alive.
    await guarded.server.drain();
    expect((await fetch(`${open.url}/readyz`)).status).toBe(200);
    expect(await guarded.server.chat.unready()).toBe('draining');
  });
});
