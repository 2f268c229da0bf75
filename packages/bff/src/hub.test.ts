import { join } from 'node:path';
import { parseTopic, streamTopic, type ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp-dir.js';
import { Hub } from './hub.js';
import { EntryWriter } from './entry-writer.js';
import { ownedThread } from '../../../test/support/owned-thread.js';
import { freshPostgresDatabase } from '../../../test/support/databases.js';
import { openPostgresStore } from './store/postgres-store.js';
import { openSqliteStore } from './store/sqlite-store.js';

type Dialect = 'sqlite' | 'postgres';

async function setup(dialect: Dialect) {
  const store =
    dialect === 'sqlite'
      ? await openSqliteStore({ file: join(tempDir(), 'hub.db') })
      : await openPostgresStore({ connectionString: await freshPostgresDatabase(), poolSize: 4 });
  const thread = await ownedThread(store);
  const hub = new Hub<ThreadEvent>(async (topic, after, limit, maxBytes) => {
    const parsed = parseTopic(topic);
    return parsed?.family === 'thread' ? store.listEvents(parsed.id, after, limit, maxBytes) : [];
  });
  const writer = new EntryWriter(store, hub as never);
  const append = (i: number) =>
    writer.appendEvent(thread, { kind: 'tool.output', callId: 'c', stream: 'stdout', data: `line ${i}\n` });
  return { store, hub, writer, append };
}

function collect(hub: Hub<ThreadEvent>, after: number) {
  const seqs: number[] = [];
  const caughtUp: number[] = [];
  const subscription = hub.subscribe(streamTopic.thread('th_1'), {
    after,
    onEntry: (e) => seqs.push(e.seq),
    onCaughtUp: (seq) => caughtUp.push(seq),
  });
  return { seqs, caughtUp, subscription };
}

const until = async (check: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe.each(['sqlite', 'postgres'] as const)('hub on %s', (dialect) => {
  it('replays every stored event after the asked seq, then delivers live ones', async () => {
    const { hub, append, store } = await setup(dialect);
    for (let i = 1; i <= 10; i++) await append(i);
    const { seqs, caughtUp } = collect(hub, 4);
    await until(() => caughtUp.length > 0);
    expect(seqs).toEqual([5, 6, 7, 8, 9, 10]);
    expect(caughtUp).toEqual([10]);
    await append(11);
    await until(() => seqs.length === 7);
    expect(seqs.at(-1)).toBe(11);
    await store.close();
  });

  it('replays a long thread across pages', async () => {
    const { hub, store } = await setup(dialect);
    for (let i = 0; i < 2500; i++) await store.appendEvent('th_1', { kind: 'status', state: 'idle' });
    const { seqs, caughtUp } = collect(hub, 0);
    await until(() => caughtUp.length > 0);
    expect(seqs).toHaveLength(2500);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
    await store.close();
  });

  it('has no gap and no duplicate when subscribing while events are being appended', async () => {
    const { hub, append, store } = await setup(dialect);
    for (let i = 1; i <= 200; i++) await append(i);
    // Appends keep running while subscribers join at different points.
    const writing = (async () => {
      for (let i = 201; i <= 1200; i++) await append(i);
    })();
    const subscribers = [];
    for (let k = 0; k < 20; k++) {
      subscribers.push(collect(hub, k * 37));
      await new Promise((r) => setTimeout(r, 2));
    }
    await writing;
    for (const [k, s] of subscribers.entries()) {
      await until(() => s.seqs.at(-1) === 1200);
      const expected = Array.from({ length: 1200 - k * 37 }, (_, i) => k * 37 + i + 1);
      expect(s.seqs).toEqual(expected);
    }
    await store.close();
  });

  it('stops delivering after close', async () => {
    const { hub, append, store } = await setup(dialect);
    const { seqs, caughtUp, subscription } = collect(hub, 0);
    await until(() => caughtUp.length > 0);
    await append(1);
    await until(() => seqs.length === 1);
    subscription.close();
    await append(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(seqs).toEqual([1]);
    expect(hub.size).toBe(0);
    await store.close();
  });

  it('heals a gap in live delivery from the store', async () => {
    const { hub, store } = await setup(dialect);
    const { seqs, caughtUp } = collect(hub, 0);
    await until(() => caughtUp.length > 0);
    // Two events stored, but only the second is published (as if publishes raced).
    await store.appendEvent('th_1', { kind: 'status', state: 'running' });
    const { event } = await store.appendEvent('th_1', { kind: 'status', state: 'idle' });
    hub.publish(streamTopic.thread('th_1'), event);
    await until(() => seqs.length === 2);
    expect(seqs).toEqual([1, 2]);
    await store.close();
  });
});

describe('hub entries published ahead of their commit', () => {
  it('reach a subscriber whose catch-up read the store before the commit, with nothing after them', async () => {
    const { hub, store } = await setup('sqlite');
    const topic = streamTopic.thread('th_1');
    const body = { kind: 'tool.output', callId: 'c', stream: 'stdout', data: 'the last line\n' } as const;
    // Published with nobody listening; the commit comes later.
    hub.publishAhead(topic, { ...body, threadId: 'th_1', seq: 1, at: new Date().toISOString() });
    const { seqs, caughtUp } = collect(hub, 0);
    await new Promise((r) => setTimeout(r, 30));
    expect(caughtUp).toEqual([]);
    await store.appendEvents('th_1', [{ body }]);
    hub.stored(topic, 1);
    await until(() => caughtUp.length > 0);
    expect(seqs).toEqual([1]);
    await store.close();
  });
});

describe('hub recent entries', () => {
  it('resume a subscriber that stopped taking live entries from memory, and from the store once let go', async () => {
    const store = await openSqliteStore({ file: join(tempDir(), 'hub.db') });
    const thread = await ownedThread(store);
    let reads = 0;
    // Each entry is kept as a string made from it (as the BFF keeps its frame), and weighs 100:
    // fifty are kept.
    let kept = 0;
    const hub = new Hub<ThreadEvent, string>(
      async (_topic, after, limit, maxBytes) => {
        reads++;
        return store.listEvents(thread.id, after, limit, maxBytes);
      },
      undefined,
      {
        keep: (_topic, entry) => {
          kept++;
          return `kept ${entry.seq}`;
        },
        weigh: () => 100,
        maxWeight: 100 * 50,
      },
    );
    const writer = new EntryWriter(store, hub as never);
    const append = (i: number) =>
      writer.appendEvent(thread, { kind: 'tool.output', callId: 'c', stream: 'stdout', data: `line ${i}\n` });
    // A reader whose socket's queue is long: it takes no live entries until it has drained.
    let behind = false;
    let drained: () => void = () => undefined;
    const seqs: number[] = [];
    const caughtUp: number[] = [];
    const fromStore: number[] = [];
    hub.subscribe(streamTopic.thread(thread.id), {
      onEntry: (entry) => {
        fromStore.push(entry.seq);
        seqs.push(entry.seq);
      },
      // A method, called as one (the stream's subscriptions are objects with methods).
      onKept(form, seq) {
        expect(this).toBeDefined();
        expect(form).toBe(`kept ${seq}`);
        seqs.push(seq);
      },
      onCaughtUp: (seq) => caughtUp.push(seq),
      behind: () => behind,
      beforePage: () => (behind ? new Promise<void>((resolve) => (drained = resolve)) : Promise.resolve()),
    });
    await until(() => caughtUp.length === 1);
    for (let i = 1; i <= 5; i++) await append(i);
    /**
     * Appends `from`..`to` while the reader is behind (then `meanwhile`), lets it drain, and
     * checks it got every entry once and in order; resolves to the store reads it took.
     */
    const behindFor = async (from: number, to: number, meanwhile: () => void = () => undefined) => {
      const readsBefore = reads;
      behind = true;
      for (let i = from; i <= to; i++) await append(i);
      expect(seqs).toHaveLength(from - 1);
      meanwhile();
      behind = false;
      drained();
      await until(() => seqs.length === to);
      expect(seqs).toEqual(Array.from({ length: to }, (_, i) => i + 1));
      return reads - readsBefore;
    };
    // Live entries come in the kept form, made once each.
    expect(fromStore).toEqual([]);
    expect(kept).toBe(5);
    expect(await behindFor(6, 30)).toBe(0);
    expect(fromStore).toEqual([]);
    // Behind for longer than the hub keeps: the first entries it lacks come from the store.
    expect(await behindFor(31, 130)).toBeGreaterThan(0);
    // Let go of on purpose (a commit of entries shown early failed): the store again.
    expect(await behindFor(131, 135, () => hub.forgetRecent(streamTopic.thread(thread.id)))).toBeGreaterThan(0);
    await store.close();
  });
});
