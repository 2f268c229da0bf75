import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CLOSE_CODES,
  GatewayFromRuntimeFrameSchema,
  GatewayToRuntimeFrameSchema,
  PROTOCOL_VERSION,
  type GatewayFromRuntimeFrame,
  type GatewayToRuntimeFrame,
  type LinkState,
} from '@remote-chat/protocol';
import {
  describeClose,
  LinkSession,
  MAX_BAD_FRAMES,
  type LinkSessionOptions,
  type LinkSessionStorage,
} from './session.js';
import { LinkFrameTooLargeError, LinkHandshakeError, LinkOutboxFullError } from './errors.js';
import { acceptLink, dialLink } from './handshake.js';
import { LinkDialer } from './dialer.js';
import { RawPeer, startLinkServer, type TestLinkServer } from '../../../test/support/link-server.js';
import { sleep, waitFor } from '../../../test/support/wait.js';

const TOKEN = 'a-token-of-at-least-16-chars';
const RUNTIME_ID = 'rt_1';
const NumberMessage = z.object({ n: z.number() });
type NumberMessage = z.infer<typeof NumberMessage>;

/** A session that records what it handled. */
function recordingSession(
  options: Partial<LinkSessionOptions<NumberMessage> & LinkSessionStorage<NumberMessage>> = {},
) {
  const handled: number[] = [];
  const seqs: number[] = [];
  const session = new LinkSession<NumberMessage, NumberMessage>({
    inbound: NumberMessage,
    onMessage: (message, seq) => {
      handled.push(message.n);
      seqs.push(seq);
    },
    ...options,
  });
  return { session, handled, seqs };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A listener that accepts with acceptLink into `session`, checking TOKEN. */
async function listen(
  session: LinkSession<NumberMessage, NumberMessage>,
): Promise<TestLinkServer & { accepted: Promise<unknown>[] }> {
  const accepted: Promise<unknown>[] = [];
  const server = await startLinkServer((socket) => {
    const result = acceptLink(socket, { verify: (hello) => hello.token === TOKEN, session: () => session });
    result.catch(() => {});
    accepted.push(result);
  });
  cleanups.push(() => server.close());
  return Object.assign(server, { accepted });
}

/** A stream that carries a socket's bytes but is no socket (as an SSH channel is not). */
function plainStream(socket: Socket): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
    final: (done) => {
      socket.end();
      done();
    },
    destroy: (error, done) => {
      socket.destroy();
      done(error);
    },
  });
  socket.on('data', (data) => {
    if (!stream.push(data)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  socket.on('error', (error) => stream.destroy(error));
  return stream;
}

function hello(lastReceived = 0, protocol: number = PROTOCOL_VERSION) {
  return { type: 'hello', protocol, runtimeId: RUNTIME_ID, token: TOKEN, lastReceived };
}

describe('runtime link', () => {
  it('connects with the right token and delivers messages both ways in order', async () => {
    const listener = recordingSession();
    const dialler = recordingSession();
    const server = await listen(listener.session);
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    expect(dialler.session.state).toBe('open');
    for (let n = 1; n <= 50; n++) dialler.session.send({ n });
    for (let n = 101; n <= 150; n++) listener.session.send({ n });
    await waitFor(() => listener.handled.length === 50 && dialler.handled.length === 50, 'both sides to handle 50');
    expect(listener.handled).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(listener.seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(dialler.handled).toEqual(Array.from({ length: 50 }, (_, i) => i + 101));
    // Acknowledged frames are no longer kept.
    await waitFor(() => dialler.session.pending === 0 && listener.session.pending === 0, 'acks');
    expect(listener.session.lastReceived).toBe(50);
    dialler.session.detach();
  });

  it('refuses a wrong token with close code 4401', async () => {
    const server = await listen(recordingSession().session);
    const dialler = recordingSession();
    const error = await dialLink({
      url: server.url,
      runtimeId: RUNTIME_ID,
      token: 'wrong-token-wrong-token',
      session: dialler.session,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkHandshakeError);
    expect((error as LinkHandshakeError).code).toBe(CLOSE_CODES.unauthorized);
    expect(dialler.session.state).toBe('offline');
  });

  it('refuses a dialler that speaks another protocol version with 4406', async () => {
    const server = await listen(recordingSession().session);
    const peer = await RawPeer.connect(server.url);
    peer.send(hello(0, PROTOCOL_VERSION + 1));
    await waitFor(() => peer.closed, 'close');
    expect(peer.closed?.code).toBe(CLOSE_CODES.protocolMismatch);
  });

  it('refuses a listener that speaks another protocol version with 4406', async () => {
    const server = await startLinkServer((socket) => {
      socket.once('message', () =>
        socket.send(
          JSON.stringify({ type: 'welcome', protocol: PROTOCOL_VERSION + 1, runtimeId: RUNTIME_ID, lastReceived: 0 }),
        ),
      );
    });
    cleanups.push(() => server.close());
    const error = await dialLink({
      url: server.url,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: recordingSession().session,
    }).catch((e: unknown) => e);
    expect((error as LinkHandshakeError).code).toBe(CLOSE_CODES.protocolMismatch);
  });

  it('rejects with the connection error, not a refusal, when nothing listens', async () => {
    const server = await startLinkServer(() => {});
    const url = server.url;
    await server.close();
    const dialler = recordingSession();
    const error = await dialLink({ url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session }).catch(
      (e: unknown) => e,
    );
    expect(error).not.toBeInstanceOf(LinkHandshakeError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringMatching(/^connect ECONNREFUSED /) });
    expect(dialler.session.state).toBe('offline');
  });

  it('handles a resend after a dropped socket exactly once and in order, and acknowledges it again', async () => {
    const listener = recordingSession();
    const server = await listen(listener.session);

    const first = await RawPeer.connect(server.url);
    first.send(hello());
    await waitFor(() => first.ofType('welcome').length, 'welcome');
    for (let seq = 1; seq <= 3; seq++) first.send({ type: 'data', seq, message: { n: seq } });
    await waitFor(() => first.ofType('ack').some((ack) => ack.upTo === 3), 'ack 3');
    first.socket.terminate();
    await waitFor(() => listener.session.state === 'offline', 'offline');

    // The dialler lost the acks and resends everything, then continues.
    const second = await RawPeer.connect(server.url);
    second.send(hello());
    await waitFor(() => second.ofType('welcome').length, 'welcome');
    expect(second.ofType('welcome')[0]?.lastReceived).toBe(3);
    for (let seq = 1; seq <= 5; seq++) second.send({ type: 'data', seq, message: { n: seq } });
    await waitFor(() => listener.handled.length === 5, 'five handled');
    await waitFor(() => second.ofType('ack').some((ack) => ack.upTo === 5), 'ack 5');
    await sleep(50);
    expect(listener.handled).toEqual([1, 2, 3, 4, 5]);
    expect(second.closed).toBeUndefined();
  });

  it('delivers every message exactly once while sockets keep dropping', async () => {
    const handled: number[] = [];
    const listenerSession = new LinkSession<NumberMessage, NumberMessage>({
      inbound: NumberMessage,
      // A slow consumer leaves frames unacknowledged when the socket drops.
      onMessage: async (message) => {
        await sleep(1);
        handled.push(message.n);
      },
    });
    const server = await listen(listenerSession);
    const dialler = recordingSession();
    for (let round = 0; round < 4; round++) {
      await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
      for (let i = 0; i < 25; i++) dialler.session.send({ n: round * 25 + i });
      await sleep(15);
      for (const socket of server.sockets) socket.terminate();
      await waitFor(() => dialler.session.state === 'offline', 'dialler offline');
    }
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    await waitFor(() => handled.length === 100 && dialler.session.pending === 0, 'all 100 handled and acked', 10_000);
    expect(handled).toEqual(Array.from({ length: 100 }, (_, i) => i));
    dialler.session.detach();
  });

  it('keeps messages sent while offline and sends them after reattaching', async () => {
    const listener = recordingSession();
    const server = await listen(listener.session);
    const dialler = recordingSession();
    dialler.session.send({ n: 1 });
    dialler.session.send({ n: 2 });
    expect(dialler.session.pending).toBe(2);
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    await waitFor(() => listener.handled.length === 2, 'both handled');
    await waitFor(() => dialler.session.pending === 0, 'acked');
    dialler.session.detach();
    dialler.session.send({ n: 3 });
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    await waitFor(() => listener.handled.length === 3, 'third handled');
    expect(listener.handled).toEqual([1, 2, 3]);
    dialler.session.detach();
  });

  it('survives malformed frames and closes with 4400 after too many', async () => {
    const listener = recordingSession({ maxFrameBytes: 4096 });
    const server = await listen(listener.session);
    const peer = await RawPeer.connect(server.url);
    peer.send(hello());
    await waitFor(() => peer.ofType('welcome').length, 'welcome');
    const bad = [
      'not json',
      '{"type":"data"}',
      JSON.stringify({ type: 'data', seq: 1, message: { n: 'one' } }),
      JSON.stringify({ type: 'data', seq: 1, message: { n: 1 }, extra: true }),
      JSON.stringify({ type: 'ack', upTo: -1 }),
      JSON.stringify(hello()),
    ];
    for (const frame of bad) peer.send(frame);
    peer.send({ type: 'data', seq: 1, message: { n: 1 } });
    await waitFor(() => listener.handled.length === 1, 'the valid frame handled');
    expect(peer.closed).toBeUndefined();
    for (let i = bad.length; i < MAX_BAD_FRAMES; i++) peer.send('garbage');
    await waitFor(() => peer.closed, 'close');
    expect(peer.closed?.code).toBe(CLOSE_CODES.badFrames);
    expect(listener.handled).toEqual([1]);
  });

  it('closes with 1009 a socket that sends a frame over its limit, and handles nothing of it', async () => {
    const listener = recordingSession({ maxFrameBytes: 4096 });
    const server = await listen(listener.session);
    const peer = await RawPeer.connect(server.url);
    peer.send(hello());
    await waitFor(() => peer.ofType('welcome').length, 'welcome');
    peer.send({ type: 'data', seq: 1, message: { n: 1, pad: 'x'.repeat(5000) } });
    await waitFor(() => peer.closed, 'close');
    expect(peer.closed?.code).toBe(1009);
    expect(listener.handled).toEqual([]);
  });

  it('closes with 4429 a socket that goes over its frame budget, reads nothing more from it, and gives the next socket a fresh budget', async () => {
    // Each socket may send 3 data frames and 2 others.
    const budgets: Record<string, number>[] = [];
    const listener = recordingSession({
      frameGate: () => {
        const left: Record<string, number> = { data: 3, other: 2 };
        budgets.push(left);
        return (type) => {
          const kind = type === 'data' ? 'data' : 'other';
          return left[kind]!-- > 0;
        };
      },
    });
    const server = await listen(listener.session);
    const flooder = await RawPeer.connect(server.url);
    flooder.send(hello());
    await waitFor(() => flooder.ofType('welcome').length, 'welcome');
    flooder.send({ type: 'ping', t: 1 });
    flooder.send({ type: 'ping', t: 2 });
    for (let n = 1; n <= 3; n++) flooder.send({ type: 'data', seq: n, message: { n } });
    // Over the budget: a third ping, then data the session must never handle.
    flooder.send({ type: 'ping', t: 3 });
    for (let n = 4; n <= 50; n++) flooder.send({ type: 'data', seq: n, message: { n } });
    await waitFor(() => flooder.closed, 'close');
    expect(flooder.closed?.code).toBe(CLOSE_CODES.rateLimited);
    expect(flooder.ofType('pong')).toHaveLength(2);
    await waitFor(() => listener.handled.length === 3, 'three handled');
    expect(listener.handled).toEqual([1, 2, 3]);

    // The peer may come back at once, with a budget of its own.
    const again = await RawPeer.connect(server.url);
    again.send(hello(3));
    await waitFor(() => again.ofType('welcome').length, 'second welcome');
    again.send({ type: 'data', seq: 4, message: { n: 4 } });
    await waitFor(() => listener.handled.length === 4, 'the fourth handled');
    expect(again.closed).toBeUndefined();
    expect(budgets).toHaveLength(2);
  });

  it('closes the socket on a gap so that the peer resends', async () => {
    const listener = recordingSession();
    const server = await listen(listener.session);
    const peer = await RawPeer.connect(server.url);
    peer.send(hello());
    await waitFor(() => peer.ofType('welcome').length, 'welcome');
    peer.send({ type: 'data', seq: 1, message: { n: 1 } });
    peer.send({ type: 'data', seq: 3, message: { n: 3 } });
    await waitFor(() => peer.closed, 'close');
    expect(peer.closed?.code).toBe(CLOSE_CODES.badFrames);
    expect(peer.closed?.reason).toMatch(/gap/);
    expect(listener.handled).toEqual([1]);
  });

  it('answers pings and closes a link that went silent with 4408', async () => {
    const states: LinkState[] = [];
    const dialler = recordingSession({ heartbeatMs: 40, deadAfterMs: 200 });
    dialler.session.onState((state) => states.push(state));
    let silent: RawPeer | undefined;
    const server = await startLinkServer((socket) => {
      silent = new RawPeer(socket);
      socket.once('message', () =>
        socket.send(
          JSON.stringify({ type: 'welcome', protocol: PROTOCOL_VERSION, runtimeId: RUNTIME_ID, lastReceived: 0 }),
        ),
      );
    });
    cleanups.push(() => server.close());
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    const peer = await waitFor(() => silent, 'peer');
    peer.send({ type: 'ping', t: 42 });
    await waitFor(() => peer.ofType('pong').length, 'pong');
    expect(peer.ofType('pong')[0]).toEqual({ type: 'pong', t: 42 });
    const started = Date.now();
    await waitFor(() => peer.closed, 'dead-link close', 3_000);
    expect(peer.closed?.code).toBe(CLOSE_CODES.timeout);
    // 200 ms configured; the bound leaves room for a loaded machine yet is far below the default.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(peer.ofType('ping').length).toBeGreaterThanOrEqual(2);
    expect(states).toEqual(['connecting', 'open', 'offline']);
  });

  it('keeps a link with heartbeats alive past the dead-link timeout', async () => {
    // The dead-link window is ten heartbeats, and the test waits three windows: long enough to
    // prove heartbeats keep the link up, short of the event-loop stalls a loaded CI machine has.
    const listener = recordingSession({ heartbeatMs: 60, deadAfterMs: 600 });
    const server = await listen(listener.session);
    const dialler = recordingSession({ heartbeatMs: 60, deadAfterMs: 600 });
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    await sleep(1_800);
    expect(dialler.session.state).toBe('open');
    expect(listener.session.state).toBe('open');
    dialler.session.detach();
  });

  it('replaces an older connection with 4409 without going offline', async () => {
    const listener = recordingSession();
    const states: LinkState[] = [];
    listener.session.onState((state) => states.push(state));
    const server = await listen(listener.session);
    const first = await RawPeer.connect(server.url);
    first.send(hello());
    await waitFor(() => first.ofType('welcome').length, 'welcome');
    const second = await RawPeer.connect(server.url);
    second.send(hello());
    await waitFor(() => first.closed, 'first closed');
    expect(first.closed?.code).toBe(CLOSE_CODES.replaced);
    second.send({ type: 'data', seq: 1, message: { n: 7 } });
    await waitFor(() => listener.handled.length === 1, 'handled');
    expect(listener.session.state).toBe('open');
    expect(states).toEqual(['open']);
  });

  it('renumbers kept frames when the peer restarted without its state', async () => {
    const dialler = recordingSession();
    const first = recordingSession();
    const server = await listen(first.session);
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    for (let n = 1; n <= 5; n++) dialler.session.send({ n });
    await waitFor(() => dialler.session.pending === 0, 'acked');
    dialler.session.detach();
    await server.close();
    dialler.session.send({ n: 6 });
    dialler.session.send({ n: 7 });

    // The listener restarted: a fresh session that has handled nothing.
    const restarted = recordingSession();
    const server2 = await listen(restarted.session);
    await dialLink({ url: server2.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    await waitFor(() => restarted.handled.length === 2, 'both kept messages');
    expect(restarted.handled).toEqual([6, 7]);
    expect(restarted.seqs).toEqual([1, 2]);
    dialler.session.detach();
  });

  it('continues numbering after what the peer already has when this side restarted', async () => {
    const listener = recordingSession({ lastReceived: 57 });
    const server = await listen(listener.session);
    const dialler = recordingSession();
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    dialler.session.send({ n: 1 });
    await waitFor(() => listener.handled.length === 1, 'handled');
    expect(listener.seqs).toEqual([58]);
    dialler.session.detach();
  });

  it('makes the peer resend a message whose handler failed', async () => {
    let failures = 1;
    const handled: number[] = [];
    const listenerSession = new LinkSession<NumberMessage, NumberMessage>({
      inbound: NumberMessage,
      onMessage: (message) => {
        if (message.n === 2 && failures-- > 0) throw new Error('store unavailable');
        handled.push(message.n);
      },
    });
    const server = await listen(listenerSession);
    const dialler = recordingSession();
    const dialer = new LinkDialer({
      url: server.url,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: dialler.session,
      minDelayMs: 10,
    });
    dialer.start();
    cleanups.push(() => dialer.stop());
    for (let n = 1; n <= 4; n++) dialler.session.send({ n });
    await waitFor(() => handled.length === 4, 'all handled after the retry');
    expect(handled).toEqual([1, 2, 3, 4]);
  });

  it('starts handling the next message before the previous one settles when pipelined, and acknowledges in order', async () => {
    const started: number[] = [];
    const release: Array<() => void> = [];
    const listener = new LinkSession<NumberMessage, NumberMessage>({
      inbound: NumberMessage,
      pipelined: true,
      onMessage: (message) => {
        started.push(message.n);
        return new Promise<void>((resolve) => release.push(resolve));
      },
    });
    const dialler = recordingSession();
    const server = await listen(listener);
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    for (let n = 1; n <= 3; n++) dialler.session.send({ n });
    // All three are under way although none has finished: a batching handler sees them together.
    await waitFor(() => started.length === 3, 'three handlers started');
    expect(started).toEqual([1, 2, 3]);
    expect(listener.lastReceived).toBe(0);
    // The third finishing first acknowledges nothing: acks follow seq order.
    release[2]!();
    await sleep(50);
    expect(listener.lastReceived).toBe(0);
    release[0]!();
    release[1]!();
    await waitFor(() => listener.lastReceived === 3 && dialler.session.pending === 0, 'all acknowledged');
    dialler.session.detach();
  });

  it('lets a pipelined handler fail while the one before it still waits, without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const hear = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', hear);
    cleanups.push(() => void process.off('unhandledRejection', hear));
    let releaseFirst = () => {};
    const listener = new LinkSession<NumberMessage, NumberMessage>({
      inbound: NumberMessage,
      pipelined: true,
      onMessage: (message) =>
        message.n === 1
          ? new Promise<void>((resolve) => (releaseFirst = resolve))
          : Promise.reject(new Error('the thread is gone')),
    });
    const dialler = recordingSession();
    const server = await listen(listener);
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    dialler.session.send({ n: 1 });
    dialler.session.send({ n: 2 });
    // The second fails at once; the first is still being handled across turns of the loop.
    await sleep(50);
    releaseFirst();
    await waitFor(() => listener.lastReceived === 1, 'the first handled');
    await sleep(20);
    expect(unhandled).toEqual([]);
    dialler.session.detach();
  });

  it('writes what a dialler sends in one turn of the event loop in one write, not one per frame', async () => {
    const listener = recordingSession();
    const server = await listen(listener.session);
    const port = Number(new URL(server.url).port);
    let writes = 0;
    const dialler = recordingSession();
    await dialLink({
      url: server.url,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: dialler.session,
      createConnection: async () => {
        const socket = connect(port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        // Each call is one system call's worth of writing (writev takes every chunk buffered).
        const write = socket._write.bind(socket);
        const writev = socket._writev!.bind(socket);
        socket._write = (chunk, encoding, done) => {
          writes++;
          write(chunk, encoding, done);
        };
        socket._writev = (chunks, done) => {
          writes++;
          writev(chunks, done);
        };
        return socket;
      },
    });
    await sleep(20);
    writes = 0;
    for (let n = 1; n <= 200; n++) dialler.session.send({ n });
    await waitFor(() => listener.handled.length === 200, 'all 200 handled');
    expect(listener.handled).toEqual(Array.from({ length: 200 }, (_, k) => k + 1));
    expect(writes).toBeLessThanOrEqual(2);
    dialler.session.detach();
  });

  it('when pipelined, deals with a failure in its turn: what finished after it is handled again after the resend', async () => {
    const calls: number[] = [];
    let releaseFirst = () => {};
    let failSecond = true;
    const listener = new LinkSession<NumberMessage, NumberMessage>({
      inbound: NumberMessage,
      pipelined: true,
      onMessage: (message) => {
        calls.push(message.n);
        if (message.n === 1) return new Promise<void>((resolve) => (releaseFirst = resolve));
        if (message.n === 2 && failSecond) return Promise.reject(new Error('the store is busy'));
        // The third, and the second once it is resent: handled synchronously, no promise.
        return undefined;
      },
    });
    const states: string[] = [];
    listener.onState((state) => states.push(state));
    const dialler = recordingSession();
    const server = await listen(listener);
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    for (let n = 1; n <= 3; n++) dialler.session.send({ n });
    await waitFor(() => calls.length === 3, 'three started');
    // The second failed and the third finished, but the first still runs: nothing is decided yet.
    await sleep(50);
    expect(listener.lastReceived).toBe(0);
    expect(listener.state).toBe('open');
    releaseFirst();
    // The first is acknowledged; the failure then closes the link, and the third (finished after
    // the failed second) is not acknowledged.
    await waitFor(() => listener.state === 'offline', 'the link closed after the failure');
    expect(listener.lastReceived).toBe(1);
    failSecond = false;
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    await waitFor(() => listener.lastReceived === 3 && dialler.session.pending === 0, 'resent and acknowledged');
    expect(calls).toEqual([1, 2, 3, 2, 3]);
    dialler.session.detach();
  });

  it('says when everything the peer resent on a reconnect is handled (caughtUp)', async () => {
    const release: Array<() => void> = [];
    const listener = new LinkSession<NumberMessage, NumberMessage>({
      inbound: NumberMessage,
      pipelined: true,
      onMessage: () => new Promise<void>((resolve) => release.push(resolve)),
    });
    const caughtUp: Promise<void>[] = [];
    listener.onState((state) => {
      if (state === 'open') caughtUp.push(listener.caughtUp());
    });
    const dialler = recordingSession();
    // Kept while offline: the dialler sends them as it attaches, before it reads the ping.
    for (let n = 1; n <= 5; n++) dialler.session.send({ n });
    const server = await listen(listener);
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    await waitFor(() => release.length === 5, 'five handlers started');
    let settled = false;
    void caughtUp[0]!.then(() => (settled = true));
    for (const done of release.slice(0, 4)) done();
    await sleep(50);
    expect(settled).toBe(false);
    release[4]!();
    await caughtUp[0];
    expect(listener.lastReceived).toBe(5);
    dialler.session.detach();
  });

  it('fails caughtUp when the link is not open or closes before the peer answers', async () => {
    const listener = recordingSession();
    await expect(listener.session.caughtUp()).rejects.toThrow(/not open/);
    const server = await listen(listener.session);
    // A peer that never answers a ping.
    const peer = await RawPeer.connect(server.url);
    peer.send(hello());
    await waitFor(() => listener.session.state === 'open', 'open');
    const caughtUp = listener.session.caughtUp();
    await waitFor(() => peer.ofType('ping').length > 0, 'the ping');
    peer.socket.terminate();
    await expect(caughtUp).rejects.toThrow(/closed before it caught up/);
  });

  it('refuses to queue past the outbox limit or an oversized frame', () => {
    const { session } = recordingSession({ maxOutbox: 2, maxFrameBytes: 100 });
    session.send({ n: 1 });
    session.send({ n: 2 });
    expect(() => session.send({ n: 3 })).toThrow(LinkOutboxFullError);
    const big = recordingSession({ maxFrameBytes: 100 }).session;
    expect(() => big.send({ n: 1, pad: 'x'.repeat(200) } as NumberMessage)).toThrow(LinkFrameTooLargeError);
    expect(big.pending).toBe(0);
  });

  it('redials with backoff after the listener drops the connection and resumes', async () => {
    const listener = recordingSession();
    const server = await listen(listener.session);
    const dialler = recordingSession();
    const states: LinkState[] = [];
    dialler.session.onState((state) => states.push(state));
    const dialer = new LinkDialer({
      url: () => server.url,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: dialler.session,
    });
    dialer.start();
    await waitFor(() => dialler.session.state === 'open', 'open');
    dialler.session.send({ n: 1 });
    await waitFor(() => listener.handled.length === 1, 'first handled');
    for (const socket of server.sockets) socket.terminate();
    // Watch the transitions, not the state: full jitter can redial within one poll.
    await waitFor(() => states.includes('offline'), 'dropped');
    dialler.session.send({ n: 2 });
    await waitFor(() => dialler.session.state === 'open' && listener.handled.length === 2, 'resumed');
    expect(states).toEqual(['connecting', 'open', 'offline', 'resuming', 'open']);
    await dialer.stop();
    expect(dialler.session.state).toBe('offline');
    await sleep(400);
    expect(dialler.session.state).toBe('offline');
    expect(listener.handled).toEqual([1, 2]);
  });

  it('keeps redialling a listener that is not there yet', async () => {
    const probe = await startLinkServer(() => {});
    const url = probe.url;
    await probe.close();
    const errors: unknown[] = [];
    const dialler = recordingSession();
    const dialer = new LinkDialer({
      url,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: dialler.session,
      minDelayMs: 20,
      maxDelayMs: 50,
      onError: (e) => errors.push(e),
    });
    dialer.start();
    cleanups.push(() => dialer.stop());
    await waitFor(() => errors.length >= 3, 'three failed attempts');
    expect(dialler.session.state).not.toBe('open');
    expect(errors.every((error) => !(error instanceof LinkHandshakeError) && /ECONNREFUSED/.test(String(error)))).toBe(
      true,
    );
  });

  it('runs over the stream createConnection opens, once per dial, instead of a connection to the URL host', async () => {
    const listener = recordingSession();
    const server = await listen(listener.session);
    const { port } = new URL(server.url);
    let opened = 0;
    const dialler = recordingSession();
    const dialer = new LinkDialer({
      // A host nobody can reach: every byte goes through the stream instead.
      url: 'ws://runtime.invalid/link',
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: dialler.session,
      minDelayMs: 20,
      createConnection: async () => {
        opened++;
        return plainStream(connect(Number(port), '127.0.0.1'));
      },
    });
    dialer.start();
    cleanups.push(() => dialer.stop());
    await waitFor(() => dialler.session.state === 'open', 'open');
    dialler.session.send({ n: 1 });
    await waitFor(() => listener.handled.length === 1, 'handled');
    expect(opened).toBe(1);
    for (const socket of server.sockets) socket.terminate();
    dialler.session.send({ n: 2 });
    await waitFor(() => listener.handled.length === 2, 'handled after a redial');
    expect(opened).toBe(2);
    expect(listener.handled).toEqual([1, 2]);
  });

  it('fails a dial with the error createConnection rejects with', async () => {
    const error = await dialLink({
      url: 'ws://runtime.invalid/link',
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: recordingSession().session,
      createConnection: () => Promise.reject(new Error('the channel was refused')),
    }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(LinkHandshakeError);
    expect((error as Error).message).toBe('the channel was refused');
  });

  it('fails a dial with the connection error when the host is unknown or the URL cannot be dialled', async () => {
    const dialFails = (url: string) =>
      dialLink({ url, runtimeId: RUNTIME_ID, token: TOKEN, session: recordingSession().session }).catch(
        (e: unknown) => e,
      );
    const unknownHost = await dialFails('ws://runtime.invalid/link');
    expect(unknownHost).not.toBeInstanceOf(LinkHandshakeError);
    expect(unknownHost).toMatchObject({ message: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) });
    const notWebSocket = await dialFails('http://not-a-websocket/link');
    expect(notWebSocket).not.toBeInstanceOf(LinkHandshakeError);
    expect(notWebSocket).toBeInstanceOf(Error);
  });

  it('refuses with the close code verify chooses, such as 4403', async () => {
    const server = await startLinkServer((socket) => {
      acceptLink(socket, {
        verify: () => ({ code: CLOSE_CODES.forbidden, reason: 'not yours' }),
        session: () => recordingSession().session,
      }).catch(() => {});
    });
    cleanups.push(() => server.close());
    const error = await dialLink({
      url: server.url,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: recordingSession().session,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: CLOSE_CODES.forbidden, reason: 'not yours' });
  });

  it('stops redialling when told an error is for good, and says when it will retry otherwise', async () => {
    const server = await startLinkServer((socket) => {
      acceptLink(socket, { verify: () => false, session: () => recordingSession().session }).catch(() => {});
    });
    cleanups.push(() => server.close());
    const seen: unknown[] = [];
    const retries: number[] = [];
    const dialer = new LinkDialer({
      url: server.url,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: recordingSession().session,
      minDelayMs: 10,
      maxDelayMs: 20,
      shouldRetry: (error) => {
        seen.push(error);
        return seen.length < 3;
      },
      onRetry: (delay) => retries.push(delay),
    });
    dialer.start();
    await waitFor(() => !dialer.running, 'the dialler to give up');
    await sleep(100);
    expect(seen).toHaveLength(3);
    expect(seen.every((error) => error instanceof LinkHandshakeError && error.code === CLOSE_CODES.unauthorized)).toBe(
      true,
    );
    expect(retries).toHaveLength(2);
    expect(retries.every((delay) => delay >= 0 && delay <= 20)).toBe(true);
  });

  it('closes the link with the code it is stopped with', async () => {
    const listener = recordingSession();
    const server = await listen(listener.session);
    const closed = new Promise<string | undefined>((resolve) =>
      listener.session.onState((state, detail) => state === 'offline' && resolve(detail)),
    );
    const dialler = recordingSession();
    const dialer = new LinkDialer({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: dialler.session });
    dialer.start();
    await waitFor(() => listener.session.state === 'open', 'open');
    await dialer.stop(CLOSE_CODES.goingAway, 'runtime shutting down');
    // In words, for the runtime log a person reads: no WebSocket close code.
    expect(await closed).toBe('Disconnected: runtime shutting down.');
  });

  it('says what a close without a reason means, in words', () => {
    expect(describeClose(CLOSE_CODES.goingAway, '')).toBe('Disconnected: shutting down.');
    expect(describeClose(CLOSE_CODES.replaced, '')).toBe('Disconnected: a newer connection replaced this one.');
    expect(describeClose(1006, '')).toBe('Disconnected: the connection dropped.');
    expect(describeClose(4999, '')).toBe('Disconnected: the connection closed.');
  });
});

describe('the execution gateway channel', () => {
  type FromRuntime = GatewayFromRuntimeFrame;
  type ToRuntime = GatewayToRuntimeFrame;
  /** A BFF-side and a runtime-side session with gateway channels, linked; each records the gateway frames it heard. */
  async function gatewayPair(maxFrameBytes?: number) {
    const bffHeard: FromRuntime[] = [];
    const runtimeHeard: ToRuntime[] = [];
    const bff = new LinkSession<NumberMessage, NumberMessage, ToRuntime, FromRuntime>({
      inbound: NumberMessage,
      onMessage: () => {},
      gateway: { inbound: GatewayFromRuntimeFrameSchema, onFrame: (frame) => bffHeard.push(frame) },
    });
    const runtime = new LinkSession<NumberMessage, NumberMessage, FromRuntime, ToRuntime>({
      inbound: NumberMessage,
      onMessage: () => {},
      gateway: {
        inbound: GatewayToRuntimeFrameSchema,
        onFrame: (frame) => runtimeHeard.push(frame),
        ...(maxFrameBytes !== undefined && { maxFrameBytes }),
      },
    });
    const server = await startLinkServer((socket) => {
      acceptLink(socket, { verify: () => true, session: () => runtime }).catch(() => {});
    });
    cleanups.push(() => server.close());
    await dialLink({ url: server.url, runtimeId: RUNTIME_ID, token: TOKEN, session: bff });
    await waitFor(() => runtime.state === 'open', 'open');
    return { bff, runtime, bffHeard, runtimeHeard, server };
  }

  it('carries requests one way and answers the other, unnumbered and unacknowledged', async () => {
    const { bff, runtime, bffHeard, runtimeHeard } = await gatewayPair();
    expect(
      runtime.sendGateway({
        type: 'executionGateway.request',
        requestId: 'g1',
        capability: 'inference',
        payload: { x: 1 },
      }),
    ).toBe(true);
    await waitFor(() => bffHeard.length === 1, 'the request');
    expect(bffHeard[0]).toEqual({
      type: 'executionGateway.request',
      requestId: 'g1',
      capability: 'inference',
      payload: { x: 1 },
    });
    bff.sendGateway({ type: 'executionGateway.notification', requestId: 'g1', payload: { chunk: 1 } });
    bff.sendGateway({ type: 'executionGateway.reply', requestId: 'g1', payload: { done: true } });
    await waitFor(() => runtimeHeard.length === 2, 'the answers');
    expect(runtimeHeard.map((frame) => frame.type)).toEqual([
      'executionGateway.notification',
      'executionGateway.reply',
    ]);
    // Nothing kept for a resend, nothing numbered.
    expect(runtime.pending).toBe(0);
    expect(bff.pending).toBe(0);
    expect(runtime.lastReceived).toBe(0);
    bff.detach();
  });

  it('counts a gateway frame of the wrong direction as malformed and does not hand it on', async () => {
    const { bff, runtime, bffHeard } = await gatewayPair();
    // The BFF never takes a reply from a runtime: a runtime cannot answer for another one.
    (runtime as unknown as LinkSession<NumberMessage, NumberMessage, ToRuntime>).sendGateway({
      type: 'executionGateway.reply',
      requestId: 'g1',
      payload: {},
    });
    runtime.sendGateway({ type: 'executionGateway.cancel', requestId: 'g2' });
    await waitFor(() => bffHeard.length === 1, 'the cancel');
    expect(bffHeard).toEqual([{ type: 'executionGateway.cancel', requestId: 'g2' }]);
    bff.detach();
  });

  it('refuses to send a gateway frame past its size cap or without an open link', async () => {
    const { bff, runtime } = await gatewayPair(1_000);
    const big = {
      type: 'executionGateway.request',
      requestId: 'g1',
      capability: 'inference',
      payload: 'x'.repeat(2_000),
    } as const;
    expect(() => runtime.sendGateway(big)).toThrow(LinkFrameTooLargeError);
    bff.detach();
    await waitFor(() => runtime.state === 'offline', 'offline');
    expect(runtime.sendGateway({ type: 'executionGateway.cancel', requestId: 'g1' })).toBe(false);
  });

  it('treats gateway frames as malformed on a session without a gateway channel', async () => {
    const listener = recordingSession();
    const server = await listen(listener.session);
    const peer = await RawPeer.connect(server.url);
    peer.send(hello());
    await waitFor(() => peer.ofType('welcome').length > 0, 'welcome');
    for (let i = 0; i < MAX_BAD_FRAMES; i++)
      peer.send({ type: 'executionGateway.request', requestId: `g${i}`, capability: 'inference', payload: {} });
    await waitFor(() => peer.closed, 'close');
    expect(peer.closed?.code).toBe(CLOSE_CODES.badFrames);
  });
});

describe('runtime link back-pressure', () => {
  /** Accepts `session` and connects a hand-driven peer that acknowledges only when told. */
  async function stalledPeer(session: LinkSession<NumberMessage, NumberMessage>, lastReceived = 0): Promise<RawPeer> {
    const server = await listen(session);
    const peer = await RawPeer.connect(server.url);
    peer.send(hello(lastReceived));
    await waitFor(() => peer.ofType('welcome').length > 0 && session.state === 'open', 'welcome');
    return peer;
  }
  const dataOf = (peer: RawPeer) => peer.ofType('data').map((frame) => [frame.seq, (frame.message as NumberMessage).n]);

  it('turns pressure on at the high-water mark and off only at the low-water mark', async () => {
    const { session } = recordingSession({ maxOutbox: 10 });
    const changes: boolean[] = [];
    session.onPressure((pressure) => changes.push(pressure));
    const peer = await stalledPeer(session);
    for (let n = 1; n <= 7; n++) session.send({ n });
    expect(session.pressure).toBe(false);
    session.send({ n: 8 }); // 80 %
    expect(session.pressure).toBe(true);
    session.send({ n: 9 });
    peer.send({ type: 'ack', upTo: 3 });
    await waitFor(() => session.pending === 6, 'ack 3');
    expect(session.pressure).toBe(true); // 60 %: above the low-water mark
    peer.send({ type: 'ack', upTo: 4 });
    await waitFor(() => session.pending === 5, 'ack 4');
    expect(session.pressure).toBe(false); // 50 %
    expect(changes).toEqual([true, false]);
  });

  it('sendOrHold holds messages past the limit in memory and releases them in order as acknowledgements make room', async () => {
    const logs: string[] = [];
    const { session } = recordingSession({ maxOutbox: 4, log: (line) => logs.push(line) });
    const peer = await stalledPeer(session);
    const seqs = [1, 2, 3, 4, 5, 6, 7].map((n) => session.sendOrHold({ n }));
    expect(seqs).toEqual([1, 2, 3, 4, undefined, undefined, undefined]);
    expect(session).toMatchObject({ pending: 4, held: 3, pressure: true });
    // Nothing may overtake what is held.
    expect(() => session.send({ n: 99 })).toThrow(LinkOutboxFullError);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('holding messages in memory');

    peer.send({ type: 'ack', upTo: 2 });
    await waitFor(() => session.held === 1, 'two released');
    expect(session).toMatchObject({ pending: 4, pressure: true });
    peer.send({ type: 'ack', upTo: 6 });
    await waitFor(() => session.held === 0 && session.pending === 1, 'all released');
    expect(session.pressure).toBe(false);
    expect(logs).toHaveLength(2);
    expect(logs[1]).toContain('room again');
    await waitFor(() => peer.ofType('data').length === 7, 'seven frames');
    expect(dataOf(peer)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => [n, n]));
    expect(session.send({ n: 8 })).toBe(8);
  });

  it('releases held messages on a reconnect that acknowledges, before resending, in order', async () => {
    const { session } = recordingSession({ maxOutbox: 2, log: () => {} });
    for (let n = 1; n <= 5; n++) session.sendOrHold({ n });
    expect(session).toMatchObject({ pending: 2, held: 3 });
    // Offline all along; the peer had received 1 and 2 on an earlier connection.
    const peer = await stalledPeer(session, 2);
    await waitFor(() => peer.ofType('data').length === 2, 'the released frames');
    expect(dataOf(peer)).toEqual([
      [3, 3],
      [4, 4],
    ]);
    expect(session.held).toBe(1);
    peer.send({ type: 'ack', upTo: 4 });
    await waitFor(() => peer.ofType('data').length === 3, 'the last one');
    expect(dataOf(peer).at(-1)).toEqual([5, 5]);
  });

  it('refuses an oversized frame from sendOrHold instead of holding it', () => {
    const { session } = recordingSession({ maxOutbox: 1, maxFrameBytes: 100, log: () => {} });
    session.sendOrHold({ n: 1 });
    session.sendOrHold({ n: 2 });
    expect(session.held).toBe(1);
    expect(() => session.sendOrHold({ n: 3, pad: 'x'.repeat(200) } as NumberMessage)).toThrow(LinkFrameTooLargeError);
    expect(session.held).toBe(1);
  });

  it('rejects water marks that make no sense', () => {
    expect(() => recordingSession({ highWater: 0.5, lowWater: 0.6 })).toThrow(RangeError);
    expect(() => recordingSession({ highWater: 1.5 })).toThrow(RangeError);
  });
});
