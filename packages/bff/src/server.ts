import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import express, { type RequestHandler } from 'express';
import { SESSION_COOKIE } from './auth.js';
import { defaultElementsFile, defaultPortalDir, defaultRuntimeFile } from './built-files.js';
import { RemoteChatError } from './errors.js';
import { safeEqual } from './secrets.js';
import { errorHandler } from './http/error-handler.js';
import { isSameOrigin } from './http/origins.js';
import { rateLimit } from './http/rate-limit.js';
import { usedSigninLinkPage } from './http/signin-page.js';
import { RateLimiter } from './rate-limiter.js';
import { createRemoteChat, type RemoteChat, type RemoteChatOptions } from './remote-chat.js';

export interface ServerOptions extends RemoteChatOptions {
  /** @default 8787 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /**
   * The built portal to serve at `/`.
   * @default the `dist` folder of the `@remote-chat/demo` workspace, found through node_modules
   */
  portalDir?: string;
  /**
   * The embeddable elements, served at `/remote-chat.js` (and its `.map`, beside it) to any origin.
   * @default `remote-chat.js` of the installed `@remote-chat/elements`
   */
  elementsFile?: string;
  /**
   * The reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed: Express's
   * `trust proxy` addresses, comma-separated (`loopback`, `10.0.0.0/8`, `127.0.0.1, ::1`). Set it
   * only when the BFF runs behind one: otherwise any client (a local command included) picks its
   * own address for the rate limits. @default none: the headers are ignored
   */
  trustProxy?: string;
  /** The URL browsers and machines use (a load balancer's in a cluster), for printed links. @default `url` */
  publicUrl?: string;
  /**
   * A bearer token `GET /metrics` asks for, from any address. @default none: `/metrics` answers
   * loopback peers only
   */
  metricsToken?: string;
}

export interface RunningServer {
  chat: RemoteChat;
  server: Server;
  /** `http://host:port`, as a browser on this machine reaches it. */
  url: string;
  /** `publicUrl` when given, else `url`. */
  publicUrl: string;
  /** Makes a fresh one-time sign-in link for the owner. */
  signinLink(): Promise<string>;
  /**
   * Stops accepting connections and drains (`RemoteChat.drain`): `/readyz` fails, links and
   * streams close with 4504 so they reconnect to another instance. `close` after it.
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** Headers for every response of the standalone server: a strict CSP and no sniffing or framing. */
const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  // Not `same-origin`: that would cut the GitHub sign-in popup off from the portal (it passes
  // through github.com), so the popup could never post its token back.
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin-allow-popups');
  next();
};

/**
 * Runs the BFF standalone: the API under `/api`, the stream, the owner's sign-in route and the
 * portal. Resolves once listening and once runtimes from the last run are being re-attached.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const chat = await createRemoteChat(options);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy || false);
  app.use(securityHeaders);
  // For the load balancer and the orchestrator: up (no store call), and taking work.
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', async (_req, res) => {
    const why = await chat.unready();
    res
      .status(why ? 503 : 200)
      .type('text/plain')
      .send(why ? `not ready: ${why}\n` : 'ready\n');
  });
  app.get('/metrics', async (req, res, next) => {
    try {
      const header = req.headers.authorization ?? '';
      const allowed = options.metricsToken
        ? header.startsWith('Bearer ') && safeEqual(header.slice('Bearer '.length).trim(), options.metricsToken)
        : isLoopback(req.socket.remoteAddress);
      if (!allowed) {
        res.status(404).type('text/plain').send('Not Found\n');
        return;
      }
      res.type(chat.metrics.registry.contentType).send(await chat.metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });
  app.use(accessLog(chat.logger));
  app.use('/api', chat.router);

  // Sign-in links are long random tokens; the limit stops anyone trying their luck at scale.
  app.get('/auth/signin', rateLimit(new RateLimiter({ burst: 10, perMinute: 10 })), async (req, res, next) => {
    try {
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      const session = token ? await chat.auth.signIn(token) : null;
      if (!session) {
        res.status(400).type('html').send(usedSigninLinkPage());
        return;
      }
      res.cookie(SESSION_COOKIE, session.session, {
        httpOnly: true,
        sameSite: 'lax',
        secure: req.secure,
        path: '/',
        maxAge: session.maxAgeSeconds * 1000,
      });
      res.redirect(303, '/');
    } catch (error) {
      next(error);
    }
  });

  app.post('/auth/signout', async (req, res, next) => {
    try {
      // Only the portal signs out: a page elsewhere (another port of this host is the same site,
      // so the cookie rides along) must not be able to end the session.
      const origin = req.headers.origin;
      if (origin !== undefined && !isSameOrigin(req, origin))
        throw new RemoteChatError('forbidden', 'This origin may not sign you out.');
      await chat.auth.signOut(req.headers.cookie);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.redirect(303, '/');
    } catch (error) {
      next(error);
    }
  });

  // The embeddable elements, for `<script type="module" src=".../remote-chat.js">` on any site: a
  // module script from another origin needs CORS, and the file holds nothing private.
  // Routes match without regard to case or a trailing slash: each file is named here, never taken
  // from the path (and a default is looked up only when the file is asked for).
  const elementsFile = () => resolve(options.elementsFile ?? defaultElementsFile());
  for (const [path, file] of [
    ['/remote-chat.js', elementsFile],
    ['/remote-chat.js.map', () => `${elementsFile()}.map`],
  ] as const) {
    app.get(path, (_req, res, next) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      res.sendFile(file(), { maxAge: '5m' }, (error) => error && next(error));
    });
  }

  // The one-file runtime, so a machine with Node can fetch it and `connect` with nothing else.
  app.get('/remote-chat-runtime.js', (_req, res, next) => {
    res
      .type('text/javascript')
      .sendFile(resolve(options.runtimeFile ?? defaultRuntimeFile()), (error) => error && next(error));
  });

  // The parts of the elements loaded when first needed (GitHub sign-in, the repository selector,
  // the push dialog): `remote-chat-<part>.js` beside `remote-chat.js`, to any origin like it. The
  // name is checked (letters, digits, dashes; no path) and must be a file of that folder.
  app.get(/^\/(remote-chat-[a-z0-9-]{1,64}\.js(?:\.map)?)$/, (req, res, next) => {
    const name = (req.params as Record<string, string>)[0] ?? '';
    const file = join(dirname(elementsFile()), name);
    if (!existsSync(file)) {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.sendFile(file, { maxAge: '5m' }, (error) => error && next(error));
  });

  const portalDir = options.portalDir ?? defaultPortalDir();
  if (portalDir && existsSync(portalDir)) {
    app.use(express.static(portalDir, { index: 'index.html', maxAge: '1h', setHeaders: noCacheHtml }));
  } else {
    app.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send(
          portalDir
            ? `The portal is not built (${portalDir} is missing). Run \`npm run build\`.\n`
            : 'No portal is installed here; pass `portalDir` to serve one.\n',
        );
    });
  }

  app.use(errorHandler(chat.logger));

  const server = createServer(app);
  server.on('upgrade', (req, socket, head) => {
    // Whatever an upgrade request holds, it ends at most its own connection.
    try {
      if (!chat.handleUpgrade(req, socket, head)) socket.destroy();
    } catch (error) {
      chat.logger.error({ err: error }, 'upgrade failed');
      socket.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  await chat.resume();

  return {
    chat,
    server,
    url,
    publicUrl: options.publicUrl ?? url,
    async signinLink() {
      return `${options.publicUrl ?? url}/auth/signin?token=${await chat.auth.createOwnerSignin()}`;
    },
    async drain() {
      // No new connections; those open end as the instance drains.
      server.close();
      await chat.drain();
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await chat.close();
      await closed;
    },
  };
}

/**
 * One line per request: the path without its query (sign-in tokens and tickets travel there) and,
 * at debug level, the headers, whose credentials the logger redacts.
 */
function accessLog(logger: RemoteChat['logger']): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const line = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      };
      if (logger.isLevelEnabled('debug')) logger.debug({ ...line, req: { headers: req.headers } }, 'request');
      else if (res.statusCode >= 500) logger.warn(line, 'request failed');
    });
    next();
  };
}

function noCacheHtml(res: express.Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}

/** Whether a peer address is this machine's loopback (IPv4, IPv6 or IPv4-mapped). */
function isLoopback(address: string | undefined): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}
