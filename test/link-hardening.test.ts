// The machine link endpoint (`WS /api/link`) against peers that misbehave: floods of frames or of
// hellos, frames over the size limit, runtime ids that are someone else's, and tokens revoked while
// their link is open. Each test also checks that other runtimes' links do not suffer.
import { CLOSE_CODES, LIMITS, type CreatedApiToken, type Runtime } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestBff, type TestBff } from './support/bff.js';
import { hello, type HelloAnswer } from './support/machine-link.js';

const HOST = 'http://host.example';

/** The host site's server: its full API token. */
async function hostToken(bff: TestBff): Promise<CreatedApiToken> {
  return (await (await bff.api('/api/tokens', { body: { name: 'host' } })).json()) as CreatedApiToken;
}

/** A machine token the host site mints for one of its users. */
async function machineToken(bff: TestBff, host: string, userId: string): Promise<CreatedApiToken> {
  const response = await fetch(`${bff.url}/api/machine-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, name: `${userId}'s laptop` }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedApiToken;
}

/** A user's runtimes, as the host site's page sees them with a client token. */
async function runtimesOf(bff: TestBff, host: string, userId: string): Promise<Runtime[]> {
  const minted = await fetch(`${bff.url}/api/client-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, origin: HOST }),
  });
  const { token } = (await minted.json()) as { token: string };
  const response = await fetch(`${bff.url}/api/runtimes`, {
    headers: { authorization: `Bearer ${token}`, origin: HOST },
  });
  return ((await response.json()) as { runtimes: Runtime[] }).runtimes;
}

/** A ping on an open link and its pong: the link still works. */
async function answers(link: HelloAnswer): Promise<boolean> {
  if (link.socket.readyState !== WebSocket.OPEN) return false;
  const t = Math.random();
  const pong = new Promise<boolean>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(String(data)) as { type: string; t?: number };
      if (frame.type !== 'pong' || frame.t !== t) return;
      link.socket.off('message', onMessage);
      resolve(true);
    };
    link.socket.on('message', onMessage);
    void link.closed.then(() => resolve(false));
  });
  link.socket.send(JSON.stringify({ type: 'ping', t }));
  return pong;
}

describe('the machine link endpoint', () => {
  it("closes a link that floods frames, and only that one: another runtime's link goes on", async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const host = (await hostToken(bff)).token;
    const flooder = await machineToken(bff, host, 'mallory');
    const neighbour = await machineToken(bff, host, 'alice');
    const link = await hello(bff.url, flooder.token, 'rt_floodlaptop01');
    const other = await hello(bff.url, neighbour.token, 'rt_quietlaptop01');
    expect([link.code, other.code]).toEqual([0, 0]);

    let sent = 0;
    while (sent < 5000 && link.socket.readyState === WebSocket.OPEN) {
      link.socket.send(JSON.stringify({ type: 'ping', t: sent++ }));
      // Let the close come in between bursts.
      if (sent % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await link.closed).toBe(CLOSE_CODES.rateLimited);
    expect(await answers(other)).toBe(true);
    // The machine itself may come back at once, with a budget of its own.
    const back = await hello(bff.url, flooder.token, 'rt_floodlaptop01');
    expect(back.code).toBe(0);
    expect(await answers(back)).toBe(true);
  });

  it('closes a link that sends a frame over the size limit, and only that one', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const host = (await hostToken(bff)).token;
    const link = await hello(bff.url, (await machineToken(bff, host, 'mallory')).token, 'rt_hugeframes001');
    const other = await hello(bff.url, (await machineToken(bff, host, 'alice')).token, 'rt_quietlaptop02');
    expect([link.code, other.code]).toEqual([0, 0]);
    link.socket.send(JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(LIMITS.maxLinkFrameBytes) }));
    expect(await link.closed).toBe(1009);
    expect(await answers(other)).toBe(true);
  });

  it('refuses hellos with wrong tokens with 4401, then 4429 from an address that keeps guessing', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const host = (await hostToken(bff)).token;
    const machine = await machineToken(bff, host, 'alice');
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) {
      codes.push(
        (await hello(bff.url, `rc_wrong-token-${i}`, 'rt_guessing000001', { localAddress: '127.0.0.2' })).code,
      );
    }
    expect(codes.slice(0, 30)).toEqual(Array(30).fill(CLOSE_CODES.unauthorized));
    expect(codes.slice(30)).toEqual(Array(10).fill(CLOSE_CODES.rateLimited));
    // Another address is not held back by it.
    const elsewhere = await hello(bff.url, 'rc_wrong-token-x', 'rt_guessing000001', { localAddress: '127.0.0.3' });
    expect(elsewhere.code).toBe(CLOSE_CODES.unauthorized);
    expect((await hello(bff.url, machine.token, 'rt_alicelaptop01', { localAddress: '127.0.0.3' })).code).toBe(0);
  });

  it('limits how many links one address opens, and no other address or open link suffers', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const host = (await hostToken(bff)).token;
    const machine = await machineToken(bff, host, 'alice');
    const open = await hello(bff.url, machine.token, 'rt_alicelaptop02');
    expect(open.code).toBe(0);
    const flood = await machineToken(bff, host, 'mallory');
    let answer = 0;
    let hellos = 0;
    // Valid hellos, each on a new connection: the cost is the handshake itself.
    while (answer !== 429 && hellos < 200) {
      const link = await hello(bff.url, flood.token, 'rt_reconnector01', { localAddress: '127.0.0.4' });
      answer = link.code;
      hellos++;
      link.socket.terminate();
    }
    expect(answer).toBe(429);
    expect(hellos).toBeGreaterThan(50);
    expect(await answers(open)).toBe(true);
    const fresh = await hello(bff.url, machine.token, 'rt_alicelaptop03', { localAddress: '127.0.0.5' });
    expect(fresh.code).toBe(0);
  });

  it("answers a hello naming another user's runtime exactly as one naming a new id, with the same store work", async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const host = (await hostToken(bff)).token;
    const alice = await machineToken(bff, host, 'alice');
    const bob = await machineToken(bff, host, 'bob');
    const alicesLink = await hello(bff.url, alice.token, 'rt_sharedfolder01');
    expect(alicesLink.code).toBe(0);
    // Bob's token has been used once already, so that neither hello below is its first.
    expect((await hello(bff.url, bob.token, 'rt_bobsownfolder1')).code).toBe(0);

    // What the BFF asks its store while it answers a hello: the work that sets how long it takes.
    const store = bff.server.chat.store as unknown as Record<string, unknown>;
    const calls: string[] = [];
    for (const [name, value] of Object.entries(store)) {
      if (typeof value !== 'function') continue;
      store[name] = (...args: unknown[]) => {
        calls.push(name);
        return (value as (...a: unknown[]) => unknown)(...args);
      };
    }
    const answered = async (runtimeId: string) => {
      calls.length = 0;
      const link = await hello(bff.url, bob.token, runtimeId);
      return { code: link.code, storeCalls: [...calls].sort() };
    };
    const taken = await answered('rt_sharedfolder01');
    const fresh = await answered('rt_bobsnewfolder1');
    expect(taken).toEqual(fresh);
    expect(taken.code).toBe(0);

    // Each is a runtime of Bob's own; Alice's is neither his nor touched.
    const bobs = await runtimesOf(bff, host, 'bob');
    expect(bobs).toHaveLength(3);
    expect(bobs.map((r) => r.id)).not.toContain('rt_sharedfolder01');
    expect((await runtimesOf(bff, host, 'alice')).map((r) => r.id)).toEqual(['rt_sharedfolder01']);
    expect(await answers(alicesLink)).toBe(true);
    // Bob's machine dials again with the same id, and gets the same runtime of his.
    expect((await hello(bff.url, bob.token, 'rt_sharedfolder01')).code).toBe(0);
    expect(await runtimesOf(bff, host, 'bob')).toHaveLength(3);
  });

  it('closes an open link within seconds of the token it opened with being revoked, and no other', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const host = await hostToken(bff);
    const machine = await machineToken(bff, host.token, 'alice');
    const other = await machineToken(bff, host.token, 'alice');
    const link = await hello(bff.url, machine.token, 'rt_revokedlaptop1');
    const bystander = await hello(bff.url, other.token, 'rt_otherlaptop001');
    // The host site's own token opens a link too (the owner's machine).
    const owners = await hello(bff.url, host.token, 'rt_ownerslaptop01');
    expect([link.code, bystander.code, owners.code]).toEqual([0, 0, 0]);

    const revoked = await fetch(`${bff.url}/api/machine-tokens/${machine.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${host.token}` },
    });
    expect(revoked.status).toBe(204);
    expect(await link.closed).toBe(CLOSE_CODES.reauthenticate);
    expect((await hello(bff.url, machine.token, 'rt_revokedlaptop1')).code).toBe(CLOSE_CODES.unauthorized);
    expect(await answers(bystander)).toBe(true);
    expect(await answers(owners)).toBe(true);

    // Revoking an API token in the portal ends the links it opened too.
    expect((await bff.api(`/api/tokens/${host.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await owners.closed).toBe(CLOSE_CODES.reauthenticate);
    expect(await answers(bystander)).toBe(true);
  });
});
