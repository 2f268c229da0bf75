#!/usr/bin/env node
// "Acme Notes": a stand-in for any site that embeds Remote Chat for its own users, built the way
// a real integrator would. It has its own origin, its own (fake) sign-in, and its own backend,
// which holds a Remote Chat API token and trades it, server-side, for short-lived client tokens
// for whoever is signed in here. The page loads `remote-chat.js` from the BFF and gives the
// element a token provider that asks this backend; no secret of the BFF ever reaches the browser.
//
//   REMOTE_CHAT_URL=http://127.0.0.1:8787 REMOTE_CHAT_API_TOKEN=rc_… node demo/third-party/host-server.mjs
//
// and start the BFF with `--allowed-origins http://localhost:8788` (this site's origin).
//
// Environment:
//   REMOTE_CHAT_URL        the BFF's origin (required)
//   REMOTE_CHAT_API_TOKEN  an API token from the portal's Account page (required)
//   PORT                   port to listen on (default 8788; 0 picks a free one)
//   HOST                   address to bind (default 127.0.0.1)
//   SITE_ORIGIN            this site's origin as browsers see it (default http://localhost:PORT);
//                          the client tokens are bound to it, and the BFF must allow it
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import express from 'express';

const PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));
const SESSION_COOKIE = 'acme_session';
/** How long a client token lives; the element refreshes it through /session/chat-token before then. */
const CHAT_TOKEN_TTL_SECONDS = 600;

/** This site's users. A real site has a database and real sign-in; the chat only needs an id and a name. */
export const USERS = [
  { id: 'alice', name: 'Alice Archer' },
  { id: 'bob', name: 'Bob Baker' },
];

/**
 * The host site: its pages, its sign-in, and the route that gets a chat token for its user.
 * @param {{ chatUrl: string, apiToken: string, siteOrigin: string }} options
 */
export function createHostApp({ chatUrl, apiToken, siteOrigin }) {
  const chatOrigin = new URL(chatUrl).origin;
  /** Session id → user id. In memory: restarting the site signs everyone out. */
  const sessions = new Map();
  const app = express();
  app.disable('x-powered-by');

  // No inline script or style of any kind: the page's code and the chat's come from files.
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${chatOrigin}`,
    `connect-src 'self' ${chatOrigin} ${chatOrigin.replace(/^http/, 'ws')}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  app.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Not `no-referrer`: that would make the browser send `Origin: null` with the sign-in form.
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });

  /** The signed-in user of a request, or undefined. */
  const userOf = (req) => {
    const id = sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
    return USERS.find((u) => u.id === id);
  };

  // Writes must come from this site's own pages (a cross-site form or fetch carries another Origin).
  const sameOrigin = (req, res, next) => {
    if (req.headers.origin === siteOrigin) return next();
    res.status(403).json({ error: { message: 'Cross-site request refused.' } });
  };

  app.get('/', (req, res) => {
    const user = userOf(req);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(user ? chatPage(user, chatUrl) : signInPage());
  });

  app.post('/session/login', sameOrigin, express.urlencoded({ extended: false, limit: '1kb' }), (req, res) => {
    const user = USERS.find((u) => u.id === req.body?.user);
    if (!user) {
      res.status(400).type('html').send(signInPage('Pick a user to sign in as.'));
      return;
    }
    const session = randomBytes(24).toString('base64url');
    sessions.set(session, user.id);
    res.cookie(SESSION_COOKIE, session, { httpOnly: true, sameSite: 'lax', path: '/' });
    res.redirect(303, '/');
  });

  app.post('/session/logout', sameOrigin, (req, res) => {
    sessions.delete(readCookie(req.headers.cookie, SESSION_COOKIE));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/');
  });

  /**
   * A route that asks the chat server for something on behalf of the signed-in user, with the API
   * token that never leaves this server, and answers with what `answer` picks from the reply.
   */
  const onBehalfOfUser = (path, requestFor, answer) => async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const user = userOf(req);
    if (!user) {
      res.status(401).json({ error: { message: 'You are signed out of Acme Notes. Sign in again.' } });
      return;
    }
    try {
      const response = await fetch(`${chatUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(requestFor(user)),
      });
      const body = await response.json().catch(() => undefined);
      if (!response.ok) {
        const reason =
          response.status === 401
            ? "this site's API token was not accepted (revoked or expired?)"
            : (body?.error?.message ?? `it answered ${response.status}`);
        console.error(`acme: the chat server refused ${path} for ${user.id}: ${reason}`);
        res.status(502).json({ error: { message: `The chat server refused: ${reason}` } });
        return;
      }
      res.json(answer(body));
    } catch (error) {
      console.error(`acme: could not reach the chat server: ${error instanceof Error ? error.message : String(error)}`);
      res.status(502).json({ error: { message: 'Could not reach the chat server.' } });
    }
  };

  // The one route the chat needs from a host backend: a client token for the signed-in user,
  // minted by the BFF for this user and this site's origin. The element refreshes it shortly
  // before `expiresAt`.
  app.post(
    '/session/chat-token',
    sameOrigin,
    onBehalfOfUser(
      '/api/client-tokens',
      (user) => ({ userId: user.id, name: user.name, origin: siteOrigin, ttlSeconds: CHAT_TOKEN_TTL_SECONDS }),
      (body) => ({ token: body.token, expiresAt: body.expiresAt }),
    ),
  );

  // For users who want the agent on their own computer: a machine token for them alone, which
  // `remote-chat-runtime connect` uses to register their folders. It opens runtime links only.
  app.post(
    '/session/machine-token',
    sameOrigin,
    onBehalfOfUser(
      '/api/machine-tokens',
      (user) => ({ userId: user.id, userName: user.name, name: `${user.name}'s computer`, expiresInDays: 90 }),
      (body) => ({ token: body.token, chatUrl }),
    ),
  );

  app.use(express.static(PUBLIC_DIR, { index: false }));
  return app;
}

/**
 * Starts the host site; resolves once it listens.
 * @param {{ chatUrl: string, apiToken: string, port?: number, host?: string, siteOrigin?: string }} options
 */
export async function startHostServer({ chatUrl, apiToken, port = 8788, host = '127.0.0.1', siteOrigin }) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const origin = siteOrigin ?? `http://localhost:${actualPort}`;
  server.on('request', createHostApp({ chatUrl: chatUrl.replace(/\/+$/, ''), apiToken, siteOrigin: origin }));
  return {
    url: origin,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      }),
  };
}

function signInPage(problem = '') {
  const options = USERS.map(
    (u, i) =>
      `<label class="choice"><input type="radio" name="user" value="${escapeHtml(u.id)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(u.name)}</label>`,
  ).join('\n          ');
  return page(
    'Sign in',
    `<main class="sign-in">
      <h1>Acme Notes</h1>
      <p>This is a pretend site with its own users. Sign in as one of them; the chat on the next page belongs to that user alone.</p>
      ${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>` : ''}
      <form method="post" action="/session/login">
        <fieldset>
          <legend>Sign in as</legend>
          ${options}
        </fieldset>
        <button type="submit">Sign in</button>
      </form>
    </main>`,
  );
}

function chatPage(user, chatUrl) {
  return page(
    'Notes',
    `<header class="site-header">
      <strong class="site-name">Acme Notes</strong>
      <span class="who">Signed in as <strong>${escapeHtml(user.name)}</strong></span>
      <form method="post" action="/session/logout"><button type="submit">Sign out</button></form>
    </header>
    <main class="with-chat">
      <remote-chat bff-url="${escapeHtml(chatUrl)}"></remote-chat>
      <details class="own-computer">
        <summary>Use your own computer</summary>
        <p>Run the agent on your computer, in your project folders. You need Node 20 or newer.</p>
        <button type="button" id="machine-token" disabled>Create a connection command</button>
        <pre id="machine-command" hidden></pre>
        <p id="machine-problem" class="problem" role="alert" hidden></p>
      </details>
    </main>`,
    // One script and one tag embed the chat; /app.js hands it a token provider.
    [`${chatUrl}/remote-chat.js`, '/app.js'],
  );
}

function page(title, body, scripts = []) {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>${escapeHtml(title)} · Acme Notes</title>
    <link rel="icon" href="/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="/site.css">
    ${scripts.map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`).join('\n    ')}
  </head>
  <body>
    ${body}
  </body>
</html>
`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readCookie(header, name) {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

async function main() {
  const chatUrl = process.env.REMOTE_CHAT_URL;
  const apiToken = process.env.REMOTE_CHAT_API_TOKEN;
  if (!chatUrl || !apiToken) {
    console.error(
      'acme: set REMOTE_CHAT_URL (the BFF) and REMOTE_CHAT_API_TOKEN (an API token from its Account page).',
    );
    process.exit(2);
  }
  const port = process.env.PORT === undefined ? 8788 : Number(process.env.PORT);
  const running = await startHostServer({
    chatUrl,
    apiToken,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    ...(process.env.SITE_ORIGIN && { siteOrigin: process.env.SITE_ORIGIN }),
  });
  console.log(`Acme Notes (the host site) is running at ${running.url}`);
  console.log(`Start the BFF with --allowed-origins ${running.url} so that its pages may use the chat.`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`acme: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
