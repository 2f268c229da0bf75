import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FromRuntimeMessageSchema,
  ToRuntimeMessageSchema,
  type EventBody,
  type FromRuntimeMessage,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import { type LinkOutbox, LinkSession, type LinkSessionOptions, acceptLink, dialLink } from '@remote-chat/link';
import { ShellAgent } from './agents/shell.js';
import { FileOutbox } from './durable/file-outbox.js';
import { RuntimeHost } from './runtime-host.js';
import { groupAlive } from './tools/terminal.js';
import { startLinkServer } from '../../../test/support/link-server.js';
import { tempDirs } from './test-support/temp.js';
import { sleep, waitFor } from '../../../test/support/wait.js';

// A runtime (RuntimeHost + shell agent + LinkSession, as `serve` wires them) behind a real socket,
// and a BFF stand-in whose handling can be stalled: while stalled it neither stores nor
// acknowledges anything, like a BFF that is down or slow.

const temp = tempDirs();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await temp.cleanup();
});

type RuntimeLinkOptions = Partial<Pick<LinkSessionOptions<ToRuntimeMessage>, 'maxOutbox' | 'highWater' | 'lowWater'>>;

async function rig(
  options: { link?: RuntimeLinkOptions; outbox?: (dir: string) => LinkOutbox<FromRuntimeMessage> } = {},
) {
  const workspace = await temp.make('rc-bp-ws-');
  const logs: string[] = [];
  /** Everything the host produced, in order, and the outbox's high marks while it did. */
  const produced: FromRuntimeMessage[] = [];
  const peak = { pending: 0, held: 0 };
  const outbox = options.outbox?.(await temp.make('rc-bp-state-'));
  const runtime: LinkSession<FromRuntimeMessage, ToRuntimeMessage> = new LinkSession({
    inbound: ToRuntimeMessageSchema,
    onMessage: (message, seq) => host.handle(message, seq),
    log: (line) => logs.push(line),
    ...(outbox ? { outbox } : {}),
    ...options.link,
  });
  const host = new RuntimeHost({
    workspace,
    agents: [new ShellAgent({ workspace, killGraceMs: 500 })],
    send: (message) => {
      produced.push(message);
      runtime.sendOrHold(message);
      peak.pending = Math.max(peak.pending, runtime.pending);
      peak.held = Math.max(peak.held, runtime.held);
    },
    backpressure: runtime,
    log: (line) => logs.push(line),
  });
  const server = await startLinkServer((socket) => {
    acceptLink(socket, { verify: () => true, session: () => runtime }).catch(() => {});
  });

  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const received: { seq: number; message: FromRuntimeMessage }[] = [];
  const bff = new LinkSession<ToRuntimeMessage, FromRuntimeMessage>({
    inbound: FromRuntimeMessageSchema,
    onMessage: async (message, seq) => {
      if (gate) await gate.promise;
      received.push({ seq, message });
    },
  });
  await dialLink({ url: server.url, runtimeId: 'rt_backpressure', token: 'backpressure-test-token', session: bff });
  cleanups.push(async () => {
    gate?.open();
    await host.cancelAll();
    bff.detach();
    runtime.detach();
    await server.close();
    if (outbox instanceof FileOutbox) await outbox.close();
  });

  let userSeq = 0;
  return {
    runtime,
    host,
    bff,
    logs,
    produced,
    peak,
    received,
    say(threadId: string, text: string) {
      userSeq++;
      bff.send({ type: 'message.send', threadId, seq: userSeq, clientId: `c${userSeq}`, text, agent: 'shell' });
    },
    stall() {
      let open = () => {};
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    resume() {
      const stalled = gate;
      gate = undefined;
      stalled?.open();
    },
    /** The events the BFF stored for a thread, in order. */
    events(threadId: string): EventBody[] {
      return received.flatMap(({ message }) =>
        message.type === 'thread.event' && message.threadId === threadId ? [message.event] : [],
      );
    },
    /** The events the host produced for a thread (whether or not they reached the BFF yet). */
    producedEvents(threadId: string): EventBody[] {
      return produced.flatMap((message) =>
        message.type === 'thread.event' && message.threadId === threadId ? [message.event] : [],
      );
    },
  };
}

type Rig = Awaited<ReturnType<typeof rig>>;

const output = (events: EventBody[]): string =>
  events.map((event) => (event.kind === 'tool.output' ? event.data : '')).join('');
const shape = (events: EventBody[]): string[] =>
  events
    .map((event) => (event.kind === 'status' ? `status:${event.state}` : event.kind))
    .filter((kind, i, all) => kind !== 'tool.output' || all[i - 1] !== 'tool.output');

/** Every frame the BFF stored came once, in seq order, with no gap. */
function expectExactlyOnceInOrder(bench: Rig): void {
  const seqs = bench.received.map(({ seq }) => seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  expect(bench.received.map(({ message }) => message)).toEqual(bench.produced);
}

const LINES = 200_000;
const COMMAND = `yes line | head -n ${LINES}`;

describe('back-pressure from a stalled BFF', () => {
  it('pauses a chatty command instead of dropping its output (frame limit), and delivers everything once the BFF catches up', async () => {
    const bench = await rig({ link: { maxOutbox: 24 } });
    bench.stall();
    bench.say('th_1', COMMAND);
    await waitFor(() => bench.runtime.pressure, 'back-pressure');
    await sleep(1_500);
    // ~1 MB of output: the command is blocked writing it, not finished, and nothing was refused.
    expect(bench.producedEvents('th_1').some((event) => event.kind === 'tool.result')).toBe(false);
    expect(output(bench.producedEvents('th_1')).length).toBeLessThan(LINES * 5);
    expect(bench.peak.pending).toBeLessThanOrEqual(24);
    expect(bench.peak.held).toBe(0);
    expect(bench.received).toEqual([]);
    expect(bench.logs).toEqual([]);

    bench.resume();
    await waitFor(() => bench.events('th_1').at(-1)?.kind === 'status', 'the turn to end at the BFF', 20_000);
    const events = bench.events('th_1');
    expect(output(events)).toBe('line\n'.repeat(LINES));
    expect(shape(events)).toEqual(['status:running', 'tool.call', 'tool.output', 'tool.result', 'status:idle']);
    expect(events.find((event) => event.kind === 'tool.result')).toMatchObject({ ok: true, exitCode: 0 });
    expectExactlyOnceInOrder(bench);
    expect(bench.peak.held).toBe(0);
    await waitFor(() => bench.runtime.pending === 0 && !bench.runtime.pressure, 'the outbox to drain');
  });

  it('pauses on the byte bound of a file outbox just the same', async () => {
    const maxBytes = 512 * 1024;
    let outbox: FileOutbox<FromRuntimeMessage> | undefined;
    const bench = await rig({
      outbox: (dir) => (outbox = FileOutbox.open({ dir, schema: FromRuntimeMessageSchema, maxBytes, log: () => {} })),
    });
    let peakBytes = 0;
    const sampler = setInterval(() => (peakBytes = Math.max(peakBytes, outbox!.bytes)), 2);
    cleanups.push(() => clearInterval(sampler));
    bench.stall();
    bench.say('th_1', COMMAND);
    await waitFor(() => bench.runtime.pressure, 'back-pressure');
    await sleep(1_000);
    expect(bench.producedEvents('th_1').some((event) => event.kind === 'tool.result')).toBe(false);
    expect(outbox!.bytes).toBeGreaterThanOrEqual(0.8 * maxBytes);
    expect(outbox!.bytes).toBeLessThanOrEqual(maxBytes);
    expect(bench.runtime.pending).toBeLessThan(100); // the byte bound, not the frame bound, paused it
    expect(bench.peak.held).toBe(0);

    bench.resume();
    await waitFor(() => bench.events('th_1').at(-1)?.kind === 'status', 'the turn to end at the BFF', 20_000);
    const events = bench.events('th_1');
    expect(output(events)).toBe('line\n'.repeat(LINES));
    expect(shape(events)).toEqual(['status:running', 'tool.call', 'tool.output', 'tool.result', 'status:idle']);
    expectExactlyOnceInOrder(bench);
    expect(peakBytes).toBeLessThanOrEqual(maxBytes);
    expect(bench.peak.held).toBe(0);
  });

  it('cancels a paused command at once; its result reaches the BFF after its output once it catches up', async () => {
    const bench = await rig({ link: { maxOutbox: 24 } });
    const pidFile = path.join(await temp.make('rc-bp-pid-'), 'pid');
    bench.stall();
    bench.say('th_1', `echo $$ > ${pidFile}; yes line`);
    await waitFor(() => bench.runtime.pressure, 'back-pressure');
    const pgid = Number((await readFile(pidFile, 'utf8')).trim());
    await sleep(300);
    expect(groupAlive(pgid)).toBe(true);

    bench.bff.send({ type: 'thread.cancel', threadId: 'th_1' });
    // The BFF is still stalled: the command is stopped and the turn ends anyway.
    await waitFor(() => bench.producedEvents('th_1').at(-1)?.kind === 'status', 'the turn to end', 5_000);
    expect(groupAlive(pgid)).toBe(false);
    expect(bench.runtime.pressure).toBe(true);
    expect(bench.received).toEqual([]);
    expect(bench.peak.pending).toBeLessThanOrEqual(24);

    bench.resume();
    await waitFor(() => bench.events('th_1').at(-1)?.kind === 'status', 'the turn to end at the BFF', 10_000);
    const events = bench.events('th_1');
    expect(shape(events)).toEqual(['status:running', 'tool.call', 'tool.output', 'tool.result', 'status:idle']);
    expect(events.find((event) => event.kind === 'tool.result')).toMatchObject({ ok: false, error: 'cancelled' });
    const lines = output(events).split('\n');
    expect(lines.slice(0, -1).every((line) => line === 'line')).toBe(true);
    expectExactlyOnceInOrder(bench);

    // The thread takes new work afterwards.
    bench.say('th_1', 'echo after');
    await waitFor(() => output(bench.events('th_1')).endsWith('after\n'), 'the next command');
  });

  it('holds events in memory past the hard limit rather than drop them, logs it once, and keeps the order', async () => {
    // No headroom at all: the pause starts only when the outbox is full, so what comes after must be held.
    const bench = await rig({ link: { maxOutbox: 8, highWater: 1, lowWater: 0.5 } });
    bench.stall();
    bench.say('th_1', COMMAND);
    await waitFor(() => bench.runtime.pressure, 'back-pressure');
    expect(bench.runtime.pending).toBe(8);
    // Another thread's turn starts meanwhile: its status and tool call cannot be refused.
    bench.say('th_2', 'echo hello');
    await waitFor(
      () => bench.producedEvents('th_2').some((event) => event.kind === 'tool.call'),
      'the other turn to start',
    );
    await sleep(1_000);
    expect(bench.runtime.held).toBeGreaterThanOrEqual(2);
    // Both commands are paused, so what is held stays small.
    expect(bench.peak.held).toBeLessThanOrEqual(6);
    expect(bench.runtime.pending).toBe(8);
    expect(bench.logs.filter((line) => line.includes('holding messages'))).toHaveLength(1);
    expect(bench.producedEvents('th_1').some((event) => event.kind === 'tool.result')).toBe(false);

    bench.resume();
    await waitFor(
      () => bench.events('th_1').at(-1)?.kind === 'status' && bench.events('th_2').at(-1)?.kind === 'status',
      'both turns to end at the BFF',
      20_000,
    );
    for (const threadId of ['th_1', 'th_2']) {
      expect(shape(bench.events(threadId))).toEqual([
        'status:running',
        'tool.call',
        'tool.output',
        'tool.result',
        'status:idle',
      ]);
    }
    expect(output(bench.events('th_1'))).toBe('line\n'.repeat(LINES));
    expect(output(bench.events('th_2'))).toBe('hello\n');
    expectExactlyOnceInOrder(bench);
    expect(bench.logs.some((line) => line.includes('losing'))).toBe(false);
    await waitFor(() => bench.runtime.held === 0 && bench.runtime.pending === 0, 'everything acknowledged');
  });

  it('lets the small events of another thread’s turn through while the link is behind, and pauses its output too', async () => {
    const bench = await rig({ link: { maxOutbox: 24 } });
    bench.stall();
    bench.say('th_1', 'yes line');
    await waitFor(() => bench.runtime.pressure, 'back-pressure');
    bench.say('th_2', 'echo hello');
    await waitFor(
      () => bench.producedEvents('th_2').some((event) => event.kind === 'tool.call'),
      'the other turn to start',
    );
    await sleep(500);
    // Its output waits with everyone else's until the BFF catches up (the pressure is the link's, not a thread's).
    expect(shape(bench.producedEvents('th_2'))).toEqual(['status:running', 'tool.call']);
    expect(bench.peak.pending).toBeLessThanOrEqual(24);
    expect(bench.peak.held).toBe(0);
    bench.bff.send({ type: 'thread.cancel', threadId: 'th_1' });
    bench.resume();
    await waitFor(
      () => bench.events('th_1').at(-1)?.kind === 'status' && bench.events('th_2').at(-1)?.kind === 'status',
      'both turns to end at the BFF',
      10_000,
    );
    expect(output(bench.events('th_2'))).toBe('hello\n');
    expect(bench.events('th_2').find((event) => event.kind === 'tool.result')).toMatchObject({ ok: true, exitCode: 0 });
    expectExactlyOnceInOrder(bench);
  });
});
