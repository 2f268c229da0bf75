import { copyFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopic, streamTopic, type EventBody, type ThreadEvent } from '@remote-chat/protocol';
import { expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp-dir.js';
import { EntryWriter } from './entry-writer.js';
import { Hub } from './hub.js';
import { ResendFence } from './resend-fence.js';
import { ownedThread } from '../../../test/support/owned-thread.js';
import { openSqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

const RUNTIME = 'rt_1';
const ROUNDS = 6;

function over(store: Store, fence: ResendFence | null) {
  const hub = new Hub<ThreadEvent>(async (topic, after, limit, maxBytes) => {
    const parsed = parseTopic(topic);
    return parsed?.family === 'thread' ? store.listEvents(parsed.id, after, limit, maxBytes) : [];
  });
  return { hub, writer: new EntryWriter(store, hub as never, { fence, soleWriter: true }) };
}

/** What a browser would tell apart: the kind, and the line or the message. */
const identity = (event: ThreadEvent | undefined) =>
  event?.kind === 'tool.output'
    ? `output ${event.data}`
    : event?.kind === 'message.user'
      ? event.clientId
      : event?.kind;

/**
 * The files a power loss leaves: the database file as it was (no checkpoint ran: the log is far
 * below SQLite's thousand pages) and its log up to the last byte a sync covered; the rest of it
 * was in the page cache only.
 */
function afterPowerLoss(file: string, syncedBytes: number): string {
  const copy = join(tempDir(), 'rc.db');
  copyFileSync(file, copy);
  copyFileSync(`${file}-wal`, `${copy}-wal`);
  truncateSync(`${copy}-wal`, syncedBytes);
  return copy;
}

it(`a power loss between "shown" and "durable" never shows an event twice or with another seq, and keeps all that was acknowledged (${ROUNDS} rounds)`, async () => {
  let undone = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const file = join(tempDir(), 'rc.db');
    let syncedBytes = 0;
    const before = await openSqliteStore({ file, onSynced: (bytes) => (syncedBytes = bytes) });
    const thread = await ownedThread(before);
    const live = over(before, null);
    const shown = new Map<number, string | undefined>();
    live.hub.subscribe(streamTopic.thread(thread.id), { onEntry: (e) => shown.set(e.seq, identity(e)) });

    // The runtime keeps what it sent until acknowledged; people retry a message until answered.
    const sent: Array<{ seq: number; body: EventBody }> = [];
    const messages: EventBody[] = [];
    const answered = new Set<string>();
    let acknowledged = 0;
    const crashAt = 30 + round * 12;
    const runtimeSends = (i: number) => {
      const seq = sent.length + 1;
      const body: EventBody = { kind: 'tool.output', callId: 'c', stream: 'stdout', data: `line ${i}\n` };
      sent.push({ seq, body });
      void live.writer
        .appendEvent(thread, body, { receipt: { runtimeId: RUNTIME, seq } })
        .then(() => (acknowledged = Math.max(acknowledged, seq)));
    };
    const personSends = (i: number) => {
      const body: EventBody = { kind: 'message.user', clientId: `m-${i}`, text: `message ${i}`, agent: 'shell' };
      messages.push(body);
      void live.writer.appendEvent(thread, body).then(() => answered.add(`m-${i}`));
    };
    for (let i = 1; i <= crashAt; i++) {
      if (i % 5 === 0) personSends(i);
      else runtimeSends(i);
      // Now and then the loop turns: commits, syncs and publications happen.
      if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Once all that is durable (and shown), the runtime sends more: they commit and are shown.
    await live.writer.drain();
    runtimeSends(crashAt + 1);
    runtimeSends(crashAt + 2);
    for (let k = 0; k < 50; k++) await Promise.resolve();
    // Then (in odd rounds) a person's message, held until durable; and the power goes before any
    // of their syncs came back (that takes a turn of the loop).
    if (round % 2 === 1) {
      personSends(crashAt + 3);
      // Its commit waits for the loop's turn (one already happened in this one); so do we, after it.
      for (let k = 0; k < 50; k++) await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    }
    // What the disk holds, and what everyone saw and heard until then.
    const crash = {
      shown: new Map(shown),
      acknowledged,
      answered: new Set(answered),
      copy: afterPowerLoss(file, syncedBytes),
    };
    await live.writer.drain();
    await before.close();

    const after = await openSqliteStore({ file: crash.copy });
    expect(after.unclean).toBe(true);
    const survived = await after.listEvents(thread.id, 0, 10_000);
    // Everything acknowledged or answered survived.
    expect((await after.getRuntime(RUNTIME))?.linkReceived).toBeGreaterThanOrEqual(crash.acknowledged);
    for (const clientId of crash.answered) expect(survived.map(identity)).toContain(clientId);
    undone += [...crash.shown.keys()].filter((seq) => seq > survived.length).length;

    // People retry at once; the runtime comes back a moment later and resends in order.
    const fence = new ResendFence(60_000);
    const restarted = over(after, fence);
    const retries = messages
      .filter((m) => m.kind === 'message.user' && !crash.answered.has(m.clientId))
      .map((m) => restarted.writer.appendEvent(thread, m));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const received = (await after.getRuntime(RUNTIME))!.linkReceived;
    await Promise.all(
      sent
        .filter(({ seq }) => seq > received)
        .map(({ seq, body }) => restarted.writer.appendEvent(thread, body, { receipt: { runtimeId: RUNTIME, seq } })),
    );
    // It goes on working before the fence lifts (its link caught up), and the retries go in.
    const seq = sent.length + 1;
    await restarted.writer.appendEvent(
      thread,
      { kind: 'tool.output', callId: 'c', stream: 'stdout', data: 'after the restart\n' },
      { receipt: { runtimeId: RUNTIME, seq } },
    );
    fence.lift(RUNTIME);
    await Promise.all(retries);

    const final = await after.listEvents(thread.id, 0, 10_000);
    for (const [seq, what] of crash.shown) expect(identity(final[seq - 1]), `seq ${seq}, round ${round}`).toBe(what);
    // Nothing twice.
    expect(new Set(final.map(identity)).size).toBe(final.length);
    fence.close();
    await restarted.writer.drain();
    await after.close();
  }
  // The power loss did undo events that had been shown: the window was there to fall into.
  expect(undone).toBeGreaterThan(0);
});
