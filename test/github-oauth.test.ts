import { ConfigError, loadGitHubConfig } from '@remote-chat/bff';
import { GitHubSignInErrorMessageSchema, GitHubTokenMessageSchema } from '@remote-chat/protocol';
import { expect, test } from 'vitest';
import { startGitHubWorld } from './support/github-world.js';

/** The message the callback page posts to its opener, and the origin it posts to. */
function postedMessage(html: string): { message: unknown; origin: string } {
  const message = /var message = (.*);\n/.exec(html)?.[1];
  const origin = /postMessage\(message, (.*)\);/.exec(html)?.[1];
  if (message === undefined || origin === undefined) throw new Error(`no message in ${html}`);
  return { message: JSON.parse(message), origin: JSON.parse(origin) };
}

/** The popup's first hop: the BFF's start route, with the owner's cookie. */
async function start(url: string, cookie: string, origin: string) {
  const response = await fetch(`${url}/api/github/oauth/start?origin=${encodeURIComponent(origin)}`, {
    headers: { cookie },
    redirect: 'manual',
  });
  const setCookie = response.headers.get('set-cookie') ?? '';
  return { response, location: response.headers.get('location') ?? '', flowCookie: setCookie.split(';')[0]! };
}

/** GitHub approves at once: where it sends the browser back to. */
async function approve(location: string): Promise<URL> {
  const response = await fetch(location, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

test('signs in with state and PKCE and posts the token to the opener’s origin only', async () => {
  const { github, bff } = await startGitHubWorld();
  const { response, location, flowCookie } = await start(bff.url, bff.cookie, bff.url);
  expect(response.status).toBe(302);
  expect(location.startsWith(`${github.url}/login/oauth/authorize?`)).toBe(true);
  expect(flowCookie.startsWith('rc_github_oauth=')).toBe(true);
  expect(response.headers.get('set-cookie')).toMatch(/HttpOnly/i);
  expect(response.headers.get('set-cookie')).toMatch(/SameSite=Lax/i);
  // The popup keeps its opener through GitHub (the portal itself allows its popups that).
  expect(response.headers.get('cross-origin-opener-policy')).toBe('unsafe-none');
  expect((await fetch(`${bff.url}/`)).headers.get('cross-origin-opener-policy')).toBe('same-origin-allow-popups');

  const callback = await approve(location);
  const asked = github.authorizeRequests.at(-1)!;
  expect(asked.redirectUri).toBe(`${bff.url}/api/github/oauth/callback`);
  expect(asked.scope?.split(/[ ,]/)).toEqual(['repo', 'read:org']);
  expect(asked.codeChallengeMethod).toBe('S256');
  expect(asked.codeChallenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(asked.state).toBe(callback.searchParams.get('state'));

  const page = await fetch(callback, { headers: { cookie: `${bff.cookie}; ${flowCookie}` } });
  expect(page.status).toBe(200);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('cross-origin-opener-policy')).toBe('unsafe-none');
  const csp = page.headers.get('content-security-policy') ?? '';
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();
  const html = await page.text();
  expect(html).toContain(`<script nonce="${nonce}">`);
  const { message, origin } = postedMessage(html);
  expect(origin).toBe(bff.url);
  const token = GitHubTokenMessageSchema.parse(message);
  expect(github.tokens).toContain(token.token);
  expect(token.expiresAt).toBeNull();
  // The flow's cookie is spent.
  expect(page.headers.get('set-cookie')).toMatch(/rc_github_oauth=;.*Max-Age=0/i);

  // The token works through the BFF.
  const user = await bff.api('/api/github/user', { headers: { 'x-github-token': token.token } });
  expect(await user.json()).toEqual({ login: 'octo', name: 'Octo Cat', avatarUrl: `${github.url}/avatars/octo` });
});

test('a GitHub App’s expiring user-to-server token is handed over with when it expires', async () => {
  const { github, bff } = await startGitHubWorld({ standin: { tokenExpiresIn: 28_800 } });
  const { location, flowCookie } = await start(bff.url, bff.cookie, bff.url);
  const callback = await approve(location);
  const before = Date.now();
  const page = await fetch(callback, { headers: { cookie: `${bff.cookie}; ${flowCookie}` } });
  expect(page.status).toBe(200);
  const html = await page.text();
  const token = GitHubTokenMessageSchema.parse(postedMessage(html).message);
  expect(github.tokens).toContain(token.token);
  const expiresAt = Date.parse(token.expiresAt ?? '');
  expect(expiresAt).toBeGreaterThanOrEqual(before + 28_800_000 - 1000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 28_800_000);
  // Only the access token reaches the browser, not the refresh token GitHub sent with it.
  expect(html).not.toContain('ghr_');
});

test('a callback whose state does not match gets an error message and no token', async () => {
  const { github, bff } = await startGitHubWorld();
  const { location, flowCookie } = await start(bff.url, bff.cookie, bff.url);
  const callback = await approve(location);
  callback.searchParams.set('state', 'forged-state');
  const issued = github.tokens.length;
  const page = await fetch(callback, { headers: { cookie: `${bff.cookie}; ${flowCookie}` } });
  expect(page.status).toBe(400);
  const { message, origin } = postedMessage(await page.text());
  expect(origin).toBe(bff.url);
  expect(GitHubSignInErrorMessageSchema.parse(message).message).toMatch(/state did not match/);
  expect(github.tokens.length).toBe(issued);
});

test('a code from another sign-in fails PKCE at GitHub and no token is handed out', async () => {
  const { github, bff } = await startGitHubWorld();
  const first = await start(bff.url, bff.cookie, bff.url);
  const second = await start(bff.url, bff.cookie, bff.url);
  const stolen = await approve(first.location);
  const own = await approve(second.location);
  // The second flow's state and cookie, with the first flow's code: its verifier does not match.
  own.searchParams.set('code', stolen.searchParams.get('code')!);
  const issued = github.tokens.length;
  const page = await fetch(own, { headers: { cookie: `${bff.cookie}; ${second.flowCookie}` } });
  expect(page.status).toBe(400);
  const { message } = postedMessage(await page.text());
  expect(GitHubSignInErrorMessageSchema.parse(message).message).toMatch(/refused the sign-in code/);
  expect(github.tokens.length).toBe(issued);
});

test('a callback without its cookie, or for someone not signed in, posts nothing', async () => {
  const { bff } = await startGitHubWorld();
  const { location, flowCookie } = await start(bff.url, bff.cookie, bff.url);
  const callback = await approve(location);
  const noCookie = await fetch(callback, { headers: { cookie: bff.cookie } });
  expect(noCookie.status).toBe(400);
  expect(await noCookie.text()).not.toContain('rc-github-token');
  const signedOut = await fetch(callback, { headers: { cookie: flowCookie } });
  expect(signedOut.status).toBe(400);
  expect(await signedOut.text()).not.toContain('rc-github-token');
});

test('sign-in starts only for a signed-in person and an allowed opener origin', async () => {
  const { bff } = await startGitHubWorld({ bff: { allowedOrigins: ['https://host.example'] } });
  expect((await start(bff.url, '', bff.url)).response.status).toBe(401);
  expect((await start(bff.url, bff.cookie, 'https://evil.example')).response.status).toBe(403);
  expect((await start(bff.url, bff.cookie, 'https://host.example')).response.status).toBe(302);
});

test('GET /api/config says whether GitHub is on and where', async () => {
  const { github, bff } = await startGitHubWorld();
  const config = (await (await bff.api('/api/config')).json()) as { github: unknown };
  expect(config.github).toEqual({ enabled: true, webUrl: github.url });
});

test('a page on another site signs in with a one-time ticket, and the token goes to that page’s origin only', async () => {
  const host = 'https://host.example';
  const { github, bff } = await startGitHubWorld({ bff: { allowedOrigins: [host] } });
  const ticketFor = async () => {
    const response = await bff.api('/api/stream-tickets', { method: 'POST', headers: { origin: host } });
    expect(response.status).toBe(201);
    return ((await response.json()) as { ticket: string }).ticket;
  };
  // A ticket issued to the host's pages cannot start a flow that posts elsewhere.
  const elsewhere = await fetch(
    `${bff.url}/api/github/oauth/start?origin=${encodeURIComponent(bff.url)}&ticket=${await ticketFor()}`,
    { redirect: 'manual' },
  );
  expect(elsewhere.status).toBe(401);

  const ticket = await ticketFor();
  const started = await fetch(`${bff.url}/api/github/oauth/start?origin=${encodeURIComponent(host)}&ticket=${ticket}`, {
    redirect: 'manual',
  });
  expect(started.status).toBe(302);
  const flowCookie = (started.headers.get('set-cookie') ?? '').split(';')[0]!;
  // The ticket is spent.
  const again = await fetch(`${bff.url}/api/github/oauth/start?origin=${encodeURIComponent(host)}&ticket=${ticket}`, {
    redirect: 'manual',
  });
  expect(again.status).toBe(401);

  const callback = await approve(started.headers.get('location')!);
  // No Remote Chat session in the popup: the flow's cookie is what binds it to this browser.
  const page = await fetch(callback, { headers: { cookie: flowCookie } });
  expect(page.status).toBe(200);
  const { message, origin } = postedMessage(await page.text());
  expect(origin).toBe(host);
  expect(github.tokens).toContain(GitHubTokenMessageSchema.parse(message).token);
});

test('reads the OAuth app and GitHub’s hosts from REMOTE_CHAT_GITHUB_*, with github.com’s defaults, and names a wrong one', () => {
  const app = { REMOTE_CHAT_GITHUB_CLIENT_ID: 'Ov23li-app', REMOTE_CHAT_GITHUB_CLIENT_SECRET: 'shh' };
  expect(loadGitHubConfig({})).toBeUndefined();
  expect(loadGitHubConfig(app)).toEqual({
    clientId: 'Ov23li-app',
    clientSecret: 'shh',
    webUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
    maxRepoMb: 1024,
  });
  expect(
    loadGitHubConfig({
      ...app,
      REMOTE_CHAT_GITHUB_URL: 'https://github.example.com/',
      REMOTE_CHAT_GITHUB_API_URL: 'https://github.example.com/api/v3',
    }),
  ).toMatchObject({ webUrl: 'https://github.example.com', apiUrl: 'https://github.example.com/api/v3' });
  const refusal = (env: Record<string, string>) => {
    try {
      loadGitHubConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('not refused');
  };
  expect(refusal({ REMOTE_CHAT_GITHUB_CLIENT_SECRET: 'shh' })).toMatch(/^REMOTE_CHAT_GITHUB_CLIENT_ID: /);
  expect(refusal({ ...app, REMOTE_CHAT_GITHUB_API_URL: 'ftp://github.example.com' })).toMatch(
    /^REMOTE_CHAT_GITHUB_API_URL: /,
  );
  expect(refusal({ ...app, REMOTE_CHAT_GITHUB_URL: 'github.example.com' })).toMatch(/^REMOTE_CHAT_GITHUB_URL: /);
});
