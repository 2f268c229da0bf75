import type { CreatedApiToken, Runtime, Thread } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StreamClient, clientId, startTestBff, type TestBff } from './support/bff.js';
import { hello } from './support/machine-link.js';

const HOST = 'http://host.example';
const OTHER_HOST = 'http://other-host.example';

/** A caller of the API with one way of proving who it is. */
interface Client {
  headers: Record<string, string>;
}

async function call(bff: TestBff, client: Client, path: string, init: { method?: string; body?: unknown } = {}) {
  return fetch(`${bff.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...client.headers, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
}

async function apiToken(bff: TestBff, name = 'host backend'): Promise<CreatedApiToken> {
  const response = await bff.api('/api/tokens', { body: { name } });
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedApiToken;
}

/** What the host site's backend does: trade its API token for a client token for its user. */
async function clientToken(bff: TestBff, token: string, userId: string, origin = HOST, ttlSeconds?: number) {
  const response = await fetch(`${bff.url}/api/client-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, origin, ...(ttlSeconds && { ttlSeconds }) }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

const asClient = (token: string, origin = HOST): Client => ({ headers: { authorization: `Bearer ${token}`, origin } });

/**
 * A user's runtime with a thread, made through the API as that user: a `process` one, which the
 * BFFs here open to a host site's users (`processProviderFor: 'all'`) to make one cheaply.
 */
async function workspaceOf(bff: TestBff, client: Client) {
  const runtime = (await (
    await call(bff, client, '/api/runtimes', { body: { provider: 'process' } })
  ).json()) as Runtime;
  const thread = (await (
    await call(bff, client, `/api/runtimes/${runtime.id}/threads`, { body: { title: 'mine' } })
  ).json()) as Thread;
  return { runtime, thread };
}

/** Every route that names a resource, with a method and a valid body. */
function routesFor(ids: { runtime: string; thread: string }) {
  return [
    { path: `/api/runtimes/${ids.runtime}` },
    { path: `/api/runtimes/${ids.runtime}/log` },
    { path: `/api/runtimes/${ids.runtime}/threads` },
    { path: `/api/runtimes/${ids.runtime}/threads`, body: {} },
    { path: `/api/threads/${ids.thread}` },
    { path: `/api/threads/${ids.thread}`, method: 'PATCH', body: { title: 'stolen' } },
    { path: `/api/threads/${ids.thread}/events` },
    { path: `/api/threads/${ids.thread}/messages`, body: { clientId: clientId(), text: 'cat /etc/passwd' } },
    { path: `/api/threads/${ids.thread}/cancel`, body: {} },
    { path: `/api/threads/${ids.thread}/move`, body: { runtimeId: ids.runtime } },
    { path: `/api/runtimes/${ids.runtime}`, method: 'PATCH', body: { name: 'stolen' } },
    { path: `/api/runtimes/${ids.runtime}/start`, body: {} },
    { path: `/api/threads/${ids.thread}`, method: 'PATCH', body: { archived: true } },
    { path: `/api/threads/${ids.thread}`, method: 'DELETE' },
    { path: `/api/runtimes/${ids.runtime}`, method: 'DELETE' },
  ];
}

describe('isolation between users', () => {
  it("refuses every route with another user's ids exactly as with ids that do not exist", async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST], processProviderFor: 'all' });
    const { token } = await apiToken(bff);
    const alice = asClient(await clientToken(bff, token, 'alice'));
    const bob = asClient(await clientToken(bff, token, 'bob'));
    const alices = await workspaceOf(bff, alice);

    for (const route of routesFor({ runtime: alices.runtime.id, thread: alices.thread.id })) {
      const stolen = await call(bff, bob, route.path, route);
      const missing = await call(
        bff,
        bob,
        route.path.replace(alices.runtime.id, 'rt_nonesuch').replace(alices.thread.id, 'th_nonesuch'),
        route,
      );
      expect({ route: route.path, method: route.method, status: stolen.status }).toMatchObject({ status: 404 });
      expect(await stolen.json()).toEqual(await missing.json());
    }
    // Bob's lists do not show Alice's runtime, and nothing of hers changed.
    expect(((await (await call(bff, bob, '/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes).toEqual([]);
    const thread = (await (await call(bff, alice, `/api/threads/${alices.thread.id}`)).json()) as Thread;
    expect(thread).toMatchObject({ title: 'mine', lastSeq: 0, archivedAt: null });
    const runtime = await call(bff, alice, `/api/runtimes/${alices.runtime.id}`);
    expect(runtime.status).toBe(200);
    expect(((await runtime.json()) as Runtime).name).toBe(alices.runtime.name);
  });

  it("refuses another user's topics on the stream exactly as topics that do not exist", async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST], processProviderFor: 'all' });
    const { token } = await apiToken(bff);
    const alice = asClient(await clientToken(bff, token, 'alice'));
    const bobToken = await clientToken(bff, token, 'bob');
    const alices = await workspaceOf(bff, alice);

    const ticket = (await (await call(bff, asClient(bobToken), '/api/stream-tickets', { body: {} })).json()) as {
      ticket: string;
    };
    const bob = await StreamClient.open(`${bff.url}`, '', { origin: HOST }, `?ticket=${ticket.ticket}`);
    const topics = [`thread:${alices.thread.id}`, `runtime-log:${alices.runtime.id}`, `threads:${alices.runtime.id}`];
    for (const topic of topics) bob.send({ type: 'subscribe', topic });
    for (const topic of topics) bob.send({ type: 'subscribe', topic: topic.replace(/:.*/, ':nonesuch') });
    bob.send({ type: 'subscribe', topic: 'runtimes' });
    await bob.until(
      () => bob.frames.filter((f) => f.type === 'error').length === 6 && bob.frames.some((f) => f.type === 'runtimes'),
    );
    const errors = bob.frames.flatMap((f) =>
      f.type === 'error' ? [{ code: f.code, message: f.message.replace(/: .*/, '') }] : [],
    );
    expect(new Set(errors.map((e) => JSON.stringify(e))).size).toBe(1);
    expect(errors[0]?.code).toBe('not_found');
    expect(bob.frames.find((f) => f.type === 'runtimes')).toMatchObject({ runtimes: [] });
    expect(bob.frames.some((f) => f.type === 'event' || f.type === 'log' || f.type === 'thread')).toBe(false);
  });

  it('refuses a revoked API token, and the client tokens it minted', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const created = await apiToken(bff);
    const client = await clientToken(bff, created.token, 'carol');
    expect((await call(bff, asClient(client), '/api/runtimes')).status).toBe(200);
    const listed = (await (await bff.api('/api/tokens')).json()) as {
      tokens: { id: string; lastUsedAt: string | null }[];
    };
    expect(listed.tokens.map((t) => t.id)).toEqual([created.id]);
    expect(listed.tokens[0]?.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(created.token);

    expect((await bff.api(`/api/tokens/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const revoked = { headers: { authorization: `Bearer ${created.token}` } };
    expect((await call(bff, revoked, '/api/runtimes')).status).toBe(401);
    expect((await call(bff, asClient(client), '/api/runtimes')).status).toBe(401);
    expect(((await (await bff.api('/api/tokens')).json()) as { tokens: unknown[] }).tokens).toEqual([]);
  });

  it('refuses an expired client token, one for another audience, a forged one, and none', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST, OTHER_HOST] });
    const { token } = await apiToken(bff);
    const shortLived = await clientToken(bff, token, 'dave', HOST, 1);
    const forHost = await clientToken(bff, token, 'dave', HOST);
    expect((await call(bff, asClient(forHost), '/api/runtimes')).status).toBe(200);

    expect((await call(bff, asClient(forHost, OTHER_HOST), '/api/runtimes')).status).toBe(401);
    const [payload, signature] = forHost.split('.');
    const forged = `${payload}.${signature!.slice(0, -2)}AA`;
    expect((await call(bff, asClient(forged), '/api/runtimes')).status).toBe(401);
    expect((await call(bff, { headers: { origin: HOST } }, '/api/runtimes')).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(bff, asClient(shortLived), '/api/runtimes')).status).toBe(401);
  });

  it('mints client tokens only for a server with an API token, for allowed origins', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const { token } = await apiToken(bff);
    const client = await clientToken(bff, token, 'erin');
    const byClient = await call(bff, asClient(client), '/api/client-tokens', {
      body: { userId: 'mallory', origin: HOST },
    });
    expect(byClient.status).toBe(403);
    const bySession = await bff.api('/api/client-tokens', { body: { userId: 'mallory', origin: HOST } });
    expect(bySession.status).toBe(403);
    const elsewhere = await fetch(`${bff.url}/api/client-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'erin', origin: 'http://evil.example' }),
    });
    expect(elsewhere.status).toBe(400);
    // A client token cannot manage API tokens either.
    expect((await call(bff, asClient(client), '/api/tokens')).status).toBe(403);
  });
});

describe("machine tokens for a host site's users", () => {
  it('lets a host user connect their own machine, seen by them alone, with a token that does nothing else', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const { token } = await apiToken(bff);
    const minted = await fetch(`${bff.url}/api/machine-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'alice', name: "Alice's laptop" }),
    });
    expect(minted.status).toBe(201);
    const machine = (await minted.json()) as CreatedApiToken;

    const linked = await hello(bff.url, machine.token, 'rt_alicelaptop1');
    expect(linked.code).toBe(0);
    const alice = asClient(await clientToken(bff, token, 'alice'));
    const bob = asClient(await clientToken(bff, token, 'bob'));
    const list = async (client: Client) =>
      ((await (await call(bff, client, '/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes;
    expect((await list(alice)).map((r) => [r.id, r.kind])).toEqual([['rt_alicelaptop1', 'machine']]);
    expect(await list(bob)).toEqual([]);
    expect(((await (await bff.api('/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes).toEqual([]);

    // The machine token opens links, nothing else.
    const asMachine = { headers: { authorization: `Bearer ${machine.token}` } };
    expect((await call(bff, asMachine, '/api/runtimes')).status).toBe(403);
    expect((await call(bff, asMachine, '/api/client-tokens', { body: { userId: 'x', origin: HOST } })).status).toBe(
      403,
    );
    expect((await call(bff, asMachine, '/api/machine-tokens', { body: { userId: 'x', name: 'y' } })).status).toBe(403);
    // Bob's machine token cannot take over Alice's runtime id: naming it gets Bob a runtime of
    // his own, as a new id would (test/link-hardening.test.ts), and Alice's stays hers alone.
    const bobs = (await (
      await fetch(`${bff.url}/api/machine-tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'bob', name: "Bob's laptop" }),
      })
    ).json()) as CreatedApiToken;
    expect((await hello(bff.url, bobs.token, 'rt_alicelaptop1')).code).toBe(0);
    expect((await list(bob)).map((r) => r.id)).not.toContain('rt_alicelaptop1');
    expect((await list(alice)).map((r) => r.id)).toEqual(['rt_alicelaptop1']);

    // Deleting the runtime tells the machine to stop serving that folder.
    const told = new Promise<unknown>((resolve) =>
      linked.socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; seq?: number; message?: { type: string } };
        if (frame.type === 'data' && frame.message?.type === 'runtime.shutdown') {
          linked.socket.send(JSON.stringify({ type: 'ack', upTo: frame.seq }));
          resolve(frame.message);
        }
      }),
    );
    expect((await call(bff, alice, '/api/runtimes/rt_alicelaptop1', { method: 'DELETE' })).status).toBe(204);
    expect(await told).toMatchObject({ type: 'runtime.shutdown', reason: expect.stringContaining('deleted') });
    expect(await list(alice)).toEqual([]);

    // The host site revokes it; the machine can no longer connect.
    linked.socket.close();
    const revoke = await fetch(`${bff.url}/api/machine-tokens/${machine.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoke.status).toBe(204);
    expect((await hello(bff.url, machine.token, 'rt_alicelaptop1')).code).toBe(4401);
  });
});

describe('origins', () => {
  it('answers CORS for an allowed origin and refuses a disallowed one', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const preflight = (origin: string) =>
      fetch(`${bff.url}/api/runtimes`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight(HOST);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(HOST);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const refused = await preflight('http://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${bff.url}/api/config`, { headers: { origin: 'http://evil.example' } });
    expect(simple.status).toBe(403);
  });

  it('opens the stream from an allowed origin with a ticket, and refuses other origins and reused tickets', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const { token } = await apiToken(bff);
    const client = asClient(await clientToken(bff, token, 'frank'));
    const ticket = async () =>
      ((await (await call(bff, client, '/api/stream-tickets', { body: {} })).json()) as { ticket: string }).ticket;
    const status = (query: string, origin: string) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(`${bff.url.replace('http', 'ws')}/api/stream${query}`, { headers: { origin } });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('open', () => {
          socket.close();
          resolve(101);
        });
      });
    const first = await ticket();
    expect(await status(`?ticket=${first}`, HOST)).toBe(101);
    expect(await status(`?ticket=${first}`, HOST)).toBe(401);
    expect(await status(`?ticket=${await ticket()}`, 'http://evil.example')).toBe(403);
    // A page cannot open the stream with the owner's cookie from another origin (cross-site hijacking).
    const hijack = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${bff.url.replace('http', 'ws')}/api/stream`, {
        headers: { origin: 'http://evil.example', cookie: bff.cookie },
      });
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(hijack).toBe(403);
  });

  it('refuses a runtime link opened from a web page', async () => {
    const bff = await startTestBff();
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${bff.url.replace('http', 'ws')}/api/link`, { headers: { origin: bff.url } });
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(status).toBe(403);
  });
});
