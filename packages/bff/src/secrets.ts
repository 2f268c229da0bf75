import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './gateway/gateway-config.js';

/** A random URL-safe token with 256 bits of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A random id with a readable prefix, such as `rt_…` for a runtime. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** SHA-256 of a token, hex: what the store keeps instead of the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares two secrets in constant time (lengths may differ). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** What `REMOTE_CHAT_SECRET` must look like: base64url of at least 32 bytes (as the data directory's `secret` file). */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43,}$/;

/**
 * The BFF's own secret: `REMOTE_CHAT_SECRET` when given (the same on every instance of a cluster),
 * else made once and kept in the data directory (mode 0600). Credentials that the BFF must present
 * again after a restart, such as a runtime's link token, are derived from it rather than stored,
 * so a copy of the database alone does not reveal them.
 */
export class ServerSecret {
  private constructor(private readonly key: Buffer) {}

  /** The secret from `value` (base64url, ≥ 32 bytes), or from the data directory without one. */
  static load(dataDir: string, value?: string): ServerSecret {
    if (value !== undefined) {
      const trimmed = value.trim();
      if (!SECRET_PATTERN.test(trimmed))
        throw new ConfigError(
          "REMOTE_CHAT_SECRET must be at least 32 random bytes in base64url (43 or more of A-Z a-z 0-9 _ -), e.g. the data directory's secret file",
        );
      return new ServerSecret(Buffer.from(trimmed, 'base64url'));
    }
    const file = join(dataDir, 'secret');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    }
    chmodSync(file, 0o600);
    return new ServerSecret(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url'));
  }

  /** A stable secret for one purpose and subject, e.g. `derive('runtime', id)`. */
  derive(purpose: string, subject: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\0${subject}`).digest('base64url');
  }
}
