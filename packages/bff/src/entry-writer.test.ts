import { join } from 'node:path';
import { streamTopic, type ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { ownedThread } from '../../../test/support/owned-thread.js';
import { tempDir } from '../../../test/support/temp-dir.js';
import { EntryWriter } from './entry-writer.js';
import { Hub } from './hub.js';
import { openSqliteStore } from './store/sqlite-store.js';
import type { ThreadStore } from './store/store.js';

const output = (data: string) => ({ kind: 'tool.output', callId: 'c', stream: 'stdout', data }) as const;

describe('EntryWriter on SQLite', () => {
  it("shows a runtime's event as it arrives, while the commit ahead of it still runs, numbered as it is then stored", async () => {
    const store = await openSqliteStore({ file: join(tempDir(), 'writer.db') });
    const thread = await ownedThread(store);
    // Commits wait for the gate while it is shut.
    let open = () => undefined as void;
    let gate: Promise<void> = Promise.resolve();
    const slow: ThreadStore = Object.create(store);
    slow.appendEvents = async (...args) => {
      await gate;
      return store.appendEvents(...args);
    };
    const hub = new Hub<ThreadEvent>((_topic, after, limit, maxBytes) =>
      store.listEvents(thread.id, after, limit, maxBytes),
    );
    const writer = new EntryWriter(slow as never, hub as never, { soleWriter: true });
    const fromLink = (seq: number) => ({ receipt: { runtimeId: thread.runtimeId, seq } });
    await writer.appendEvent(thread, output('first\n'), fromLink(1));

    const shown: ThreadEvent[] = [];
    const caughtUp: number[] = [];
    hub.subscribe(streamTopic.thread(thread.id), {
      onEntry: (event) => shown.push(event),
      onCaughtUp: (seq) => caughtUp.push(seq),
    });
    await expect.poll(() => caughtUp).toEqual([1]);

    gate = new Promise((resolve) => (open = resolve));
    const second = writer.appendEvent(thread, output('second\n'), fromLink(2));
    // Its commit has started and waits at the gate.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const third = writer.appendEvent(thread, output('third\n'), fromLink(3));
    expect(shown.map((event) => [event.seq, event.kind === 'tool.output' && event.data])).toEqual([
      [1, 'first\n'],
      [2, 'second\n'],
      [3, 'third\n'],
    ]);
    let stored = false;
    const reading = writer.shownStored(thread.id).then(() => (stored = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stored).toBe(false);

    open();
    await Promise.all([second, third, reading]);
    const inStore = await store.listEvents(thread.id, 0, 10);
    expect(inStore.map((event) => [event.seq, event.kind === 'tool.output' && event.data, event.at])).toEqual(
      shown.map((event) => [event.seq, event.kind === 'tool.output' && event.data, event.at]),
    );
    await store.close();
  });

  it("keeps an idle writer's shown batch open for a moment: the events that follow soon after share its commit", async () => {
    const store = await openSqliteStore({ file: join(tempDir(), 'writer.db') });
    const thread = await ownedThread(store);
    const hub = new Hub<ThreadEvent>((_topic, after, limit, maxBytes) =>
      store.listEvents(thread.id, after, limit, maxBytes),
    );
    const commits: number[] = [];
    const writer = new EntryWriter(store, hub as never, {
      soleWriter: true,
      observe: (kind, stored) => kind === 'thread' && commits.push(stored),
    });
    const fromLink = (seq: number) => ({ receipt: { runtimeId: thread.runtimeId, seq } });
    await writer.appendEvent(thread, output('first\n'), fromLink(1));
    expect(commits).toEqual([1]);

    const shown: number[] = [];
    const caughtUp: number[] = [];
    hub.subscribe(streamTopic.thread(thread.id), {
      onEntry: (event) => shown.push(event.seq),
      onCaughtUp: (seq) => caughtUp.push(seq),
    });
    await expect.poll(() => caughtUp).toEqual([1]);
    // In the timers phase of a turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const second = writer.appendEvent(thread, output('second\n'), fromLink(2));
    // A later phase of the same turn: before the writer's timer can fire, however slow the machine.
    await new Promise((resolve) => setImmediate(resolve));
    const third = writer.appendEvent(thread, output('third\n'), fromLink(3));
    expect(shown).toEqual([1, 2, 3]);
    await Promise.all([second, third]);
    expect(commits).toEqual([1, 2]);
    expect((await store.listEvents(thread.id, 0, 10)).map((event) => event.seq)).toEqual([1, 2, 3]);
    await store.close();
  });
});
