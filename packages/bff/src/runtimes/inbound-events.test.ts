import type { EventBody, FromRuntimeMessage } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import type { EntryWriter } from '../entry-writer.js';
import type { Store } from '../store/store.js';
import { InboundEvents } from './inbound-events.js';
import type { LiveRuntime } from './live-links.js';

/** A runtime's live record, as far as storing its events goes. */
function liveRuntime(): LiveRuntime {
  return {
    id: 'rt_1',
    threads: new Set<string>(),
    busy: new Set<string>(),
    storedReceived: 0,
    ordering: Promise.resolve(),
    orderingPending: 0,
  } as unknown as LiveRuntime;
}

/**
 * InboundEvents over a writer that records the order appends are issued in, and a store whose
 * thread lookups take `lookupMs` (the first event of a thread waits for one).
 */
function inbound(lookupMs: number) {
  const appended: string[] = [];
  const lookups: string[] = [];
  /** Threads whose next lookup fails (the database is down). */
  const failNext = new Set<string>();
  const writer = {
    appendEvent: (thread: { id: string }, body: EventBody) => {
      appended.push(`${thread.id}:${body.kind === 'tool.output' ? body.data : body.kind}`);
      return Promise.resolve({ created: true });
    },
  } as unknown as EntryWriter;
  const store = {
    getThread: async (id: string) => {
      lookups.push(id);
      await new Promise((resolve) => setTimeout(resolve, lookupMs));
      if (failNext.delete(id)) throw new Error('database is down');
      return { id, runtimeId: id === 'th_foreign' ? 'rt_other' : 'rt_1' };
    },
    setLinkReceived: async (_runtimeId: string, seq: number) => {
      appended.push(`dropped:${seq}`);
    },
  } as unknown as Store;
  const events = new InboundEvents({
    store,
    writer,
    view: {} as never,
    logger: { warn: () => undefined } as never,
    onInfo: async () => undefined,
    markActive: () => undefined,
  });
  return { events, appended, lookups, failNext };
}

const output = (threadId: string, data: string): FromRuntimeMessage => ({
  type: 'thread.event',
  threadId,
  event: { kind: 'tool.output', callId: 'c1', stream: 'stdout', data },
});

describe('InboundEvents', () => {
  it('issues appends in link order while a thread’s first event waits for its lookup, then skips the chain', async () => {
    const { events, appended, lookups } = inbound(20);
    const live = liveRuntime();
    // As the pipelined link hands them over: each started before the one ahead of it is stored.
    const frames = [
      output('th_a', '1'),
      output('th_a', '2'),
      output('th_b', '3'),
      output('th_foreign', '4'),
      output('th_a', '5'),
    ];
    await Promise.all(frames.map((frame, index) => events.receive(live, frame, index + 1)));
    // Another runtime's thread is dropped (its seq only recorded as received).
    expect(appended.filter((entry) => !entry.startsWith('dropped'))).toEqual(['th_a:1', 'th_a:2', 'th_b:3', 'th_a:5']);
    expect(appended).toContain('dropped:4');
    expect(lookups).toEqual(['th_a', 'th_b', 'th_foreign']);
    expect(live.orderingPending).toBe(0);

    // Known threads, nothing queued: appended at once, no lookup.
    const known = [output('th_b', '6'), output('th_a', '7')];
    const receiving = known.map((frame, index) => events.receive(live, frame, 6 + index));
    expect(appended.slice(5)).toEqual(['th_b:6', 'th_a:7']);
    await Promise.all(receiving);
    expect(lookups).toHaveLength(3);

    // A new thread's lookup holds back what comes after it, known threads too.
    const mixed = [output('th_c', '8'), output('th_a', '9')];
    const waiting = mixed.map((frame, index) => events.receive(live, frame, 8 + index));
    expect(appended.slice(7)).toEqual([]);
    await Promise.all(waiting);
    expect(appended.slice(7)).toEqual(['th_c:8', 'th_a:9']);
    expect(live.storedReceived).toBe(9);
  });

  it('lets the chain go on after a lookup fails', async () => {
    const { events, appended, failNext } = inbound(1);
    const live = liveRuntime();
    failNext.add('th_b');
    const first = events.receive(live, output('th_a', '1'), 1);
    const second = events.receive(live, output('th_b', '2'), 2);
    await first;
    await expect(second).rejects.toThrow('database is down');
    expect(live.orderingPending).toBe(0);
    // The link resends it after the failure: stored then, and what follows goes on.
    await events.receive(live, output('th_b', '2'), 2);
    await events.receive(live, output('th_a', '3'), 3);
    expect(appended).toEqual(['th_a:1', 'th_b:2', 'th_a:3']);
  });
});
