// Guessing costs: minting tokens, failing to authenticate and trying sign-in links are limited per
// address, and a client over the limit is told when to come back.
import { describe, expect, it } from 'vitest';
import { startTestBff, type TestBff } from './support/bff.js';
import { upgradeStatus } from './support/stream-upgrade.js';
import { apiToken } from './support/tokens.js';

/** The bursts the BFF allows per address (remote-chat.ts and server.ts). */
const BURST = { minting: 20, failedAuth: 30, signin: 10 } as const;
const HOST = 'https://host.example';

/** Sends requests until one answers 429; returns how many did not, and the refusal. */
async function untilLimited(send: () => Promise<Response>, most = 100) {
  for (let allowed = 0; allowed < most; allowed++) {
    const response = await send();
    if (response.status === 429) {
      const body = (await response.json().catch(() => null)) as { error?: { code: string } } | null;
      return { allowed, retryAfter: Number(response.headers.get('retry-after')), code: body?.error?.code };
    }
    await response.body?.cancel();
  }
  return { allowed: most, retryAfter: Number.NaN, code: undefined };
}

const post = (bff: TestBff, path: string, headers: Record<string, string>, body: unknown) =>
  fetch(`${bff.url}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('rate limits', () => {
  it.each([
    { what: 'API tokens', path: '/api/tokens', body: { name: 'minted' } },
    { what: 'client tokens', path: '/api/client-tokens', body: { userId: 'u1', origin: HOST } },
    { what: 'machine tokens', path: '/api/machine-tokens', body: { userId: 'u1', name: 'laptop' } },
  ])('limits minting $what per address, and says when to try again', async ({ path, body }) => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    // A person mints API tokens; a server with one mints the others (and minting that one counted).
    const byPerson = path === '/api/tokens';
    const headers: Record<string, string> = byPerson
      ? { cookie: bff.cookie }
      : { authorization: `Bearer ${(await apiToken(bff)).token}` };
    const limited = await untilLimited(() => post(bff, path, headers, body));
    expect(limited).toMatchObject({ allowed: BURST.minting - (byPerson ? 0 : 1), code: 'rate_limited' });
    expect(limited.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('limits failed authentications on REST and the stream together, and still serves valid sessions', async () => {
    const bff = await startTestBff();
    const half = BURST.failedAuth / 2;
    for (let i = 0; i < half; i++) expect(await upgradeStatus(bff.url, { cookie: 'rc_session=guessed' })).toBe(401);
    const rest = await untilLimited(() =>
      fetch(`${bff.url}/api/runtimes`, { headers: { authorization: 'Bearer rc_guessed-token-000000' } }),
    );
    expect(rest).toEqual({ allowed: BURST.failedAuth - half, retryAfter: expect.any(Number), code: 'rate_limited' });
    expect(rest.retryAfter).toBeGreaterThanOrEqual(1);
    expect(await upgradeStatus(bff.url, { cookie: 'rc_session=guessed' })).toBe(429);
    // The owner, who proves who they are, is not locked out by someone guessing from the same address.
    expect((await bff.api('/api/runtimes')).status).toBe(200);
    expect(await upgradeStatus(bff.url, { cookie: bff.cookie })).toBe(101);
  });

  it('limits sign-in link attempts per address', async () => {
    const bff = await startTestBff();
    // startTestBff signed in once already.
    const guesses = await untilLimited(() => fetch(`${bff.url}/auth/signin?token=guessed`, { redirect: 'manual' }));
    expect(guesses).toMatchObject({ allowed: BURST.signin - 1, code: 'rate_limited' });
    expect(guesses.retryAfter).toBeGreaterThanOrEqual(1);
    // Over the limit, even a real link waits: the limit is on trying, not on failing.
    const real = await fetch(await bff.server.signinLink(), { redirect: 'manual' });
    expect(real.status).toBe(429);
  });
});
