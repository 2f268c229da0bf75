import type { IncomingMessage } from 'node:http';

/**
 * Whether a request's `Origin` may act with the caller's cookie: the BFF's own origin (same host
 * as the request) or one on the allow-list. Requests without an `Origin` come from non-browser
 * clients, which cannot be made to carry a victim's cookie.
 */
export function isAllowedOrigin(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
