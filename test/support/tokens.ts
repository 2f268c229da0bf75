import type { CreatedApiToken } from '@remote-chat/protocol';
import type { TestBff } from './bff.js';

/** An API token the owner creates (Account → API tokens), as a host site's backend holds one. */
export async function apiToken(bff: TestBff, name = 'host backend'): Promise<CreatedApiToken> {
  const response = await bff.api('/api/tokens', { body: { name } });
  if (response.status !== 201) throw new Error(`POST /api/tokens answered ${response.status}`);
  return (await response.json()) as CreatedApiToken;
}

/** What a host site's backend does: trade its API token for a client token for one of its users. */
export async function clientToken(
  bff: TestBff,
  token: string,
  userId: string,
  origin: string,
  ttlSeconds?: number,
): Promise<string> {
  const response = await fetch(`${bff.url}/api/client-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, origin, ...(ttlSeconds && { ttlSeconds }) }),
  });
  if (response.status !== 201) throw new Error(`POST /api/client-tokens answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** What a host site's backend does to let one of its users connect a machine: a machine token for that user. */
export async function machineToken(bff: TestBff, token: string, userId: string): Promise<string> {
  const response = await fetch(`${bff.url}/api/machine-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, name: `${userId}'s laptop` }),
  });
  if (response.status !== 201) throw new Error(`POST /api/machine-tokens answered ${response.status}`);
  return ((await response.json()) as CreatedApiToken).token;
}
