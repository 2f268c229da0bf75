import { createHash } from 'node:crypto';
import { CLOSE_CODES, type CreatedApiToken } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { StreamClient, signIn, startTestBff, type TestBff } from './support/bff.js';

const HOST = 'http://host.example';

async function apiToken(bff: TestBff, expiresInDays?: number): Promise<CreatedApiToken> {
  const response = await bff.api('/api/tokens', {
    body: { name: 'host backend', ...(expiresInDays && { expiresInDays }) },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedApiToken;
}

async function clientToken(bff: TestBff, apiToken: string, ttlSeconds?: number): Promise<string> {
  const response = await fetch(`${bff.url}/api/client-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'alice', origin: HOST, ...(ttlSeconds && { ttlSeconds }) }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

/** A one-time stream ticket asked for with a bearer token, as a host page does. */
async function ticket(bff: TestBff, bearer: string, origin?: string): Promise<string> {
  const response = await fetch(`${bff.url}/api/stream-tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, ...(origin && { origin }), 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { ticket: string }).ticket;
}

async function streamWithTicket(bff: TestBff, bearer: string, origin?: string): Promise<StreamClient> {
  const query = `?ticket=${encodeURIComponent(await ticket(bff, bearer, origin))}`;
  return StreamClient.open(bff.url, '', origin ? { origin } : {}, query);
}

/** Resolves with the close code the server ends the stream with. */
function closeCode(stream: StreamClient): Promise<number> {
  return new Promise((resolve) => stream.socket.once('close', (code) => resolve(code)));
}

/** Whether the stream still answers a ping. */
async function answers(stream: StreamClient): Promise<boolean> {
  const id = Math.floor(Math.random() * 1e9);
  stream.send({ type: 'ping', id });
  await stream.until(() => stream.frames.some((f) => f.type === 'pong' && f.id === id), 5000);
  return true;
}

describe('revocation reaches open streams', () => {
  it('closes a client-token stream with reauthenticate once the API token that minted it is revoked', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const minter = await apiToken(bff);
    const other = await apiToken(bff);
    const client = await clientToken(bff, minter.token);
    const stream = await streamWithTicket(bff, client, HOST);
    const bystander = await streamWithTicket(bff, await clientToken(bff, other.token), HOST);
    const unused = await ticket(bff, client, HOST);
    const closed = closeCode(stream);

    expect((await bff.api(`/api/tokens/${minter.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await closed).toBe(CLOSE_CODES.reauthenticate);
    // A ticket it asked for before is worth nothing now; streams of other tokens go on.
    const refused = await StreamClient.open(bff.url, '', { origin: HOST }, `?ticket=${unused}`).catch(
      (error: Error) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    expect(await answers(bystander)).toBe(true);
  });

  it('closes a stream opened with an API token when the token is revoked', async () => {
    const bff = await startTestBff();
    const token = await apiToken(bff);
    const stream = await streamWithTicket(bff, token.token);
    const closed = closeCode(stream);
    expect((await bff.api(`/api/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await closed).toBe(CLOSE_CODES.reauthenticate);
  });

  it('closes a client-token stream within seconds of the token expiring', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const client = await clientToken(bff, (await apiToken(bff)).token, 1);
    const stream = await streamWithTicket(bff, client, HOST);
    const opened = Date.now();
    expect(await closeCode(stream)).toBe(CLOSE_CODES.reauthenticate);
    expect(Date.now() - opened).toBeLessThan(10_000);
  });

  it('ends client tokens, and their streams, once the API token that minted them expires', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    // An API token about to expire, made in the store (the API counts its lifetime in days).
    const owner = await bff.server.chat.store.ensureOwner('Owner');
    const token = 'rc_expiring-token-for-this-test';
    await bff.server.chat.store.createApiToken({
      id: 'tok_expiring',
      userId: owner.id,
      name: 'expiring',
      tokenHash: createHash('sha256').update(token).digest('hex'),
      expiresAt: new Date(Date.now() + 2000),
    });
    const client = await clientToken(bff, token, 3600);
    const stream = await streamWithTicket(bff, client, HOST);
    expect(await closeCode(stream)).toBe(CLOSE_CODES.reauthenticate);
    const refused = await fetch(`${bff.url}/api/runtimes`, {
      headers: { authorization: `Bearer ${client}`, origin: HOST },
    });
    expect(refused.status).toBe(401);
  });

  it("closes a session's streams when it signs out, and no other session's", async () => {
    const bff = await startTestBff();
    const stream = await bff.stream();
    const otherSession = await signIn(await bff.server.signinLink());
    const other = await StreamClient.open(bff.url, otherSession);
    const closed = closeCode(stream);
    const signout = await fetch(`${bff.url}/auth/signout`, {
      method: 'POST',
      headers: { cookie: bff.cookie, origin: bff.url },
      redirect: 'manual',
    });
    expect(signout.status).toBe(303);
    expect(await closed).toBe(CLOSE_CODES.reauthenticate);
    expect(await answers(other)).toBe(true);
  });
});
