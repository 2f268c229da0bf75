// A subscriber reads the store, then switches to live delivery. An event committed and published
// while that read is in flight is in neither the read's result nor (yet) live delivery: the hub
// must notice and read again. Busy threads hide a miss, because the next event heals the gap;
// these tests publish the last event of a turn during the read, with nothing after it.
import { join } from 'node:path';
import type { ThreadEvent } from '@remote-chat/protocol';
import { Hub, openPostgresStore, openSqliteStore, type Store } from '@remote-chat/bff';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freshPostgresDatabase } from './support/databases.js';
import { ownedThread } from './support/owned-thread.js';
import { tempDir } from './support/temp-dir.js';

async function storeWithThread(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  const store =
    dialect === 'sqlite'
      ? await openSqliteStore({ file: join(tempDir(), 'race.db') })
      : await openPostgresStore({ connectionString: await freshPostgresDatabase(), poolSize: 4 });
  onTestFinished(() => store.close());
  await ownedThread(store, { runtimeId: 'rt_race', threadId: 'th_race' });
  return store;
}

/** Appends and then publishes, as the journal does: publish only after the commit. */
async function commitAndPublish(store: Store, hub: Hub<ThreadEvent>, body: Parameters<Store['appendEvent']>[1]) {
  const { event } = await store.appendEvent('th_race', body);
  hub.publish('thread:th_race', event);
}

/**
 * A hub on the store, and a way to run something during its next store read: between reading a
 * page and returning it, so whatever that commits and publishes is missing from the page.
 */
function racingHub(store: Store) {
  let during: (() => Promise<void>) | undefined;
  const racing =
    <T>(read: (after: number, limit: number) => Promise<T[]>) =>
    async (after: number, limit: number): Promise<T[]> => {
      const page = await read(after, limit);
      const race = during;
      during = undefined;
      await race?.();
      return page;
    };
  const readEvents = racing((after, limit) => store.listEvents('th_race', after, limit));
  const hub = new Hub<ThreadEvent>((_topic, after, limit) => readEvents(after, limit));
  /** A subscriber's own replay reader (as the stream's): the thread's events as stored, raced alike. */
  const readStored = racing((after, limit) => store.listStoredEvents('th_race', after, limit));
  return { hub, readStored, duringNextRead: (work: () => Promise<void>) => (during = work) };
}

/**
 * Subscribes, with the replay in pages through `readStored` if given (as a stream asked for
 * batches does); `nextCaughtUp` resolves with the seq of each catch-up in turn (the replay, then
 * each gap healed). `seqs` holds every seq delivered either way, `pages` the replay's pages.
 */
function subscribe(hub: Hub<ThreadEvent>, readStored?: ReturnType<typeof racingHub>['readStored']) {
  const seqs: number[] = [];
  const pages: number[][] = [];
  const caughtUp: number[] = [];
  let wake: (() => void) | undefined;
  const subscription = hub.subscribe('thread:th_race', {
    onEntry: (e) => seqs.push(e.seq),
    ...(readStored && {
      replay: {
        read: (after: number, limit: number) => readStored(after, limit),
        deliver: (page: { seq: number }[]) => {
          pages.push(page.map((e) => e.seq));
          seqs.push(...page.map((e) => e.seq));
        },
      },
    }),
    onCaughtUp: (seq) => {
      caughtUp.push(seq);
      wake?.();
    },
  });
  onTestFinished(() => subscription.close());
  const nextCaughtUp = async () => {
    while (caughtUp.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return caughtUp.shift()!;
  };
  return { seqs, pages, nextCaughtUp };
}

describe.each(['sqlite', 'postgres'] as const)('live delivery on %s', (dialect) => {
  it('delivers the last event of a turn committed while a new subscriber reads its replay', async () => {
    const store = await storeWithThread(dialect);
    await store.appendEvent('th_race', { kind: 'status', state: 'running' });
    await store.appendEvent('th_race', { kind: 'tool.output', callId: 'c', stream: 'stdout', data: 'hi\n' });
    const { hub, duringNextRead } = racingHub(store);
    duringNextRead(() => commitAndPublish(store, hub, { kind: 'status', state: 'idle' }));
    const { seqs, nextCaughtUp } = subscribe(hub);
    // Caught up means every stored entry was delivered; nothing is appended after the race.
    expect(await nextCaughtUp()).toBe(3);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('delivers an event committed during a batched replay once, after the pages', async () => {
    const store = await storeWithThread(dialect);
    await store.appendEvent('th_race', { kind: 'status', state: 'running' });
    await store.appendEvent('th_race', { kind: 'tool.output', callId: 'c', stream: 'stdout', data: 'hi\n' });
    const { hub, readStored, duringNextRead } = racingHub(store);
    duringNextRead(() => commitAndPublish(store, hub, { kind: 'status', state: 'idle' }));
    const { seqs, pages, nextCaughtUp } = subscribe(hub, readStored);
    expect(await nextCaughtUp()).toBe(3);
    expect(seqs).toEqual([1, 2, 3]);
    // The live publish during the read was dropped and read again from the store, as a page.
    expect(pages).toEqual([[1, 2], [3]]);
    // After caught-up, live events go one by one again.
    await commitAndPublish(store, hub, { kind: 'status', state: 'running' });
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(pages).toHaveLength(2);
  });

  it('delivers an event committed while a live subscriber heals a gap, with nothing after it', async () => {
    const store = await storeWithThread(dialect);
    const { hub, duringNextRead } = racingHub(store);
    const { seqs, nextCaughtUp } = subscribe(hub);
    expect(await nextCaughtUp()).toBe(0);
    // Event 1 is stored but its publish is lost; event 2's publish shows the gap, and while the
    // subscriber reads the store to fill it, event 3 (the turn's last) is committed and published.
    await store.appendEvent('th_race', { kind: 'status', state: 'running' });
    const { event: second } = await store.appendEvent('th_race', {
      kind: 'tool.output',
      callId: 'c',
      stream: 'stdout',
      data: 'x\n',
    });
    duringNextRead(() => commitAndPublish(store, hub, { kind: 'status', state: 'idle' }));
    hub.publish('thread:th_race', second);
    expect(await nextCaughtUp()).toBe(3);
    expect(seqs).toEqual([1, 2, 3]);
  });
});
