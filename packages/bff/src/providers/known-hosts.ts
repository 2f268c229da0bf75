import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a known_hosts file says of a host's key: `match` (pinned), `changed` (the host is listed
 * with other keys only), `unknown` (the host is not listed) or `revoked` (an `@revoked` line).
 */
export type HostKeyVerdict = 'match' | 'changed' | 'unknown' | 'revoked';

/** The name a host is listed under: `host` on port 22, `[host]:port` otherwise (as OpenSSH writes it). */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** A key's fingerprint as OpenSSH prints it: `SHA256:` and unpadded base64. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Checks a host key (the key blob the server sent) against a known_hosts file's text (OpenSSH's
 * format: plain, wildcard, negated and hashed `|1|salt|hash` host names; `@revoked` lines;
 * `@cert-authority` lines are not used, since host certificates are not checked).
 */
export function checkHostKey(knownHosts: string, host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  let listed = false;
  let matched = false;
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    const [names, , blob] = fields;
    if (!names || !blob || marker === '@cert-authority') continue;
    if (!namesMatch(names, name)) continue;
    const same = sameKey(blob, key);
    if (marker === '@revoked') {
      if (same) return 'revoked';
      continue;
    }
    if (marker !== undefined) continue;
    listed = true;
    if (same) matched = true;
  }
  return matched ? 'match' : listed ? 'changed' : 'unknown';
}

function sameKey(base64: string, key: Buffer): boolean {
  const listed = Buffer.from(base64, 'base64');
  return listed.length === key.length && timingSafeEqual(listed, key);
}

/** Whether a line's comma-separated host patterns take `name` (a negated pattern that matches refuses it). */
function namesMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatch(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** OpenSSH's patterns: `*` any run of characters, `?` one; case-insensitive, as host names are. */
function globMatch(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}
