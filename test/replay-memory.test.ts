import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { AppendItem } from '@remote-chat/bff';
import { LIMITS, type ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { startTestBff, type TestBff } from './support/bff.js';
import { OPCODE, upgradeHeaders, wsFrame } from './support/raw-http.js';
import { storedThread } from './support/stored-thread.js';

const EVENTS = 300;
const CHUNK = 30 * 1024;
const READERS = 10;

/** A thread of EVENTS tool outputs of CHUNK characters each (9 MB), made straight in the store. */
async function bigThread(bff: TestBff): Promise<string> {
  const { threadId } = await storedThread(bff, { runtimeId: 'rt_big', threadId: 'th_big' });
  const items: AppendItem[] = Array.from({ length: EVENTS }, (_, i) => ({
    body: { kind: 'tool.output', callId: 'c', stream: 'stdout', data: `${i} ${'y'.repeat(CHUNK)}` },
  }));
  for (let i = 0; i < items.length; i += 50) await bff.server.chat.store.appendEvents(threadId, items.slice(i, i + 50));
  return threadId;
}

/**
 * A browser that asks for the whole thread and never reads a byte: the upgrade and the subscribe
 * frame go out in one write, and the socket is never read from.
 */
function neverReadingSubscriber(bff: TestBff, threadId: string): Promise<Socket> {
  const { port } = new URL(bff.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ port: Number(port), host: '127.0.0.1' }, () => {
      socket.pause();
      socket.write(
        Buffer.concat([
          Buffer.from(
            `GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgradeHeaders()}Cookie: ${bff.cookie}\r\n\r\n`,
          ),
          wsFrame(
            OPCODE.text,
            Buffer.from(JSON.stringify({ type: 'subscribe', topic: `thread:${threadId}`, after: 0 })),
          ),
        ]),
      );
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** A field of /proc/self/status in MiB: VmRSS now, or VmHWM, the peak since the last reset. */
function memoryMiB(field: 'VmRSS' | 'VmHWM'): number {
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(kib) / 1024;
}

/** Starts measuring the peak afresh from the current resident size (Linux: clear_refs 5). */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

const connections = (bff: TestBff) =>
  new Promise<number>((resolve, reject) =>
    bff.server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

describe('replay memory', () => {
  it('holds a small bounded amount per reader that never reads a 9 MB thread, then lets it go', {
    timeout: 90_000,
  }, async () => {
    const bff = await startTestBff({ stream: { maxStallMs: 2000 } });
    const threadId = await bigThread(bff);
    // REST pages are bounded the same way: a page of a megabyte, and lastSeq says there is more.
    const page = (await (await bff.api(`/api/threads/${threadId}/events?limit=1000`)).json()) as {
      events: ThreadEvent[];
      lastSeq: number;
    };
    expect(page.lastSeq).toBe(EVENTS);
    expect(page.events.length).toBeGreaterThan(0);
    expect(JSON.stringify(page.events).length).toBeLessThan(LIMITS.maxPageBytes + 2 * CHUNK);

    const idle = await connections(bff);
    resetPeak();
    const before = memoryMiB('VmRSS');
    const readers = await Promise.all(Array.from({ length: READERS }, () => neverReadingSubscriber(bff, threadId)));
    // The BFF lets each of them go (a slow consumer) instead of holding its replay for ever.
    await expect.poll(() => connections(bff), { timeout: 60_000, interval: 100 }).toBeLessThanOrEqual(idle);
    const grownMb = memoryMiB('VmHWM') - before;
    for (const reader of readers) reader.destroy();
    console.info(
      `[measure] peak memory growth for ${READERS} readers that never read a ${(EVENTS * CHUNK) / 2 ** 20} MiB thread: ${grownMb.toFixed(1)} MiB`,
    );
    // Per reader: a page of 256 KiB (rows, then frames) and a socket queue of about 512 KiB, with
    // room for garbage not yet collected: about 2.5 MiB measured, whatever the thread's size. (A
    // page of 1,000 rows made this 164 MiB.)
    expect(grownMb).toBeLessThan(READERS * 4);

    // A reader that does read still gets all of it.
    const again = await bff.stream();
    again.send({ type: 'subscribe', topic: `thread:${threadId}` });
    await again.until(() => again.frames.some((f) => f.type === 'caught-up'), 60_000);
    expect(again.events(threadId).map((e) => e.seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
  });
});
