// Client tokens (`rcc_PAYLOAD.SIGNATURE`) are HMAC-signed with a key derived from this server's
// secret. A token is only as good as its signature: one another server signed, or one whose
// payload was edited under its original signature, must open nothing.
import { describe, expect, it } from 'vitest';
import { startTestBff, type TestBff } from './support/bff.js';
import { apiToken, clientToken } from './support/tokens.js';

const HOST = 'https://notes.example';
const OTHER_HOST = 'https://other.example';

interface Claims {
  sub: string;
  aud: string;
  tid: string;
  exp: number;
}

function claimsOf(token: string): Claims {
  const payload = token.slice('rcc_'.length).split('.')[0]!;
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
}

/** The token with its payload edited and its original signature kept. */
function tampered(token: string, edit: (claims: Claims) => Partial<Claims>): string {
  const signature = token.split('.')[1]!;
  const claims = claimsOf(token);
  const payload = Buffer.from(JSON.stringify({ ...claims, ...edit(claims) })).toString('base64url');
  return `rcc_${payload}.${signature}`;
}

/** The status of `GET /api/runtimes` and of `POST /api/stream-tickets` with a client token, from a page on `origin`. */
async function statuses(bff: TestBff, token: string, origin = HOST) {
  const headers = { authorization: `Bearer ${token}`, origin };
  const list = await fetch(`${bff.url}/api/runtimes`, { headers });
  const ticket = await fetch(`${bff.url}/api/stream-tickets`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: '{}',
  });
  return { list: list.status, ticket: ticket.status };
}

describe('client tokens', () => {
  it('are refused by another server, even one that shares the database', async () => {
    const minter = await startTestBff({ dialect: 'postgres', allowedOrigins: [HOST] });
    // Same users, same API tokens, same everything but the secret in its data directory.
    const other = await startTestBff({ databaseUrl: minter.databaseUrl!, allowedOrigins: [HOST] });
    const { token } = await apiToken(minter);
    const alice = await clientToken(minter, token, 'alice', HOST);
    expect(await statuses(minter, alice)).toEqual({ list: 200, ticket: 201 });
    expect(await statuses(other, alice)).toEqual({ list: 401, ticket: 401 });
    // And the other way round: its own tokens work there, not here.
    const fromOther = await clientToken(other, token, 'alice', HOST);
    expect(await statuses(other, fromOther)).toEqual({ list: 200, ticket: 201 });
    expect(await statuses(minter, fromOther)).toEqual({ list: 401, ticket: 401 });
  });

  it('open nothing once their payload is edited under the original signature', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST, OTHER_HOST] });
    const { token } = await apiToken(bff);
    const alice = await clientToken(bff, token, 'alice', HOST);
    const bob = await clientToken(bff, token, 'bob', HOST);
    const other = await apiToken(bff, 'another backend');
    expect(await statuses(bff, alice)).toEqual({ list: 200, ticket: 201 });

    const forgeries = {
      "another user's": tampered(alice, () => ({ sub: claimsOf(bob).sub })),
      'the owner’s': tampered(alice, () => ({ sub: 'owner' })),
      'a later expiry': tampered(alice, (c) => ({ exp: c.exp + 3600 })),
      'another allowed page': tampered(alice, () => ({ aud: OTHER_HOST })),
      'another API token': tampered(alice, () => ({ tid: other.id })),
    };
    const results: Record<string, unknown> = {};
    for (const [what, forged] of Object.entries(forgeries)) {
      const origin = claimsOf(forged).aud;
      results[what] = await statuses(bff, forged, origin);
    }
    expect(results).toEqual(
      Object.fromEntries(Object.keys(forgeries).map((what) => [what, { list: 401, ticket: 401 }])),
    );
  });
});
