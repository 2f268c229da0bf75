import { randomBytes } from 'node:crypto';
import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  GITHUB_TOKEN_HEADER,
  GitHubRepoQuerySchema,
  GitHubTokenSchema,
  RepoSchema,
  type GitHubBranchPage,
  type GitHubTokenMessage,
  type GitHubIssuePage,
  type GitHubRepoPage,
  type GitHubUser,
} from '@remote-chat/protocol';
import { z } from 'zod';
import type { Auth, Caller } from '../auth.js';
import { RemoteChatError } from '../errors.js';
import type { GitHubApi } from './github-api.js';
import { GITHUB_OAUTH_COOKIE, OAUTH_MAX_AGE_SECONDS, type GitHubOAuth, popupPage } from './github-oauth.js';

type Handler = (req: Request, res: Response, caller: Caller) => Promise<void>;

export interface GitHubRoutesDeps {
  auth: Auth;
  api: GitHubApi;
  oauth: GitHubOAuth;
  allowedOrigins: readonly string[];
  /** The routes' wrapper that authenticates the caller (routes.ts). */
  authed: (handler: Handler) => express.RequestHandler;
}

/**
 * The sign-in popup's pages (start, callback) open no browsing-context-group switch: the popup
 * passes through GitHub and must still have `window.opener` (the portal, or a page on another
 * site) when the callback posts the token to it.
 */
const POPUP_OPENER_POLICY = 'unsafe-none';

const PageQuerySchema = z.object({ page: z.coerce.number().int().min(1).max(1000).default(1) });
const OwnerRepoSchema = z
  .object({ owner: z.string(), repo: z.string() })
  .transform(({ owner, repo }) => `${owner}/${repo}`);

/** The caller's GitHub token from `X-GitHub-Token`, or github_unauthorized. */
function tokenOf(req: Request): string {
  const parsed = GitHubTokenSchema.safeParse(req.headers[GITHUB_TOKEN_HEADER]);
  if (!parsed.success)
    throw new RemoteChatError(
      'github_unauthorized',
      `Sign in to GitHub first (send the token in ${GITHUB_TOKEN_HEADER}).`,
    );
  return parsed.data;
}

function repoOf(req: Request): string {
  const parsed = RepoSchema.safeParse(OwnerRepoSchema.parse(req.params));
  if (!parsed.success) throw new RemoteChatError('bad_request', 'A repository is "owner/name".');
  return parsed.data;
}

function query<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RemoteChatError('bad_request', `Invalid query: ${parsed.error.issues[0]?.message}.`);
  return parsed.data;
}

/** This BFF's own origin, as the browser sees it (behind a trusted proxy, its forwarded scheme and host). */
function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * `/github/…` under the mount path: the OAuth popup flow (start and callback) and GitHub's
 * repositories, branches and issues through octokit, with the token of each request.
 */
export function createGitHubRoutes(deps: GitHubRoutesDeps): express.Router {
  const { auth, api, oauth, authed } = deps;
  const router = express.Router();
  const callbackUrl = (req: Request) => `${ownOrigin(req)}${req.baseUrl}/oauth/callback`;
  const cookiePath = (req: Request) => `${req.baseUrl}/oauth`;

  router.get('/oauth/start', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const origin = typeof req.query.origin === 'string' ? req.query.origin : '';
      let normalized = '';
      try {
        normalized = new URL(origin).origin;
      } catch {
        // Refused below.
      }
      if (normalized !== ownOrigin(req) && !deps.allowedOrigins.includes(normalized))
        throw new RemoteChatError('forbidden', 'origin must be this server or one of its allowed origins.');
      // A page on another site has no session here: it passes a stream ticket its client token
      // bought (`POST /api/stream-tickets`), issued to that page's origin, which must be ORIGIN.
      const ticket = typeof req.query.ticket === 'string' ? req.query.ticket : undefined;
      let userId: string | undefined;
      if (ticket) userId = (await auth.redeemStreamTicket(ticket, normalized))?.user.id;
      else {
        const caller = await auth.authenticate({ cookie: req.headers.cookie });
        if (caller?.via === 'session') userId = caller.user.id;
      }
      if (!userId) throw new RemoteChatError('unauthorized', 'Sign in to Remote Chat first; then connect GitHub.');
      const { location, cookie } = oauth.start(userId, ticket ? 'ticket' : 'session', normalized, callbackUrl(req));
      res.setHeader(
        'Set-Cookie',
        serializeCookie(GITHUB_OAUTH_COOKIE, cookie, {
          httpOnly: true,
          sameSite: 'lax',
          secure: req.secure,
          path: cookiePath(req),
          maxAge: OAUTH_MAX_AGE_SECONDS,
        }),
      );
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Cross-Origin-Opener-Policy', POPUP_OPENER_POLICY);
      res.redirect(302, location);
    } catch (error) {
      next(error);
    }
  });

  router.get('/oauth/callback', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const caller = await auth.authenticate({ cookie: req.headers.cookie });
      const cookies = parseCookie(req.headers.cookie ?? '');
      const pending = oauth.pending(
        cookies[GITHUB_OAUTH_COOKIE],
        caller?.via === 'session' ? caller.user.id : undefined,
      );
      // Used once, whatever happens next.
      res.setHeader(
        'Set-Cookie',
        serializeCookie(GITHUB_OAUTH_COOKIE, '', { httpOnly: true, sameSite: 'lax', path: cookiePath(req), maxAge: 0 }),
      );
      const nonce = randomBytes(16).toString('base64');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('Cross-Origin-Opener-Policy', POPUP_OPENER_POLICY);
      res.setHeader('Content-Security-Policy', `default-src 'none'; script-src 'nonce-${nonce}'; base-uri 'none'`);
      res.type('html');
      if (!pending) {
        // No origin to trust: the page posts nothing.
        const text = 'This GitHub sign-in expired or was not started here. Close this window and try again.';
        res.status(400).send(popupPage(null, 'null', nonce, text));
        return;
      }
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      const code = typeof req.query.code === 'string' ? req.query.code : '';
      const fail = (message: string) =>
        res.status(400).send(popupPage({ type: 'rc-github-error', message }, pending.origin, nonce));
      if (typeof req.query.error === 'string') return void fail('GitHub sign-in was cancelled or refused.');
      if (!state || state !== pending.state)
        return void fail('GitHub sign-in failed: the state did not match. Try again.');
      if (!code || code.length > 200) return void fail('GitHub sign-in failed: GitHub sent no code.');
      let message: GitHubTokenMessage;
      try {
        message = await oauth.exchange(code, pending.verifier, callbackUrl(req));
      } catch {
        return void fail('GitHub refused the sign-in code (it may have expired). Try again.');
      }
      res.send(popupPage(message, pending.origin, nonce));
    } catch (error) {
      next(error);
    }
  });

  router.get(
    '/user',
    authed(async (req, res) => {
      res.json((await api.user(tokenOf(req))) satisfies GitHubUser);
    }),
  );

  router.get(
    '/repos',
    authed(async (req, res) => {
      const { q, page } = query(GitHubRepoQuerySchema, req.query);
      res.json((await api.repos(tokenOf(req), q, page)) satisfies GitHubRepoPage);
    }),
  );

  router.get(
    '/repos/:owner/:repo/branches',
    authed(async (req, res) => {
      const { page } = query(PageQuerySchema, req.query);
      res.json((await api.branches(tokenOf(req), repoOf(req), page)) satisfies GitHubBranchPage);
    }),
  );

  router.get(
    '/repos/:owner/:repo/issues',
    authed(async (req, res) => {
      const { q, page } = query(GitHubRepoQuerySchema, req.query);
      res.json((await api.issues(tokenOf(req), repoOf(req), q, page)) satisfies GitHubIssuePage);
    }),
  );

  return router;
}
