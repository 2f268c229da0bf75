// A browser that subscribes with `batch` gets a thread's replay in `events` frames, each bounded
// by bytes, the first one small; one that does not still gets an `event` frame per event. Either
// way every stored event arrives once, in order, equal to what the store holds.
import type { AppendItem } from '@remote-chat/bff';
import { LIMITS, type ServerFrame } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { startTestBff, type StreamClient, type TestBff } from './support/bff.js';
import { storedThread } from './support/stored-thread.js';

const EVENTS = 3000;

/**
 * A thread of EVENTS tool outputs of about 600 bytes in two-byte characters (so that characters
 * and bytes differ), and every 500th one of 30 KiB: 2 MB, many frames' worth.
 */
async function longThread(bff: TestBff): Promise<string> {
  const { threadId } = await storedThread(bff, { runtimeId: 'rt_long', threadId: 'th_long' });
  const items: AppendItem[] = Array.from({ length: EVENTS }, (_, i) => ({
    body: {
      kind: 'tool.output',
      callId: 'c',
      stream: 'stdout',
      data: i % 500 === 0 ? `${i} ${'y'.repeat(30 * 1024)}` : `${i} "é" ${'é'.repeat(300)}\n`,
    },
  }));
  for (let i = 0; i < items.length; i += 500)
    await bff.server.chat.store.appendEvents(threadId, items.slice(i, i + 500));
  return threadId;
}

/** Subscribes after 0 and waits for `caught-up`; the frames of the replay with their sizes in bytes. */
async function replay(stream: StreamClient, threadId: string, batch: boolean) {
  const sizes: number[] = [];
  stream.socket.on('message', (data: Buffer) => sizes.push(data.length));
  stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: 0, ...(batch && { batch }) });
  await stream.until(() => stream.frames.some((f) => f.type === 'caught-up'), 30_000, 'caught-up');
  const start = stream.frames.findIndex((f) => f.type === 'event' || f.type === 'events');
  const frames = stream.frames.slice(start);
  return { frames, sizes: sizes.slice(0, frames.length) };
}

const seqsOf = (frames: ServerFrame[]) =>
  frames.flatMap((f) => (f.type === 'events' ? f.events : f.type === 'event' ? [f.event] : []));

describe.each(['sqlite', 'postgres'] as const)('a thread replay on %s', (dialect) => {
  it('comes in events frames bounded by bytes, the first small, every event once and as stored', async () => {
    const bff = await startTestBff({ dialect });
    const threadId = await longThread(bff);
    const { frames, sizes } = await replay(await bff.stream(), threadId, true);

    expect(frames.at(-1)).toEqual({ type: 'caught-up', topic: `thread:${threadId}`, seq: EVENTS });
    const batches = frames.slice(0, -1);
    expect(new Set(batches.map((f) => f.type))).toEqual(new Set(['events']));
    expect(batches.length).toBeGreaterThan(8);
    const counts = batches.map((f) => (f.type === 'events' ? f.events.length : 0));
    expect(counts[0]).toBeLessThanOrEqual(LIMITS.firstBatchEvents);
    // Each frame within the bound, unless it holds a single event larger on its own.
    batches.forEach((_, i) => {
      if (counts[i]! > 1) expect(sizes[i]).toBeLessThanOrEqual(LIMITS.maxBatchFrameBytes);
    });
    expect(Math.max(...sizes.slice(0, -1))).toBeGreaterThan(LIMITS.maxBatchFrameBytes / 2);

    const events = seqsOf(batches);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    // Spliced from the stored text, each event equals what the store reads back.
    expect(events).toEqual(await bff.server.chat.store.listEvents(threadId, 0, EVENTS));
  });

  it('comes an event frame per event to a subscriber that did not ask for batches', async () => {
    const bff = await startTestBff({ dialect });
    const threadId = await longThread(bff);
    const { frames } = await replay(await bff.stream(), threadId, false);
    expect(frames.at(-1)?.type).toBe('caught-up');
    expect(new Set(frames.slice(0, -1).map((f) => f.type))).toEqual(new Set(['event']));
    expect(seqsOf(frames)).toEqual(await bff.server.chat.store.listEvents(threadId, 0, EVENTS));
  });
});
