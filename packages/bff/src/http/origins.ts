import type { IncomingMessage } from 'node:http';

/** The `host` of an `Origin` header, or null when it is no URL (`http://[`, a port over 65535). */
function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** Whether an `Origin` header names the BFF's own origin: the host the request was sent to. */
export function isSameOrigin(req: IncomingMessage, origin: string): boolean {
  const host = originHost(origin);
  return host !== null && host !== '' && host === req.headers.host;
}

/**
 * Whether a request's `Origin` may act with the caller's cookie: the BFF's own origin (same host
 * as the request) or one on the allow-list. Requests without an `Origin` come from non-browser
 * clients, which cannot be made to carry a victim's cookie.
 */
export function isAllowedOrigin(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return allowed.includes(origin) || isSameOrigin(req, origin);
}
