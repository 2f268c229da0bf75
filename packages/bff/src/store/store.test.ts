import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/temp-dir.js';
import { freshPostgresDatabase } from '../../../../test/support/databases.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';
import { messageSendOf } from '../runtimes/stored-outbox.js';
import type { ToRuntimeMessage } from '@remote-chat/protocol';

const cancel = (threadId: string): ToRuntimeMessage => ({ type: 'thread.cancel', threadId });

/** An owner, a sandbox runtime of theirs and a thread on it, each with a fresh id. */
async function fixture(store: Store) {
  const owner = await store.ensureOwner('Owner');
  const runtime = await store.createRuntime({
    id: `rt_${Math.random().toString(36).slice(2)}`,
    userId: owner.id,
    name: 'test',
    kind: 'sandbox',
    provider: 'process',
    repo: null,
    branch: null,
    agent: 'shell',
  });
  const thread = await store.createThread({
    id: `th_${Math.random().toString(36).slice(2)}`,
    runtimeId: runtime.id,
    userId: owner.id,
    title: 'New thread',
    titled: false,
  });
  return { owner, runtime, thread };
}

/**
 * The suite every store implementation passes. `open` returns a store over the same database each
 * time it is called with the same location, so restarts can be tested.
 */
function storeSuite(
  name: string,
  location: () => string | Promise<string>,
  open: (location: string) => Promise<Store>,
) {
  describe(`${name} store`, () => {
    it("numbers a thread's events 1, 2, 3 and lists them after a seq", async () => {
      const store = await open(await location());
      const { thread } = await fixture(store);
      for (let i = 0; i < 5; i++) {
        const { event } = await store.appendEvent(thread.id, { kind: 'status', state: i % 2 ? 'idle' : 'running' });
        expect(event.seq).toBe(i + 1);
      }
      expect((await store.listEvents(thread.id, 2, 100)).map((e) => e.seq)).toEqual([3, 4, 5]);
      expect((await store.listEvents(thread.id, 0, 2)).map((e) => e.seq)).toEqual([1, 2]);
      expect((await store.getThread(thread.id))?.lastSeq).toBe(5);
      await store.close();
    });

    it('pages by bytes as well as rows, always with the first entry however large', async () => {
      const store = await open(await location());
      const { thread, runtime } = await fixture(store);
      const output = (size: number) =>
        ({ kind: 'tool.output', callId: 'c', stream: 'stdout', data: 'x'.repeat(size) }) as const;
      await store.appendEvents(thread.id, [
        { body: output(10_000) },
        { body: output(10_000) },
        { body: output(10_000) },
        { body: output(30_000) },
        { body: output(10) },
      ]);
      const seqs = async (after: number, maxBytes?: number) =>
        (await store.listEvents(thread.id, after, 100, maxBytes)).map((e) => e.seq);
      expect(await seqs(0)).toEqual([1, 2, 3, 4, 5]);
      expect(await seqs(0, 25_000)).toEqual([1, 2, 3]);
      expect(await seqs(0, 10)).toEqual([1]);
      expect(await seqs(3, 1000)).toEqual([4]);
      expect(await seqs(4, 1000)).toEqual([5]);
      expect(await seqs(5, 1000)).toEqual([]);
      for (let i = 0; i < 3; i++) await store.appendLog(runtime.id, { kind: 'error', message: 'm'.repeat(5000) });
      expect((await store.listLog(runtime.id, 0, 100, 6000)).map((e) => e.seq)).toEqual([1, 2]);
      expect((await store.listLog(runtime.id, 0, 1, 60_000)).map((e) => e.seq)).toEqual([1]);
      await store.close();
    });

    it('keeps when a runtime was last used, never moving it back, without touching updatedAt', async () => {
      const store = await open(await location());
      const { runtime } = await fixture(store);
      expect(runtime.lastActivityAt).toBeNull();
      await store.recordActivity(runtime.id, '2025-11-20T10:00:00.000Z');
      await store.recordActivity(runtime.id, '2025-11-20T09:00:00.000Z');
      const read = await store.getRuntime(runtime.id);
      expect(read).toMatchObject({ lastActivityAt: '2025-11-20T10:00:00.000Z', updatedAt: runtime.updatedAt });
      await store.recordActivity(runtime.id, '2025-11-20T10:01:00.000Z');
      expect((await store.listRuntimes(null))[0]?.lastActivityAt).toBe('2025-11-20T10:01:00.000Z');
      await store.close();
    });

    it('stores a batch of many events each in its place, with its own body', async () => {
      const store = await open(await location());
      const { thread } = await fixture(store);
      const body = (i: number) => ({
        kind: 'tool.output' as const,
        callId: 'c',
        stream: 'stdout' as const,
        data: `${i}\n`,
      });
      // 19 rows: more than one multi-row statement's worth, and a remainder.
      const results = await store.appendEvents(
        thread.id,
        Array.from({ length: 19 }, (_, i) => ({ body: body(i + 1) })),
      );
      expect(results.map((r) => r.event.seq)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
      const stored = await store.listEvents(thread.id, 0, 100);
      expect(stored.map((e) => [e.seq, e.kind === 'tool.output' && e.data])).toEqual(
        Array.from({ length: 19 }, (_, i) => [i + 1, `${i + 1}\n`]),
      );
      await store.close();
    });

    it('gives concurrent appends distinct consecutive seqs', async () => {
      const store = await open(await location());
      const { thread } = await fixture(store);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.appendEvent(thread.id, { kind: 'tool.output', callId: 'c', stream: 'stdout', data: String(i) }),
        ),
      );
      expect(results.map((r) => r.event.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      await store.close();
    });

    it('stores a user message once however often its client id is sent', async () => {
      const store = await open(await location());
      const { thread } = await fixture(store);
      const message = { kind: 'message.user' as const, clientId: 'client-123456', text: 'ls', agent: 'shell' };
      const first = await store.appendEvent(thread.id, message);
      const again = await store.appendEvent(thread.id, { ...message, text: 'changed' });
      expect(first.created).toBe(true);
      expect(again.created).toBe(false);
      expect(again.event).toEqual(first.event);
      expect(await store.listEvents(thread.id, 0, 10)).toHaveLength(1);
      await store.close();
    });

    it('appends a batch in one go with consecutive seqs, once per client id, and records the receipt', async () => {
      const store = await open(await location());
      const { runtime, thread } = await fixture(store);
      await store.appendEvent(thread.id, {
        kind: 'message.user',
        clientId: 'client-before',
        text: 'a',
        agent: 'shell',
      });
      const results = await store.appendEvents(thread.id, [
        { body: { kind: 'status', state: 'running' }, receipt: { runtimeId: runtime.id, seq: 7 } },
        { body: { kind: 'message.user', clientId: 'client-before', text: 'again', agent: 'shell' } },
        { body: { kind: 'message.user', clientId: 'client-new', text: 'b', agent: 'shell' } },
        { body: { kind: 'message.user', clientId: 'client-new', text: 'b again', agent: 'shell' } },
        { body: { kind: 'status', state: 'idle' }, receipt: { runtimeId: runtime.id, seq: 8 } },
      ]);
      expect(results.map((r) => [r.event.seq, r.created])).toEqual([
        [2, true],
        [1, false],
        [3, true],
        [3, false],
        [4, true],
      ]);
      expect((await store.listEvents(thread.id, 0, 10)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect((await store.getRuntime(runtime.id))?.linkReceived).toBe(8);
      await store.close();
    });

    it('refuses an invalid event and keeps the seq unchanged', async () => {
      const store = await open(await location());
      const { thread } = await fixture(store);
      await store.appendEvent(thread.id, { kind: 'status', state: 'idle' });
      await expect(store.appendEvent(thread.id, { kind: 'status', state: 'bogus' } as never)).rejects.toThrow();
      const { event } = await store.appendEvent(thread.id, { kind: 'status', state: 'idle' });
      expect(event.seq).toBe(2);
      await store.close();
    });

    it('numbers runtime-log entries per runtime', async () => {
      const store = await open(await location());
      const { runtime } = await fixture(store);
      const a = await store.appendLog(runtime.id, { kind: 'step', step: 'create', state: 'started' });
      const b = await store.appendLog(runtime.id, { kind: 'step', step: 'create', state: 'ok', durationMs: 3 });
      expect([a.seq, b.seq]).toEqual([1, 2]);
      expect((await store.listLog(runtime.id, 1, 10)).map((e) => e.seq)).toEqual([2]);
      expect((await store.getRuntime(runtime.id))?.logSeq).toBe(2);
      await store.close();
    });

    it('keeps runtimes, logs, threads and events across a restart', async () => {
      const where = await location();
      const first = await open(where);
      const { runtime, thread } = await fixture(first);
      await first.appendLog(runtime.id, { kind: 'status', status: 'ready' });
      await first.appendEvent(thread.id, {
        kind: 'message.user',
        clientId: 'client-abcdefg',
        text: 'echo hi',
        agent: 'shell',
      });
      await first.close();

      const second = await open(where);
      expect((await second.getRuntime(runtime.id))?.name).toBe('test');
      expect(await second.listLog(runtime.id, 0, 10)).toHaveLength(1);
      expect((await second.listEvents(thread.id, 0, 10))[0]).toMatchObject({
        kind: 'message.user',
        text: 'echo hi',
        seq: 1,
      });
      const { event } = await second.appendEvent(thread.id, { kind: 'status', state: 'idle' });
      expect(event.seq).toBe(2);
      await second.close();
    });

    it("signs in once per token and finds the session's user", async () => {
      const store = await open(await location());
      const owner = await store.ensureOwner('Owner');
      expect((await store.ensureOwner('Someone else')).id).toBe(owner.id);
      await store.createSignin('hash-1', owner.id, new Date(Date.now() + 60_000));
      expect(await store.consumeSignin('hash-1', new Date())).toBe(owner.id);
      expect(await store.consumeSignin('hash-1', new Date())).toBeNull();
      await store.createSignin('hash-old', owner.id, new Date(Date.now() - 1));
      expect(await store.consumeSignin('hash-old', new Date())).toBeNull();
      await store.createSession('session-1', owner.id, new Date(Date.now() + 60_000));
      expect(await store.getSessionUser('session-1', new Date())).toEqual(owner);
      expect(await store.getSessionUser('session-1', new Date(Date.now() + 120_000))).toBeNull();
      await store.deleteSession('session-1');
      expect(await store.getSessionUser('session-1', new Date())).toBeNull();
      await store.close();
    });

    it('deletes a runtime with its log, threads and events', async () => {
      const store = await open(await location());
      const { runtime, thread } = await fixture(store);
      await store.appendLog(runtime.id, { kind: 'status', status: 'ready' });
      await store.appendEvent(thread.id, { kind: 'status', state: 'idle' });
      await store.deleteRuntime(runtime.id);
      expect(await store.getRuntime(runtime.id)).toBeNull();
      expect(await store.getThread(thread.id)).toBeNull();
      expect(await store.listEvents(thread.id, 0, 10)).toEqual([]);
      await store.close();
    });

    it('archives, unarchives and deletes a thread with its events, leaving the runtime', async () => {
      const store = await open(await location());
      const { runtime, thread } = await fixture(store);
      expect(thread.archivedAt).toBeNull();
      await store.appendEvent(thread.id, { kind: 'status', state: 'idle' });
      const archived = await store.updateThread(thread.id, { archivedAt: '2026-01-02T03:04:05.000Z' });
      expect(archived).toMatchObject({ archivedAt: '2026-01-02T03:04:05.000Z', title: 'New thread' });
      // Archiving is not activity: the thread keeps its place in the list.
      expect(archived?.updatedAt).toBe((await store.getThread(thread.id))?.updatedAt);
      expect((await store.updateThread(thread.id, { archivedAt: null }))?.archivedAt).toBeNull();
      expect(await store.deleteThread(thread.id)).toBe(true);
      expect(await store.getThread(thread.id)).toBeNull();
      expect(await store.listEvents(thread.id, 0, 10)).toEqual([]);
      expect(await store.deleteThread(thread.id)).toBe(false);
      expect(await store.getRuntime(runtime.id)).not.toBeNull();
      await store.close();
    });

    it('keeps what a runtime has not acknowledged across a reopen, in order, and renumbers it', async () => {
      const at = await location();
      let store = await open(at);
      const { runtime } = await fixture(store);
      expect(await store.loadOutbound(runtime.id)).toEqual({ lastSeq: 0, ackedUpTo: 0, entries: [] });
      await store.queueOutbound(runtime.id, [
        { seq: 1, message: cancel('th_a') },
        { seq: 2, message: cancel('th_b') },
      ]);
      await store.queueOutbound(runtime.id, [{ seq: 3, message: cancel('th_c') }]);
      // Written twice (the same message): kept once, as it was.
      await store.queueOutbound(runtime.id, [{ seq: 3, message: cancel('th_other') }]);
      await store.ackOutbound(runtime.id, 2);
      await store.ackOutbound(runtime.id, 1); // late and lower: changes nothing
      await store.close();

      store = await open(at);
      expect(await store.loadOutbound(runtime.id)).toEqual({
        lastSeq: 3,
        ackedUpTo: 2,
        entries: [{ seq: 3, message: cancel('th_c') }],
      });
      await store.ackOutbound(runtime.id, 3);
      expect(await store.loadOutbound(runtime.id)).toEqual({ lastSeq: 3, ackedUpTo: 3, entries: [] });

      const renumbered = {
        lastSeq: 11,
        ackedUpTo: 9,
        entries: [10, 11].map((seq) => ({ seq, message: cancel(`th_${seq}`) })),
      };
      await store.replaceOutbound(runtime.id, renumbered);
      expect(await store.loadOutbound(runtime.id)).toEqual(renumbered);
      await store.deleteRuntime(runtime.id);
      expect((await store.loadOutbound(runtime.id)).entries).toEqual([]);
      await store.close();
    });

    it('queues a new user message for its runtime in the transaction that stores it, and a retry not again', async () => {
      const store = await open(await location());
      const { runtime, thread } = await fixture(store);
      await store.appendEvent(thread.id, { kind: 'status', state: 'idle' });
      const message = { kind: 'message.user', clientId: 'c-1', text: 'ls', agent: 'shell' } as const;
      const outbound = (seq: number) => ({
        runtimeId: runtime.id,
        seq,
        message: (event: Parameters<typeof messageSendOf>[1]) => messageSendOf(thread.id, event),
      });
      const [first] = await store.appendEvents(thread.id, [{ body: message, outbound: outbound(1) }]);
      const [retry] = await store.appendEvents(thread.id, [{ body: message, outbound: outbound(2) }]);
      expect(first).toMatchObject({ created: true, event: { seq: 2 } });
      expect(retry).toMatchObject({ created: false, event: { seq: 2 } });
      expect(await store.loadOutbound(runtime.id)).toEqual({
        lastSeq: 1,
        ackedUpTo: 0,
        entries: [
          {
            seq: 1,
            message: { type: 'message.send', threadId: thread.id, seq: 2, clientId: 'c-1', text: 'ls', agent: 'shell' },
          },
        ],
      });
      await store.close();
    });

    it("sums a user's model tokens per day, model and thread, and keeps them when the runtime goes", async () => {
      const store = await open(await location());
      const { owner, runtime, thread } = await fixture(store);
      const other = await store.ensureExternalUser(`site:${Math.random()}`, 'Other');
      const call = { userId: owner.id, runtimeId: runtime.id, model: 'gpt', day: '2026-01-02' };
      await store.recordUsage({ ...call, threadId: thread.id, inputTokens: 100, outputTokens: 10 });
      await store.recordUsage({ ...call, threadId: thread.id, inputTokens: 200, outputTokens: 20 });
      await store.recordUsage({ ...call, threadId: null, model: 'claude', inputTokens: 5, outputTokens: 1 });
      await store.recordUsage({ ...call, threadId: thread.id, day: '2026-01-01', inputTokens: 1000, outputTokens: 0 });
      await store.recordUsage({ ...call, userId: other.id, threadId: null, inputTokens: 7, outputTokens: 7 });

      expect(await store.tokensOnDay(owner.id, '2026-01-02')).toBe(336);
      expect(await store.tokensOnDay(owner.id, '2026-01-01')).toBe(1000);
      expect(await store.tokensOnDay(other.id, '2026-01-02')).toBe(14);
      await store.deleteRuntime(runtime.id);
      expect(await store.tokensOnDay(owner.id, '2026-01-02')).toBe(336);

      const summary = await store.summarizeUsage(owner.id, '2026-01-02', 10);
      expect(summary.byModel).toEqual([
        {
          model: 'gpt',
          today: { inputTokens: 300, outputTokens: 30, requests: 2 },
          total: { inputTokens: 1300, outputTokens: 30, requests: 3 },
        },
        {
          model: 'claude',
          today: { inputTokens: 5, outputTokens: 1, requests: 1 },
          total: { inputTokens: 5, outputTokens: 1, requests: 1 },
        },
      ]);
      expect(summary.byThread).toEqual([
        {
          threadId: thread.id,
          runtimeId: runtime.id,
          today: { inputTokens: 300, outputTokens: 30, requests: 2 },
          total: { inputTokens: 1300, outputTokens: 30, requests: 3 },
        },
      ]);
      await store.close();
    });
  });
}

storeSuite(
  'SQLite',
  () => join(tempDir(), 'store.db'),
  (file) => openSqliteStore({ file }),
);

storeSuite('Postgres', freshPostgresDatabase, (connectionString) =>
  openPostgresStore({ connectionString, poolSize: 4 }),
);

describe('SQLite events index', () => {
  it('holds only the events with a unique key, and still refuses a second one with the same key', async () => {
    const file = join(tempDir(), 'index.db');
    const store = await openSqliteStore({ file });
    const { thread } = await fixture(store);
    await store.appendEvent(thread.id, { kind: 'message.user', clientId: 'client-1', text: 'ls', agent: 'shell' });
    for (let i = 0; i < 3; i++)
      await store.appendEvent(thread.id, { kind: 'tool.output', callId: 'c', stream: 'stdout', data: `${i}\n` });
    await store.close();
    const database = new Sqlite(file);
    try {
      // A partial index: the one keyed event is in it, the three outputs are not.
      const index = database.prepare("SELECT sql FROM sqlite_master WHERE name = 'events_client_id'").get() as {
        sql: string;
      };
      expect(index.sql).toMatch(/where "client_id" is not null$/i);
      const plan = database
        .prepare('EXPLAIN QUERY PLAN SELECT seq FROM events WHERE thread_id = ? AND client_id = ?')
        .all(thread.id, 'client-1') as Array<{ detail: string }>;
      expect(plan.map((row) => row.detail).join()).toContain('events_client_id');
      const insert = database.prepare(
        "INSERT INTO events (thread_id, seq, kind, body, client_id, created_at) VALUES (?, ?, 'message.user', '{}', ?, '')",
      );
      expect(() => insert.run(thread.id, 10, 'client-1')).toThrow(/UNIQUE/);
      insert.run(thread.id, 11, null);
      insert.run(thread.id, 12, null);
    } finally {
      database.close();
    }
  });
});
