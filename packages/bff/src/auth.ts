import { parse as parseCookie } from 'cookie';
import type { User } from '@remote-chat/protocol';
import { hashToken, randomToken } from './secrets.js';
import type { Store } from './store/store.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'rc_session';
const SESSION_DAYS = 30;
const SIGNIN_MINUTES = 60;

/** Who is calling, as far as the BFF can tell from a request's headers. */
export interface Caller {
  user: User;
  /** How the caller proved it; cookie sessions need an Origin check on writes. */
  via: 'session';
}

/**
 * Sign-in and sessions. The owner signs in with a one-time link printed at start; opening it
 * trades the link's token for a session cookie. Only hashes of tokens are stored.
 */
export class Auth {
  constructor(private readonly store: Store) {}

  /** Makes a fresh one-time sign-in token for the owner. */
  async createOwnerSignin(ownerName = 'Owner'): Promise<string> {
    const owner = await this.store.ensureOwner(ownerName);
    const token = randomToken();
    await this.store.createSignin(hashToken(token), owner.id, new Date(Date.now() + SIGNIN_MINUTES * 60_000));
    return token;
  }

  /** Trades a sign-in token for a session; null if it is unknown, used or expired. */
  async signIn(token: string): Promise<{ session: string; maxAgeSeconds: number } | null> {
    const userId = await this.store.consumeSignin(hashToken(token), new Date());
    if (!userId) return null;
    const session = randomToken();
    const maxAgeSeconds = SESSION_DAYS * 24 * 3600;
    await this.store.createSession(hashToken(session), userId, new Date(Date.now() + maxAgeSeconds * 1000));
    return { session, maxAgeSeconds };
  }

  async signOut(cookieHeader: string | undefined): Promise<void> {
    const session = this.sessionToken(cookieHeader);
    if (session) await this.store.deleteSession(hashToken(session));
  }

  /** The caller of a request, or null. */
  async authenticate(headers: { cookie?: string | undefined }): Promise<Caller | null> {
    const session = this.sessionToken(headers.cookie);
    if (!session) return null;
    const user = await this.store.getSessionUser(hashToken(session), new Date());
    return user ? { user, via: 'session' } : null;
  }

  private sessionToken(cookieHeader: string | undefined): string | undefined {
    if (!cookieHeader) return undefined;
    const value = parseCookie(cookieHeader)[SESSION_COOKIE];
    return value && value.length <= 256 ? value : undefined;
  }
}
