// The owner's session cookie: out of reach of scripts (HttpOnly), not sent by other sites' pages
// (SameSite=Lax), for the whole server (Path=/), and Secure whenever the page is served over HTTPS.
import type { ServerOptions } from '@remote-chat/bff';
import { describe, expect, it } from 'vitest';
import { startTestBff } from './support/bff.js';

/** The attributes of a Set-Cookie header, lower-cased, with the cookie's own name and value apart. */
function parseSetCookie(header: string | null) {
  if (!header) throw new Error('no Set-Cookie');
  const [pair, ...rest] = header.split(';').map((part) => part.trim());
  const attributes = Object.fromEntries(
    rest.map((part) => {
      const [key, ...value] = part.split('=');
      return [key!.toLowerCase(), value.join('=') || true];
    }),
  );
  return { pair: pair!, attributes };
}

async function signInResponse(url: string, link: string, headers: Record<string, string> = {}) {
  const response = await fetch(link.replace(/^http:\/\/[^/]+/, url), { redirect: 'manual', headers });
  expect(response.status).toBe(303);
  return parseSetCookie(response.headers.get('set-cookie'));
}

// What a deployment behind a TLS-terminating proxy on the same machine configures. (The server
// trusts loopback proxies by default today; `trustProxy` is for when that becomes opt-in.)
const behindProxy: Partial<ServerOptions> & { trustProxy?: string } = { trustProxy: 'loopback' };

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, for the whole server, for 30 days, and not Secure over plain HTTP', async () => {
    const bff = await startTestBff();
    const { pair, attributes } = await signInResponse(bff.url, await bff.server.signinLink());
    expect(pair).toMatch(/^rc_session=[\w-]{40,}$/);
    expect(attributes).toEqual({
      httponly: true,
      samesite: 'Lax',
      path: '/',
      'max-age': String(30 * 24 * 3600),
      expires: expect.any(String),
    });
  });

  it('is Secure when the page is served over HTTPS by a proxy the server trusts', async () => {
    const bff = await startTestBff(behindProxy);
    const { attributes } = await signInResponse(bff.url, await bff.server.signinLink(), {
      'x-forwarded-proto': 'https',
    });
    expect(attributes).toMatchObject({ secure: true, httponly: true, samesite: 'Lax', path: '/' });
  });

  it('is cleared on sign-out, with the same path, and the session ends', async () => {
    const bff = await startTestBff();
    const signout = await fetch(`${bff.url}/auth/signout`, {
      method: 'POST',
      headers: { cookie: bff.cookie, origin: bff.url },
      redirect: 'manual',
    });
    expect(signout.status).toBe(303);
    const { pair, attributes } = parseSetCookie(signout.headers.get('set-cookie'));
    expect(pair).toBe('rc_session=');
    expect(attributes).toMatchObject({ path: '/', expires: 'Thu, 01 Jan 1970 00:00:00 GMT' });
    expect((await bff.api('/api/runtimes')).status).toBe(401);
  });
});
