import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconnectingSocket } from './reconnecting-socket.js';

/** A WebSocket the test opens, fails and closes by hand. */
class TestWebSocket extends EventTarget {
  static readonly CLOSING = 2;
  static made: TestWebSocket[] = [];
  readyState = 0;
  readonly madeAt = Date.now();
  readonly sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | undefined;

  constructor(readonly url: string) {
    super();
    TestWebSocket.made.push(this);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }

  /** The server went away: a close event with this code. */
  drop(code: number): void {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code }));
  }

  /** The connection could not be made: an error event, then a close event (1006). */
  fail(): void {
    this.readyState = 3;
    this.dispatchEvent(new Event('error'));
    this.dispatchEvent(Object.assign(new Event('close'), { code: 1006 }));
  }
}

const OPTIONS = {
  WebSocket: TestWebSocket as unknown as typeof WebSocket,
  backoff: { minMs: 500, maxMs: 2_000, factor: 2 },
  minUptimeMs: 5_000,
  connectTimeoutMs: 8_000,
};

let sockets: ReconnectingSocket[] = [];

function connect(url: () => Promise<string> = async () => 'ws://bff.test/api/stream') {
  const seen: string[] = [];
  const socket = new ReconnectingSocket(url, OPTIONS, {
    open: () => seen.push('open'),
    close: (event) => seen.push(`close ${event.code}`),
    message: (event) => seen.push(`message ${event.data}`),
  });
  sockets.push(socket);
  return { socket, seen };
}

/** The n-th WebSocket made, after what is due now has run. */
async function made(n: number): Promise<TestWebSocket> {
  await vi.advanceTimersByTimeAsync(0);
  const ws = TestWebSocket.made[n];
  if (!ws) throw new Error(`no WebSocket number ${n} at ${Date.now()}`);
  return ws;
}

beforeEach(() => {
  vi.useFakeTimers();
  TestWebSocket.made = [];
});

afterEach(() => {
  for (const socket of sockets) socket.close();
  sockets = [];
  vi.useRealTimers();
});

describe('ReconnectingSocket', () => {
  it('waits longer before each attempt that follows a failure, up to the most, and reports each close', async () => {
    const start = Date.now();
    const { socket, seen } = connect();
    for (let n = 0; n < 5; n++) {
      const ws = await made(n);
      expect(socket.retryCount).toBe(n);
      ws.fail();
      await vi.advanceTimersToNextTimerAsync();
    }
    expect(TestWebSocket.made.map((ws) => ws.madeAt - start)).toEqual([0, 500, 1_500, 3_500, 5_500, 7_500]);
    expect(seen).toEqual(['close 1000', 'close 1000', 'close 1000', 'close 1000', 'close 1000']);
  });

  it('counts retries from zero again only after a connection stayed up long enough', async () => {
    /** Opens the n-th WebSocket, keeps it up for `upMs`, drops it, and says how long the next attempt waited. */
    const wait = async (n: number, upMs: number) => {
      const ws = await made(n);
      ws.open();
      await vi.advanceTimersByTimeAsync(upMs);
      ws.drop(1006);
      await vi.advanceTimersToNextTimerAsync();
      return (await made(n + 1)).madeAt - ws.madeAt - upMs;
    };
    connect();
    (await made(0)).fail();
    await vi.advanceTimersToNextTimerAsync();
    // The second failure in a row: the longer wait.
    expect(await wait(1, 4_000)).toBe(1_000);
    // Up for minUptimeMs: the next failure counts as the first.
    expect(await wait(2, 5_000)).toBe(500);
  });

  it('connects again at once, whatever failed before, when a draining instance closes with 4504', async () => {
    connect();
    (await made(0)).fail();
    await vi.advanceTimersToNextTimerAsync();
    const second = await made(1);
    second.open();
    await vi.advanceTimersByTimeAsync(1_000);
    // A cluster instance drains: another takes the connection now, without a backoff.
    second.drop(4504);
    expect((await made(2)).madeAt - second.madeAt).toBe(1_000);
  });

  it('gives up an attempt that has not opened in time and tries again', async () => {
    const { seen } = connect();
    const stuck = await made(0);
    await vi.advanceTimersByTimeAsync(8_000);
    expect(stuck.closedWith).toEqual([1000, 'timeout']);
    expect(seen).toEqual(['close 1000']);
    await vi.advanceTimersByTimeAsync(500);
    await made(1);
  });

  it('passes frames on while open and drops what is sent while not', async () => {
    const { socket, seen } = connect();
    const ws = await made(0);
    socket.send('early');
    ws.open();
    socket.send('hello');
    ws.dispatchEvent(new MessageEvent('message', { data: 'welcome' }));
    expect(ws.sent).toEqual(['hello']);
    expect(seen).toEqual(['open', 'message welcome']);
  });

  it('closes an open connection with the code reconnect() gives, reports it and connects again at once', async () => {
    const { socket, seen } = connect();
    const first = await made(0);
    first.open();
    socket.reconnect(4408, 'no pong');
    expect(first.closedWith).toEqual([4408, 'no pong']);
    expect(seen).toEqual(['open', 'close 4408']);
    await made(1);
  });

  it('opens nothing and reports nothing once closed, even while it was resolving the URL', async () => {
    let resolveUrl: (url: string) => void = () => {};
    const { socket, seen } = connect(() => new Promise((resolve) => (resolveUrl = resolve)));
    await vi.advanceTimersByTimeAsync(0);
    socket.close();
    resolveUrl('ws://bff.test/api/stream');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(TestWebSocket.made).toEqual([]);

    const { socket: other, seen: otherSeen } = connect();
    const ws = await made(0);
    ws.open();
    other.close();
    expect(ws.closedWith).toEqual([1000, undefined]);
    ws.drop(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(TestWebSocket.made).toHaveLength(1);
    expect([seen, otherSeen]).toEqual([[], ['open']]);
  });
});
