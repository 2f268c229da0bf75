import { createHash, createHmac, randomBytes } from 'node:crypto';
import { request as octokitRequest } from '@octokit/request';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import type { GitHubTokenMessage } from '@remote-chat/protocol';
import { safeEqual } from '../secrets.js';
import type { GitHubConfig } from './github-config.js';

/** The cookie that carries a sign-in's state, PKCE verifier and opener origin between start and callback. */
export const GITHUB_OAUTH_COOKIE = 'rc_github_oauth';
/** How long a sign-in may take, from start to callback. */
export const OAUTH_MAX_AGE_SECONDS = 600;
/** What Remote Chat asks GitHub for: private repositories (clone, push) and organisation membership. */
export const GITHUB_SCOPES = ['repo', 'read:org'];

/** What the cookie holds (signed, HttpOnly): a pending sign-in of one user. */
interface PendingSignIn {
  state: string;
  verifier: string;
  origin: string;
  userId: string;
  /**
   * How the start proved the user: the session cookie (the callback must come with the same
   * user's session), or a one-time ticket a host page's client token bought (a page on another
   * site has no session here; the flow is then bound to this browser by the cookie alone).
   */
  via: 'session' | 'ticket';
  /** Epoch ms after which it is refused. */
  exp: number;
}

/** The OAuth web flow with `state` and PKCE (S256), exchanged through octokit's OAuth methods. */
export class GitHubOAuth {
  constructor(
    private readonly config: GitHubConfig,
    /** The HMAC key the cookie is signed with (derived from the server secret). */
    private readonly key: string,
  ) {}

  /** Starts a sign-in: where to send the browser, and the cookie value that remembers it. */
  start(
    userId: string,
    via: PendingSignIn['via'],
    origin: string,
    redirectUrl: string,
  ): { location: string; cookie: string } {
    const pending: PendingSignIn = {
      state: randomBytes(24).toString('base64url'),
      verifier: randomBytes(48).toString('base64url'),
      origin,
      userId,
      via,
      exp: Date.now() + OAUTH_MAX_AGE_SECONDS * 1000,
    };
    const { url } = getWebFlowAuthorizationUrl({
      clientType: 'oauth-app',
      clientId: this.config.clientId,
      request: this.#request(),
      redirectUrl,
      scopes: GITHUB_SCOPES,
      state: pending.state,
      allowSignup: false,
    });
    const location = new URL(url);
    location.searchParams.set('code_challenge', createHash('sha256').update(pending.verifier).digest('base64url'));
    location.searchParams.set('code_challenge_method', 'S256');
    const payload = Buffer.from(JSON.stringify(pending)).toString('base64url');
    return { location: location.href, cookie: `${payload}.${this.#sign(payload)}` };
  }

  /**
   * The pending sign-in a callback belongs to: its cookie's signature and age must hold, and a
   * sign-in started with a session must come back with that user's session. Null for anything
   * else (a forged or stale cookie, another user). The caller checks the `state`.
   */
  pending(cookie: string | undefined, userId: string | undefined): PendingSignIn | null {
    const [payload, signature, ...rest] = (cookie ?? '').split('.');
    if (!payload || !signature || rest.length > 0 || !safeEqual(signature, this.#sign(payload))) return null;
    try {
      const pending = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PendingSignIn;
      if (!(pending.exp > Date.now())) return null;
      if (pending.via !== 'ticket' && pending.userId !== userId) return null;
      return pending;
    } catch {
      return null;
    }
  }

  /** Trades the code for a token (the PKCE verifier sent with it). Throws octokit's error on refusal. */
  async exchange(code: string, verifier: string, redirectUrl: string): Promise<GitHubTokenMessage> {
    // `exchangeWebFlowCode` sends the parameters it knows; the request's defaults add the PKCE
    // verifier. Its OAuth host is derived from the request's base URL, so that is the web host.
    const request = this.#request().defaults({ code_verifier: verifier });
    const { data, authentication } = await exchangeWebFlowCode({
      clientType: 'oauth-app',
      clientId: this.config.clientId,
      clientSecret: this.config.clientSecret,
      code,
      redirectUrl,
      request,
    });
    // A GitHub App's user-to-server token expires (`expires_in`); an OAuth app's does not.
    const expiresIn = (data as { expires_in?: unknown }).expires_in;
    return {
      type: 'rc-github-token',
      token: authentication.token,
      expiresAt: typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000).toISOString() : null,
    };
  }

  /** octokit's request on the web host: its OAuth methods derive their host from the base URL. */
  #request() {
    return octokitRequest.defaults({ baseUrl: this.config.webUrl, headers: { 'user-agent': 'remote-chat' } });
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/**
 * The callback's page: posts `message` to the opener at `origin` only, then closes. Its one
 * script runs by nonce (CSP), and the JSON is escaped so nothing in it can end the script.
 */
export function popupPage(
  message: unknown,
  origin: string,
  nonce: string,
  text = 'Finishing GitHub sign-in… you can close this window.',
): string {
  const safe = (value: unknown) =>
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/\u2028|\u2029/g, '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GitHub sign-in</title></head>
<body><p id="status">${text}</p>
<script nonce="${nonce}">
(function () {
  var message = ${safe(message)};
  if (message && window.opener) window.opener.postMessage(message, ${safe(origin)});
  window.close();
})();
</script></body></html>`;
}
