/** Where a BFF's runtime link is, relative to its base URL. */
export const LINK_PATH = '/api/link';

/**
 * Parses the BFF's address as a person gives it: `http(s)://` (or `ws(s)://`), optionally with a
 * path prefix when the BFF is mounted below the root. Throws a plain Error that says what is wrong.
 */
export function parseBffUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`"${redactUrlText(text)}" is not a URL; expected something like https://chat.example.com`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new Error(`the BFF URL must start with https:// or http://, not ${url.protocol}//`);
  }
  if (url.username || url.password) {
    throw new Error(
      'the BFF URL must not contain a user name or password; pass the API token with --token or REMOTE_CHAT_TOKEN',
    );
  }
  return url;
}

/**
 * The link endpoint of a BFF: http→ws, https→wss, the path prefix kept, `/api/link` appended.
 * `https://example.com/chat/` → `wss://example.com/chat/api/link`.
 */
export function linkUrlFor(bff: URL): string {
  const url = new URL(bff.href);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.pathname = `${trimSlashes(url.pathname)}${LINK_PATH}`;
  url.search = '';
  url.hash = '';
  return url.href;
}

/**
 * The BFF as a key and for display: its origin plus any path prefix, no query, no trailing slash.
 * A folder keeps one runtime id per key, so the same folder registered with two BFFs gets two ids.
 */
export function bffKey(bff: URL): string {
  return `${bff.origin}${trimSlashes(bff.pathname)}`;
}

function trimSlashes(pathname: string): string {
  return pathname.replace(/\/+$/, '');
}

/** Something that failed to parse as a URL, safe to print: it might be a token pasted in the wrong place. */
function redactUrlText(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 12 ? `${trimmed.slice(0, 6)}…` : trimmed;
}
