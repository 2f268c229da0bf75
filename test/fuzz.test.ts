import { PROTOCOL_VERSION, type ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestBff, type TestBff } from './support/bff.js';
import { mutate, random } from './support/fuzz-input.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

async function snapshot(bff: TestBff, threadId: string): Promise<ThreadEvent[]> {
  return bff.server.chat.store.listEvents(threadId, 0, 10_000);
}

/** A thread with a few stored events, made directly in the store. */
async function storedThread(bff: TestBff): Promise<string> {
  const store = bff.server.chat.store;
  await store.createRuntime({
    id: 'rt_fuzz',
    userId: 'owner',
    name: 'fuzz',
    kind: 'sandbox',
    provider: 'process',
    repo: null,
    branch: null,
    agent: 'shell',
  });
  await store.createThread({ id: 'th_fuzz', runtimeId: 'rt_fuzz', userId: 'owner', title: 'fuzz', titled: true });
  for (const state of ['running', 'idle'] as const) await store.appendEvent('th_fuzz', { kind: 'status', state });
  return 'th_fuzz';
}

function open(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('fuzzing', () => {
  it('answers thousands of random and mutated stream frames with errors and changes nothing', async () => {
    const bff = await startTestBff({ stream: { framesPerSecond: 1_000_000, maxBadFrames: 1_000_000 } });
    const threadId = await storedThread(bff);
    const before = await snapshot(bff, threadId);
    const r = random(SEED);
    const valid = [
      { type: 'subscribe', topic: `thread:${threadId}`, after: 0 },
      { type: 'unsubscribe', topic: `thread:${threadId}` },
      { type: 'ping', id: 1 },
      { type: 'subscribe', topic: 'runtimes' },
    ];
    let socket = await open(`${bff.url.replace('http', 'ws')}/api/stream`, { cookie: bff.cookie });
    let closes = 0;
    for (let i = 0; i < 3000; i++) {
      if (socket.readyState !== WebSocket.OPEN) {
        closes++;
        socket = await open(`${bff.url.replace('http', 'ws')}/api/stream`, { cookie: bff.cookie });
      }
      socket.send(r.next() < 0.1 ? JSON.stringify(r.pick(valid)) : mutate(r, r.pick(valid)));
      if (i % 200 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    socket.close();

    expect(await snapshot(bff, threadId)).toEqual(before);
    // Still serving: a clean subscriber gets exactly the stored events.
    const check = await bff.stream();
    check.send({ type: 'subscribe', topic: `thread:${threadId}` });
    await check.until(() => check.frames.some((f) => f.type === 'caught-up'));
    expect(check.events(threadId)).toEqual(before);
    expect(closes).toBeLessThan(3000);
  });

  it('survives thousands of random, mutated and replayed runtime-link frames without losing or duplicating an event', async () => {
    const bff = await startTestBff();
    const token = ((await (await bff.api('/api/tokens', { body: { name: 'fuzz' } })).json()) as { token: string })
      .token;
    const r = random(SEED + 1);
    const runtimeId = 'rt_fuzzmachine';
    const url = `${bff.url.replace('http', 'ws')}/api/link`;

    /** Opens the machine link and completes the handshake; resolves with the BFF's lastReceived. */
    const handshake = async (): Promise<{ socket: WebSocket; lastReceived: number }> => {
      const socket = await open(url, {});
      const welcome = new Promise<number>((resolve, reject) => {
        socket.once('message', (data) => {
          const frame = JSON.parse(String(data)) as { type: string; lastReceived: number };
          if (frame.type === 'welcome') resolve(frame.lastReceived);
          else reject(new Error(String(data)));
        });
        socket.once('close', (code) => reject(new Error(`closed ${code}`)));
      });
      socket.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, runtimeId, token, lastReceived: 0 }));
      return { socket, lastReceived: await welcome };
    };

    let { socket, lastReceived } = await handshake();
    const threadId = (
      (await (await bff.api(`/api/runtimes/${runtimeId}/threads`, { body: {} })).json()) as { id: string }
    ).id;
    const event = (n: number) => ({
      type: 'thread.event',
      threadId,
      event: { kind: 'tool.output', callId: 'c', stream: 'stdout', data: `valid-${n}\n` },
    });
    // A few valid frames the BFF must store exactly once each.
    const validFrames: Array<Record<string, unknown>> = [];
    for (let n = 1; n <= 5; n++) {
      const frame = { type: 'data', seq: lastReceived + n, message: event(n) };
      validFrames.push(frame);
      socket.send(JSON.stringify(frame));
    }
    const stored = () => bff.server.chat.store.listEvents(threadId, 0, 10_000);
    for (let waited = 0; (await stored()).length < 5 && waited < 5000; waited += 20)
      await new Promise((res) => setTimeout(res, 20));

    const hostile = [
      ...validFrames,
      {
        type: 'data',
        seq: 99,
        message: { type: 'thread.event', threadId: 'th_someone_else', event: { kind: 'status', state: 'idle' } },
      },
      {
        type: 'data',
        seq: 6,
        message: {
          type: 'thread.event',
          threadId,
          event: { kind: 'message.user', clientId: 'forged-123', text: 'rm -rf /', agent: 'shell' },
        },
      },
      { type: 'data', seq: 6, message: { type: 'runtime.explode' } },
      { type: 'ack', upTo: 1e9 },
      { type: 'hello', protocol: PROTOCOL_VERSION, runtimeId, token, lastReceived: 0 },
      { type: 'ping', t: 1 },
    ];
    let reconnects = 0;
    for (let i = 0; i < 2000; i++) {
      if (socket.readyState !== WebSocket.OPEN) {
        reconnects++;
        ({ socket } = await handshake());
      }
      const base = r.pick(hostile);
      // Replays of valid frames as they are, and everything else mutated.
      socket.send(validFrames.includes(base) && r.next() < 0.5 ? JSON.stringify(base) : mutate(r, base));
      if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    socket.close();
    // One more valid frame on a fresh link: its event is appended after everything sent before it,
    // so once it is stored, nothing the fuzzing sent is still on its way.
    const last = await handshake();
    last.socket.send(JSON.stringify({ type: 'data', seq: last.lastReceived + 1, message: event(6) }));
    const sixth = (e: ThreadEvent) => e.kind === 'tool.output' && e.data === 'valid-6\n';
    for (let waited = 0; !(await stored()).some(sixth); waited += 20) {
      if (waited > 10_000) throw new Error('the last valid frame was not stored');
      await new Promise((res) => setTimeout(res, 20));
    }
    last.socket.close();

    const events = await stored();
    const outputs = events.flatMap((e) => (e.kind === 'tool.output' ? [e.data] : []));
    expect(outputs).toEqual(['valid-1\n', 'valid-2\n', 'valid-3\n', 'valid-4\n', 'valid-5\n', 'valid-6\n']);
    expect(events.some((e) => e.kind === 'message.user')).toBe(false);
    expect(reconnects).toBeGreaterThan(0);
    // The BFF still serves, and the machine can still connect.
    expect((await bff.api('/api/config')).status).toBe(200);
    (await handshake()).socket.close();
  });
});
