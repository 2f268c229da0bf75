import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfigResponse } from '@remote-chat/protocol';
import { CLOSE_CODES } from '@remote-chat/protocol';
import { FakeSocket } from '../fixtures/fake-socket.js';
import { RcTokenExpiredEvent, type TokenExpiredDetail } from '../events/token-expired-event.js';
import { BearerToken, type TokenSource } from './bearer-token.js';
import { RcConnectionChangeEvent, type ConnectionChangeDetail } from './connection-status.js';
import { RemoteChatClient } from './remote-chat-client.js';

/** What the fake BFF saw of one request. */
interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  credentials: RequestCredentials | undefined;
}

const config = (user: ConfigResponse['user']): ConfigResponse => ({
  protocol: 1,
  user,
  providers: [],
  agents: [],
  github: { enabled: false },
  limits: { maxMessageChars: 1000, maxBodyBytes: 10000 },
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const unauthorized = () => json(401, { error: { code: 'unauthorized', message: 'Sign in first.' } });

/**
 * A BFF that accepts only the tokens in `valid` (and any request without a token, as a cookie
 * session), mints numbered stream tickets, and records every request.
 */
function fakeBff(valid: Set<string>) {
  const seen: Seen[] = [];
  let tickets = 0;
  let ticketFailures: Array<() => Response> = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    const authorization = headers.get('authorization') ?? undefined;
    const path = url.pathname.replace(/^\/api/, '');
    const method = init?.method ?? 'GET';
    seen.push({ method, path, authorization, credentials: init?.credentials });
    const token = authorization?.replace(/^Bearer /, '');
    const ok = token === undefined || valid.has(token);
    if (path === '/config') return json(200, config(ok ? { id: 'usr_1', name: 'Alice' } : null));
    if (!ok) return unauthorized();
    if (path === '/stream-tickets') {
      const failure = ticketFailures.shift();
      if (failure) return failure();
      tickets++;
      return json(201, { ticket: `ticket-${tickets}`, expiresAt: new Date(Date.now() + 30_000).toISOString() });
    }
    if (path === '/runtimes') return json(200, { runtimes: [] });
    return json(404, { error: { code: 'not_found', message: 'No such route.' } });
  };
  return {
    seen,
    fetch,
    /** The next ticket requests answer these instead. */
    failTickets(...failures: Array<() => Response>) {
      ticketFailures = failures;
    },
  };
}

let client: RemoteChatClient | undefined;

function newClient(fetch: typeof globalThis.fetch, token?: TokenSource): RemoteChatClient {
  FakeSocket.opened = [];
  client = new RemoteChatClient({
    bffUrl: 'http://bff.test',
    fetch,
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    ...(token !== undefined && { token }),
  });
  return client;
}

function expiredEvents(c: RemoteChatClient): TokenExpiredDetail[] {
  const details: TokenExpiredDetail[] = [];
  c.addEventListener('rc-token-expired', (e) => e instanceof RcTokenExpiredEvent && details.push(e.detail));
  return details;
}

function statuses(c: RemoteChatClient): ConnectionChangeDetail[] {
  const details: ConnectionChangeDetail[] = [];
  c.addEventListener('rc-connection-change', (e) => e instanceof RcConnectionChangeEvent && details.push(e.detail));
  return details;
}

async function until<T>(find: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A token provider that hands out `t1`, `t2`, … and counts its calls. */
function numberedTokens(expiresInMs?: number) {
  const provider = vi.fn(async () => {
    const token = `t${provider.mock.calls.length}`;
    return expiresInMs === undefined ? token : { token, expiresAt: new Date(Date.now() + expiresInMs).toISOString() };
  });
  return provider;
}

afterEach(() => {
  client?.close();
  vi.restoreAllMocks();
});

describe('RemoteChatClient with a token', () => {
  it('sends the token as a bearer header without cookies, and cookies when there is no token', async () => {
    const bff = fakeBff(new Set(['t1']));
    await newClient(bff.fetch, 't1').listRuntimes();
    await newClient(bff.fetch).listRuntimes();
    expect(bff.seen).toEqual([
      { method: 'GET', path: '/runtimes', authorization: 'Bearer t1', credentials: 'omit' },
      { method: 'GET', path: '/runtimes', authorization: undefined, credentials: 'include' },
    ]);
  });

  it('asks the provider only once for many requests, and refreshes shortly before expiresAt', async () => {
    const bff = fakeBff(new Set(['t1', 't2']));
    const provider = numberedTokens(10 * 60_000);
    const c = newClient(bff.fetch, provider);
    await Promise.all([c.listRuntimes(), c.listRuntimes(), c.listRuntimes()]);
    expect(provider).toHaveBeenCalledTimes(1);

    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 8 * 60_000);
    await c.listRuntimes();
    expect(provider).toHaveBeenCalledTimes(1);
    // Less than a minute before it expires: the next request goes with a fresh token.
    vi.spyOn(Date, 'now').mockReturnValue(now + 9.5 * 60_000);
    await c.listRuntimes();
    expect(provider).toHaveBeenCalledTimes(2);
    expect(bff.seen.map((s) => s.authorization)).toEqual([
      'Bearer t1',
      'Bearer t1',
      'Bearer t1',
      'Bearer t1',
      'Bearer t2',
    ]);
  });

  it('refreshes once after a 401 and retries, with one refresh for requests refused together', async () => {
    const valid = new Set(['t1']);
    const bff = fakeBff(valid);
    const provider = numberedTokens();
    const c = newClient(bff.fetch, provider);
    const expired = expiredEvents(c);
    await c.listRuntimes();
    // The host revoked t1 and would issue t2 now.
    valid.clear();
    valid.add('t2');
    await Promise.all([c.listRuntimes(), c.listRuntimes(), c.listRuntimes()]);
    expect(provider).toHaveBeenCalledTimes(2);
    expect(bff.seen.filter((s) => s.authorization === 'Bearer t2')).toHaveLength(3);
    expect(expired).toEqual([]);
  });

  it('fires rc-token-expired once when even a fresh token is refused, and rejects with the 401', async () => {
    const bff = fakeBff(new Set());
    const provider = numberedTokens();
    const c = newClient(bff.fetch, provider);
    const expired = expiredEvents(c);
    await expect(c.listRuntimes()).rejects.toMatchObject({ name: 'ChatClientError', status: 401 });
    await expect(c.listRuntimes()).rejects.toMatchObject({ status: 401 });
    expect(expired).toEqual([expect.objectContaining({ reason: 'refused' })]);
  });

  it('reports a lapse again after reconnect(), a fresh start', async () => {
    const bff = fakeBff(new Set());
    const c = newClient(bff.fetch, 'rcc_fixed');
    const expired = expiredEvents(c);
    await expect(c.listRuntimes()).rejects.toMatchObject({ status: 401 });
    c.reconnect();
    await expect(c.listRuntimes()).rejects.toMatchObject({ status: 401 });
    expect(expired).toHaveLength(2);
  });

  it('fires rc-token-expired when the provider fails, and sends nothing', async () => {
    const bff = fakeBff(new Set());
    const c = newClient(bff.fetch, async () => {
      throw new Error('the host session ended');
    });
    const expired = expiredEvents(c);
    await expect(c.listRuntimes()).rejects.toMatchObject({ name: 'TokenError', failure: 'refresh-failed' });
    expect(bff.seen).toEqual([]);
    expect(expired).toEqual([
      expect.objectContaining({ reason: 'refresh-failed', message: expect.stringContaining('the host session ended') }),
    ]);
  });

  it('does not retry a fixed token the BFF refuses', async () => {
    const bff = fakeBff(new Set());
    const c = newClient(bff.fetch, 'rcc_fixed');
    const expired = expiredEvents(c);
    await expect(c.listRuntimes()).rejects.toMatchObject({ status: 401 });
    expect(bff.seen).toHaveLength(1);
    expect(expired).toEqual([expect.objectContaining({ reason: 'refused' })]);
  });

  it('treats a config without a user as a refused token: refreshes and asks again', async () => {
    const valid = new Set<string>(['t2']);
    const bff = fakeBff(valid);
    const provider = numberedTokens();
    const c = newClient(bff.fetch, provider);
    expect((await c.getConfig()).user).toMatchObject({ name: 'Alice' });
    expect(bff.seen.map((s) => s.authorization)).toEqual(['Bearer t1', 'Bearer t2']);

    valid.clear();
    const expired = expiredEvents(c);
    expect((await c.getConfig()).user).toBeNull();
    expect(expired).toEqual([expect.objectContaining({ reason: 'refused' })]);
  });
});

describe('the stream with a token', () => {
  it('opens every connection attempt with a fresh one-time ticket', async () => {
    const bff = fakeBff(new Set(['t1']));
    const c = newClient(bff.fetch, numberedTokens());
    c.subscribe('runtimes', 0, () => {});
    const first = await until(() => (FakeSocket.opened[0]?.sent.length ? FakeSocket.opened[0] : undefined));
    expect(first.url).toBe('ws://bff.test/api/stream?ticket=ticket-1');
    first.close(1006);
    const second = await until(() => (FakeSocket.opened[1]?.sent.length ? FakeSocket.opened[1] : undefined));
    expect(second.url).toBe('ws://bff.test/api/stream?ticket=ticket-2');
    expect(second.sent).toEqual([{ type: 'subscribe', topic: 'runtimes' }]);
    const tickets = bff.seen.filter((s) => s.path === '/stream-tickets');
    expect(tickets).toEqual([
      { method: 'POST', path: '/stream-tickets', authorization: 'Bearer t1', credentials: 'omit' },
      { method: 'POST', path: '/stream-tickets', authorization: 'Bearer t1', credentials: 'omit' },
    ]);
  });

  it('refreshes its token before reconnecting when the BFF ends the stream with reauthenticate', async () => {
    const bff = fakeBff(new Set(['t1', 't2']));
    const provider = numberedTokens();
    const c = newClient(bff.fetch, provider);
    const changes = statuses(c);
    c.subscribe('runtimes', 0, () => {});
    const first = await until(() => (FakeSocket.opened[0]?.sent.length ? FakeSocket.opened[0] : undefined));
    first.close(CLOSE_CODES.reauthenticate);
    await until(() => (FakeSocket.opened[1]?.sent.length ? FakeSocket.opened[1] : undefined));
    expect(provider).toHaveBeenCalledTimes(2);
    expect(bff.seen.filter((s) => s.path === '/stream-tickets').map((s) => s.authorization)).toEqual([
      'Bearer t1',
      'Bearer t2',
    ]);
    expect(changes).toContainEqual({ status: 'reconnecting', closeCode: CLOSE_CODES.reauthenticate });
  });

  it('opens the stream without a ticket when it uses the session cookie', async () => {
    const bff = fakeBff(new Set());
    const c = newClient(bff.fetch);
    c.subscribe('runtimes', 0, () => {});
    const socket = await until(() => FakeSocket.opened[0]);
    expect(socket.url).toBe('ws://bff.test/api/stream');
    expect(bff.seen).toEqual([]);
  });

  it('retries a ticket that failed on the way, then connects', async () => {
    const bff = fakeBff(new Set(['t1']));
    bff.failTickets(() => json(503, { error: { code: 'internal', message: 'busy' } }));
    const c = newClient(bff.fetch, numberedTokens());
    const changes = statuses(c);
    c.subscribe('runtimes', 0, () => {});
    const socket = await until(() => (FakeSocket.opened[0]?.sent.length ? FakeSocket.opened[0] : undefined));
    expect(socket.url).toBe('ws://bff.test/api/stream?ticket=ticket-1');
    expect(changes.map((s) => s.status)).toEqual(['connecting', 'reconnecting', 'open']);
  });

  it('stops as unauthorized when no token works, and connects again after setToken', async () => {
    const valid = new Set<string>();
    const bff = fakeBff(valid);
    const c = newClient(bff.fetch, numberedTokens());
    const changes = statuses(c);
    const expired = expiredEvents(c);
    c.subscribe('runtimes', 0, () => {});
    await until(() => changes.some((s) => s.status === 'closed'));
    expect(changes.at(-1)).toEqual({ status: 'closed', closeCode: CLOSE_CODES.unauthorized });
    expect(FakeSocket.opened).toEqual([]);
    expect(expired).toEqual([expect.objectContaining({ reason: 'refused' })]);

    // The host page signed its user in again and hands over a token that works.
    valid.add('rcc_new');
    c.setToken('rcc_new');
    const socket = await until(() => (FakeSocket.opened[0]?.sent.length ? FakeSocket.opened[0] : undefined));
    expect(socket.url).toBe('ws://bff.test/api/stream?ticket=ticket-1');
    expect(c.connectionStatus).toBe('open');
  });
});

describe('BearerToken', () => {
  it('keeps a token without expiresAt until it is refused, then renews it once', async () => {
    let calls = 0;
    const token = new BearerToken(async () => `t${++calls}`);
    expect(await token.get()).toBe('t1');
    expect(await token.get()).toBe('t1');
    const [a, b] = await Promise.all([token.renew('t1'), token.renew('t1')]);
    expect([a, b, calls]).toEqual(['t2', 't2', 2]);
    // A request refused with t1 after the renewal gets t2 without another refresh.
    expect(await token.renew('t1')).toBe('t2');
    expect(calls).toBe(2);
  });

  it('cannot renew a fixed token', async () => {
    const token = new BearerToken('rcc_fixed');
    expect(await token.get()).toBe('rcc_fixed');
    expect(await token.renew('rcc_fixed')).toBeUndefined();
  });

  it('reads expiresAt as an ISO string, a Date or milliseconds', async () => {
    let now = 1_000_000;
    for (const expiresAt of [new Date(now + 100_000).toISOString(), new Date(now + 100_000), now + 100_000]) {
      let calls = 0;
      const token = new BearerToken(
        async () => ({ token: `t${++calls}`, expiresAt }),
        () => now,
      );
      await token.get();
      now += 79_000;
      await token.get();
      expect(calls).toBe(1);
      now += 2_000;
      await token.get();
      expect(calls).toBe(2);
      now -= 81_000;
    }
  });
});
