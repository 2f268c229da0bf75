import type { CreatedApiToken } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { startTestBff, type TestBff } from './support/bff.js';

const HOST = 'http://host.example';

async function clientToken(bff: TestBff): Promise<string> {
  const api = (await (await bff.api('/api/tokens', { body: { name: 'host' } })).json()) as CreatedApiToken;
  const response = await fetch(`${bff.url}/api/client-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'alice', origin: HOST }),
  });
  return ((await response.json()) as { token: string }).token;
}

/** Statuses of `count` requests with a wrong token, each claiming another client address. */
async function failedAttempts(bff: TestBff, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${bff.url}/api/runtimes`, {
      headers: { authorization: 'Bearer rc_wrong', 'x-forwarded-for': `203.0.113.${i}` },
    });
    statuses.push(response.status);
  }
  return statuses;
}

describe('credential edges', () => {
  it('refuses a client token with any segment added', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const token = await clientToken(bff);
    const as = (bearer: string) =>
      fetch(`${bff.url}/api/runtimes`, { headers: { authorization: `Bearer ${bearer}`, origin: HOST } });
    expect((await as(token)).status).toBe(200);
    for (const forged of [`${token}.x`, `${token}.`, `${token}..`, `${token}.${token.split('.')[1]}`]) {
      expect((await as(forged)).status, forged).toBe(401);
    }
  });

  it('signs out only from the portal itself, never from a page elsewhere', async () => {
    const bff = await startTestBff();
    for (const origin of ['http://evil.example', 'http://127.0.0.1:1', 'http://[', 'null']) {
      const response = await fetch(`${bff.url}/auth/signout`, {
        method: 'POST',
        headers: { cookie: bff.cookie, origin },
        redirect: 'manual',
      });
      expect(response.status, origin).toBe(403);
      expect((await bff.api('/api/runtimes')).status).toBe(200);
    }
    const own = await fetch(`${bff.url}/auth/signout`, {
      method: 'POST',
      headers: { cookie: bff.cookie, origin: bff.url },
      redirect: 'manual',
    });
    expect(own.status).toBe(303);
    expect((await bff.api('/api/runtimes')).status).toBe(401);
  });

  it('limits failed sign-ins by the real address, whatever X-Forwarded-For claims', async () => {
    const bff = await startTestBff();
    const statuses = await failedAttempts(bff, 40);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toContain(429);
  });

  it('believes X-Forwarded-For from the proxies named with trustProxy', async () => {
    const bff = await startTestBff({ trustProxy: 'loopback' });
    // Each attempt comes through the proxy from another client: none of them is limited.
    expect(new Set(await failedAttempts(bff, 40))).toEqual(new Set([401]));
  });
});
