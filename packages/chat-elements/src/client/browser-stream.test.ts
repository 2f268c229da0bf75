import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame, ThreadEvent } from '@remote-chat/protocol';
import { FakeSocket } from '../fixtures/fake-socket.js';
import { RcConnectionChangeEvent } from './connection-status.js';
import { RemoteChatClient } from './remote-chat-client.js';

function threadEvent(seq: number): ThreadEvent {
  return {
    threadId: 't1',
    seq,
    at: new Date().toISOString(),
    kind: 'tool.output',
    callId: 'c',
    stream: 'stdout',
    data: `${seq}\n`,
  };
}

function event(seq: number): ServerFrame {
  return { type: 'event', topic: 'thread:t1', event: threadEvent(seq) };
}

/** An `events` frame of a replay holding these seqs. */
function events(...seqs: number[]): ServerFrame {
  return { type: 'events', topic: 'thread:t1', events: seqs.map(threadEvent) };
}

/** The seqs a thread listener was handed, one array per call. */
function batchesOf(frames: ServerFrame[]): number[][] {
  return frames.map((f) =>
    f.type === 'events' ? f.events.map((e) => e.seq) : f.type === 'event' ? [f.event.seq] : [],
  );
}

async function until<T>(find: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The n-th socket the client opened, once it has sent its first frame. */
function socketNumber(n: number): Promise<FakeSocket> {
  return until(() => {
    const socket = FakeSocket.opened[n];
    return socket && socket.sent.length > 0 ? socket : undefined;
  });
}

let client: RemoteChatClient | undefined;

function newClient(fetch?: typeof globalThis.fetch): RemoteChatClient {
  FakeSocket.opened = [];
  client = new RemoteChatClient({
    bffUrl: 'http://bff.test',
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    ...(fetch ? { fetch } : {}),
  });
  return client;
}

afterEach(() => client?.close());

describe('RemoteChatClient stream', () => {
  it('resumes a thread after a reconnect from the last seq it saw, with nothing twice', async () => {
    const c = newClient();
    const seen: number[] = [];
    c.subscribe('thread:t1', 0, (frame) => frame.type === 'event' && seen.push(frame.event.seq));
    const first = await socketNumber(0);
    expect(first.url).toBe('ws://bff.test/api/stream');
    expect(first.sent).toEqual([{ type: 'subscribe', topic: 'thread:t1', after: 0, batch: true }]);
    first.push(event(1));
    first.push(event(2));
    first.close(1006);
    expect(c.connectionStatus).toBe('reconnecting');

    const second = await socketNumber(1);
    expect(second.sent).toEqual([{ type: 'subscribe', topic: 'thread:t1', after: 2, batch: true }]);
    expect(c.connectionStatus).toBe('open');
    // A server that replays a little too much is harmless.
    second.push(event(2));
    second.push(event(3));
    expect(seen).toEqual([1, 2, 3]);
  });

  it('heals a gap by subscribing again from the last seq in order', async () => {
    const c = newClient();
    const seen: number[] = [];
    c.subscribe('thread:t1', 0, (frame) => frame.type === 'event' && seen.push(frame.event.seq));
    const socket = await socketNumber(0);
    socket.push(event(1));
    socket.push(event(3));
    expect(seen).toEqual([1]);
    expect(socket.sent.slice(1)).toEqual([
      { type: 'unsubscribe', topic: 'thread:t1' },
      { type: 'subscribe', topic: 'thread:t1', after: 1, batch: true },
    ]);
    socket.push(event(2));
    socket.push(event(3));
    socket.push({ type: 'caught-up', topic: 'thread:t1', seq: 3 });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('hands a batched replay to each listener in one call, without what it has already seen', async () => {
    const c = newClient();
    const early: ServerFrame[] = [];
    c.subscribe('thread:t1', 0, (frame) => early.push(frame));
    const socket = await socketNumber(0);
    socket.push(events(1, 2, 3));
    // A second listener that has seen up to 2 makes the stream replay from 0 again.
    const late: ServerFrame[] = [];
    c.subscribe('thread:t1', 2, (frame) => late.push(frame));
    socket.push(events(1, 2, 3, 4));
    socket.push(event(5));
    expect(batchesOf(early)).toEqual([[1, 2, 3], [4], [5]]);
    expect(batchesOf(late)).toEqual([[3, 4], [5]]);
  });

  it('heals a gap inside a batch: takes what follows on, then replays from there', async () => {
    const c = newClient();
    const seen: number[][] = [];
    c.subscribe('thread:t1', 0, (frame) => seen.push(...batchesOf([frame])));
    const socket = await socketNumber(0);
    socket.push(events(1, 2, 4, 5));
    expect(seen).toEqual([[1, 2]]);
    expect(socket.sent.slice(1)).toEqual([
      { type: 'unsubscribe', topic: 'thread:t1' },
      { type: 'subscribe', topic: 'thread:t1', after: 2, batch: true },
    ]);
    socket.push(events(3, 4, 5));
    expect(seen).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('asks for batches on thread topics only', async () => {
    const c = newClient();
    c.subscribe('runtime-log:r1', 0, () => undefined);
    c.subscribe('thread:t1', 0, () => undefined);
    const socket = await socketNumber(0);
    await until(() => (socket.sent.length === 2 ? true : undefined));
    expect(socket.sent).toEqual([
      { type: 'subscribe', topic: 'runtime-log:r1', after: 0 },
      { type: 'subscribe', topic: 'thread:t1', after: 0, batch: true },
    ]);
  });

  it('shares one subscription and gives a late listener the current snapshot', async () => {
    const c = newClient();
    const runtime = {
      id: 'r1',
      name: 'one',
      kind: 'sandbox',
      provider: 'process',
      status: 'starting',
      link: 'connecting',
      repo: null,
      branch: null,
      agent: 'shell',
      project: null,
      gitRemote: null,
      machine: null,
      logSeq: 0,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    } as const;
    c.subscribe('runtimes', 0, () => {});
    const socket = await socketNumber(0);
    socket.push({ type: 'runtimes', topic: 'runtimes', runtimes: [runtime] });
    socket.push({ type: 'runtime', topic: 'runtimes', runtime: { ...runtime, status: 'ready' } });
    const late: ServerFrame[] = [];
    c.subscribe('runtimes', 0, (frame) => late.push(frame));
    await until(() => late[0]);
    expect(late[0]).toMatchObject({ type: 'runtimes', runtimes: [{ id: 'r1', status: 'ready' }] });
    expect(socket.sent).toEqual([{ type: 'subscribe', topic: 'runtimes' }]);
  });

  it('stops retrying when the BFF refuses the session', async () => {
    const c = newClient();
    const statuses: string[] = [];
    c.addEventListener(
      'rc-connection-change',
      (e) => e instanceof RcConnectionChangeEvent && statuses.push(e.detail.status),
    );
    c.subscribe('runtimes', 0, () => {});
    const socket = await socketNumber(0);
    socket.close(4401);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(FakeSocket.opened).toHaveLength(1);
    expect(statuses).toEqual(['connecting', 'open', 'closed']);
  });
});

describe('RemoteChatClient.sendMessage', () => {
  it('retries a message after a 503 with the same client id', async () => {
    const bodies: unknown[] = [];
    let calls = 0;
    const c = newClient(async (_input, init) => {
      bodies.push(JSON.parse(String(init?.body)));
      calls++;
      if (calls === 1)
        return new Response(JSON.stringify({ error: { code: 'runtime_unavailable', message: 'later' } }), {
          status: 503,
        });
      const stored: ThreadEvent = {
        threadId: 't1',
        seq: 1,
        at: new Date().toISOString(),
        kind: 'message.user',
        clientId: 'x',
        text: 'ls',
        agent: 'shell',
      };
      return new Response(JSON.stringify({ event: stored, created: true }), { status: 202 });
    });
    const answer = await c.sendMessage('t1', { text: 'ls' });
    expect(answer.created).toBe(true);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toEqual(bodies[1]);
    expect(bodies[0]).toMatchObject({ text: 'ls', clientId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('sends once with attempts: 1, for a caller that retries by itself', async () => {
    let calls = 0;
    const c = newClient(async () => {
      calls++;
      return new Response(JSON.stringify({ error: { code: 'runtime_unavailable', message: 'later' } }), {
        status: 503,
      });
    });
    await expect(c.sendMessage('t1', { text: 'ls' }, { attempts: 1 })).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(1);
  });

  it('throws a ChatClientError with the code, status and message of an error body', async () => {
    const c = newClient(
      async () =>
        new Response(JSON.stringify({ error: { code: 'not_found', message: 'No such thread.' } }), { status: 404 }),
    );
    await expect(c.getThreadEvents('nope')).rejects.toMatchObject({
      name: 'ChatClientError',
      code: 'not_found',
      status: 404,
      message: 'No such thread.',
    });
  });
});
