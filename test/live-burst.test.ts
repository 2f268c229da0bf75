// A machine's burst of events across several threads, fanned out live to browsers that follow
// different threads: each frame is built once and a turn's frames leave each socket in one write,
// shared between sockets that follow the same threads. Each browser must still get exactly the
// events of the threads it follows, each once and in order, and nothing of the others.
import type { Thread } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { startTestBff, StreamClient, type TestBff } from './support/bff.js';
import { MACHINE_INFO, MachineLink } from './support/machine-link.js';
import { apiToken } from './support/tokens.js';

const RUNTIME = 'rt_laptop_burst';
const ROUNDS = 300;

async function newThread(bff: TestBff): Promise<string> {
  return ((await (await bff.api(`/api/runtimes/${RUNTIME}/threads`, { body: {} })).json()) as Thread).id;
}

async function follow(bff: TestBff, threadIds: string[]): Promise<StreamClient> {
  const stream = await StreamClient.open(bff.url, bff.cookie);
  for (const id of threadIds) stream.send({ type: 'subscribe', topic: `thread:${id}`, after: 0, batch: true });
  await stream.until(
    () => threadIds.every((id) => stream.frames.some((f) => f.type === 'caught-up' && f.topic === `thread:${id}`)),
    20_000,
    'caught up on every thread',
  );
  return stream;
}

describe('a burst of live events across threads', () => {
  it('reaches each browser as exactly the events of the threads it follows, in order', async () => {
    const bff = await startTestBff();
    const { token } = await apiToken(bff, 'laptop');
    const link = await MachineLink.open(bff.url, { token, runtimeId: RUNTIME, lastReceived: 0 });
    let seq = 0;
    link.send({ type: 'data', seq: ++seq, message: MACHINE_INFO });
    const [x, y, z] = [await newThread(bff), await newThread(bff), await newThread(bff)];
    // Two browsers that share one thread, and two more that follow the same two threads.
    const xy = await follow(bff, [x!, y!]);
    const xz = await follow(bff, [x!, z!]);
    const xySecond = await follow(bff, [x!, y!]);
    const zOnly = await follow(bff, [z!]);

    // Sent in one go: the BFF reads many at a time, so turns mix the threads' events.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const threadId of [x, y, z]) {
        link.send({
          type: 'data',
          seq: ++seq,
          message: {
            type: 'thread.event',
            threadId,
            event: { kind: 'tool.output', callId: 'c', stream: 'stdout', data: `${threadId} ${round}\n` },
          },
        });
      }
    }
    const lines = (stream: StreamClient, threadId: string) =>
      stream.events(threadId).map((event) => (event.kind === 'tool.output' ? event.data : event.kind));
    const expected = (threadId: string) => Array.from({ length: ROUNDS }, (_, i) => `${threadId} ${i + 1}\n`);
    const all = (stream: StreamClient, threadIds: string[]) =>
      threadIds.every((id) => stream.events(id).length >= ROUNDS);
    await xy.until(() => all(xy, [x!, y!]), 20_000, 'every event of x and y');
    await xz.until(() => all(xz, [x!, z!]), 20_000, 'every event of x and z');
    await xySecond.until(() => all(xySecond, [x!, y!]), 20_000, 'every event of x and y');
    await zOnly.until(() => all(zOnly, [z!]), 20_000, 'every event of z');

    for (const [stream, followed] of [
      [xy, [x!, y!]],
      [xz, [x!, z!]],
      [xySecond, [x!, y!]],
      [zOnly, [z!]],
    ] as const) {
      for (const id of followed) {
        expect(lines(stream, id)).toEqual(expected(id));
        expect(stream.events(id).map((event) => event.seq)).toEqual(expected(id).map((_, i) => i + 1));
      }
      // Nothing of a thread it does not follow.
      const topics = new Set(stream.frames.flatMap((f) => ('topic' in f ? [f.topic] : [])));
      expect([...topics].sort()).toEqual(followed.map((id) => `thread:${id}`).sort());
    }
  });
});
