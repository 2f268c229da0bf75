import { createHmac } from 'node:crypto';
import { parse as parseCookie } from 'cookie';
import { z } from 'zod';
import type {
  ApiToken,
  CreateClientTokenRequest,
  CreateMachineTokenRequest,
  CreatedAgentToken,
  CreatedApiToken,
  User,
} from '@remote-chat/protocol';
import { CredentialWatch, type Grant } from './credential-watch.js';
import { RemoteChatError } from './errors.js';
import { hashToken, newId, randomToken, safeEqual, type ServerSecret } from './secrets.js';
import type { ApiTokenRecord, ApiTokenScope, AuthStore } from './store/store.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'rc_session';
const SESSION_DAYS = 30;
const SIGNIN_MINUTES = 60;
const TICKET_SECONDS = 30;
/** `last used` is written at most this often per token, not on every request. */
const TOUCH_EVERY_MS = 60_000;

/** Prefixes say what a bearer token is, so a leaked one is easy to recognise and to scan for. */
const API_TOKEN_PREFIX = 'rc_';
/** Thread tokens: a self-run agent's credential for one thread. */
const AGENT_TOKEN_PREFIX = 'rcat_';
const CLIENT_TOKEN_PREFIX = 'rcc_';

/** Who is calling, as far as the BFF can tell from a request. */
export interface Caller {
  user: User;
  /**
   * How the caller proved it. Cookie sessions need an Origin check on writes; client tokens are
   * bound to one page origin; API tokens are for servers and machines.
   */
  via: 'session' | 'api-token' | 'client-token';
  /** The API token used, or the one a client token was minted from. */
  apiTokenId?: string;
  /** An API token's scope: `machine` tokens open runtime links and nothing else. */
  scope?: ApiTokenScope;
  /** The credential itself, so that a connection it opened ends when it is revoked or expires. */
  grant: Grant;
}

/**
 * Whether the caller is the server's owner: only the owner signs in with a session, and only the
 * owner makes full API tokens (a host site's server holds one and acts as the owner). Client
 * tokens are for a host site's users, machine tokens for their machines.
 */
export function isOwner(caller: Caller): boolean {
  return caller.via === 'session' || (caller.via === 'api-token' && caller.scope === 'full');
}

/** What a request offers as proof. */
export interface Credentials {
  cookie?: string | undefined;
  authorization?: string | undefined;
  /** The `Origin` header, which a client token must match. */
  origin?: string | undefined;
}

const ClientClaimsSchema = z.object({
  /** The user. */
  sub: z.string(),
  /** The page origin the token is for. */
  aud: z.string(),
  /** The API token it was minted with: revoking that revokes this. */
  tid: z.string(),
  exp: z.number(),
});

/** Whether a stored API token works at `now`: neither revoked nor expired. */
function usable(record: ApiTokenRecord | null, now: Date): record is ApiTokenRecord {
  return (
    record !== null && record.revokedAt === null && (record.expiresAt === null || record.expiresAt > now.toISOString())
  );
}

/** A grant as a stream ticket keeps it (JSON in the store). */
const GrantSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('session'), sessionHash: z.string() }),
  z.object({ kind: z.literal('api-token'), tokenId: z.string(), expiresAt: z.number().optional() }),
]);

export interface AuthOptions {
  /** Where a failure to check open connections' credentials is reported. @default ignored */
  onWatchError?: (error: unknown) => void;
}

/**
 * Sign-in, sessions, API tokens, client tokens and stream tickets. Only hashes of tokens are
 * stored; client tokens are signed with a key derived from the server secret, and checked in
 * constant time.
 */
export class Auth {
  private readonly clientKey: string;
  /** Ends connections whose credential ended (`watchGrant`, or `add` a `GrantWatcher`). */
  readonly credentialWatch: CredentialWatch;

  constructor(
    private readonly store: AuthStore,
    secret: ServerSecret,
    private readonly allowedOrigins: readonly string[],
    options: AuthOptions = {},
  ) {
    this.clientKey = secret.derive('client-token', 'v1');
    this.credentialWatch = new CredentialWatch(
      (grant) => this.stillStands(grant),
      options.onWatchError ?? (() => undefined),
    );
  }

  /**
   * Calls `onEnd` within seconds once `grant` is revoked, expires or (a session) signs out; at once
   * when that happens through this server. Returns the function that stops watching.
   */
  watchGrant(grant: Grant, onEnd: () => void): () => void {
    return this.credentialWatch.watch(grant, onEnd);
  }

  /** Stops watching credentials (the server is closing). */
  close(): void {
    this.credentialWatch.close();
  }

  /** Whether a credential still works: not revoked, not expired, its session not signed out. */
  async stillStands(grant: Grant): Promise<boolean> {
    const now = new Date();
    if (grant.kind === 'session') return (await this.store.getSessionUser(grant.sessionHash, now)) !== null;
    if (grant.kind === 'agent-token') {
      const record = await this.store.findAgentTokenById(grant.tokenId);
      return record !== null && record.revokedAt === null;
    }
    if (grant.expiresAt !== undefined && grant.expiresAt <= now.getTime()) return false;
    return usable(await this.store.findApiTokenById(grant.tokenId), now);
  }

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
    if (!session) return;
    await this.store.deleteSession(hashToken(session));
    await this.credentialWatch.checkNow();
  }

  /** The caller of a request, or null. A bearer token, when given, is the only proof looked at. */
  async authenticate(credentials: Credentials): Promise<Caller | null> {
    const bearer = /^Bearer (\S+)$/i.exec(credentials.authorization ?? '')?.[1];
    if (bearer?.startsWith(CLIENT_TOKEN_PREFIX)) return this.fromClientToken(bearer, credentials.origin);
    if (bearer?.startsWith(API_TOKEN_PREFIX)) return this.fromApiToken(bearer);
    if (bearer !== undefined || credentials.authorization) return null;
    const session = this.sessionToken(credentials.cookie);
    if (!session) return null;
    const sessionHash = hashToken(session);
    const user = await this.store.getSessionUser(sessionHash, new Date());
    return user ? { user, via: 'session', grant: { kind: 'session', sessionHash } } : null;
  }

  /** Checks an API token alone (the machine link's hello carries one). */
  async fromApiToken(token: string): Promise<Caller | null> {
    if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) return null;
    const record = await this.store.findApiToken(hashToken(token));
    const now = new Date();
    if (!record || !usable(record, now)) return null;
    const user = await this.store.getUser(record.userId);
    if (!user) return null;
    if (!record.lastUsedAt || now.getTime() - Date.parse(record.lastUsedAt) > TOUCH_EVERY_MS) {
      await this.store.touchApiToken(record.id, now);
    }
    return {
      user,
      via: 'api-token',
      apiTokenId: record.id,
      scope: record.scope,
      grant: { kind: 'api-token', tokenId: record.id },
    };
  }

  /**
   * Mints a machine token for one of a host site's users, so that they can connect their own
   * computer: it belongs to that user and opens runtime links only.
   */
  async createMachineToken(caller: Caller, request: CreateMachineTokenRequest): Promise<CreatedApiToken> {
    this.requireFullApiToken(caller);
    const user = await this.store.ensureExternalUser(
      `${caller.user.id}:${request.userId}`,
      request.userName ?? request.userId,
    );
    const token = `${API_TOKEN_PREFIX}${randomToken()}`;
    const created = await this.store.createApiToken({
      id: newId('tok'),
      userId: user.id,
      name: request.name,
      tokenHash: hashToken(token),
      expiresAt: request.expiresInDays === undefined ? null : new Date(Date.now() + request.expiresInDays * 86_400_000),
      scope: 'machine',
      issuerId: caller.user.id,
    });
    return { ...created, token };
  }

  /** Mints a thread token for the thread's owner (the caller must own the thread). Shown once. */
  async createAgentToken(user: User, threadId: string, name: string): Promise<CreatedAgentToken> {
    const token = `${AGENT_TOKEN_PREFIX}${randomToken()}`;
    const created = await this.store.createAgentToken({
      id: newId('atok'),
      userId: user.id,
      threadId,
      name,
      tokenHash: hashToken(token),
    });
    return { ...created, token };
  }

  /** Revokes a thread token; a connection it opened is closed at once (its watch is checked now). */
  async revokeAgentToken(threadId: string, id: string): Promise<boolean> {
    const revoked = await this.store.revokeAgentToken(threadId, id, new Date());
    if (revoked) await this.credentialWatch.checkNow();
    return revoked;
  }

  /** Checks a thread token: whose it is and which thread it answers; null if unknown or revoked. */
  async fromAgentToken(token: string): Promise<{ userId: string; threadId: string; grant: Grant } | null> {
    if (!token.startsWith(AGENT_TOKEN_PREFIX) || token.length > 200) return null;
    const record = await this.store.findAgentToken(hashToken(token));
    if (!record || record.revokedAt !== null) return null;
    const now = new Date();
    if (!record.lastUsedAt || now.getTime() - Date.parse(record.lastUsedAt) > TOUCH_EVERY_MS)
      await this.store.touchAgentToken(record.id, now);
    return { userId: record.userId, threadId: record.threadId, grant: { kind: 'agent-token', tokenId: record.id } };
  }

  /** Closes now the connections whose credential no longer stands (a thread was deleted). */
  recheck(): Promise<void> {
    return this.credentialWatch.checkNow();
  }

  /** Revokes a machine token the caller's server minted. */
  async revokeIssuedToken(caller: Caller, id: string): Promise<boolean> {
    this.requireFullApiToken(caller);
    const revoked = await this.store.revokeIssuedToken(caller.user.id, id, new Date());
    if (revoked) await this.credentialWatch.checkNow();
    return revoked;
  }

  private requireFullApiToken(caller: Caller): void {
    if (caller.via !== 'api-token' || caller.scope !== 'full' || !caller.apiTokenId) {
      throw new RemoteChatError('forbidden', 'Only a server with a full API token may do this.');
    }
  }

  async createApiToken(user: User, name: string, expiresInDays: number | undefined): Promise<CreatedApiToken> {
    const token = `${API_TOKEN_PREFIX}${randomToken()}`;
    const created = await this.store.createApiToken({
      id: newId('tok'),
      userId: user.id,
      name,
      tokenHash: hashToken(token),
      expiresAt: expiresInDays === undefined ? null : new Date(Date.now() + expiresInDays * 86_400_000),
    });
    return { ...created, token };
  }

  listApiTokens(user: User): Promise<ApiToken[]> {
    return this.store.listApiTokens(user.id);
  }

  async revokeApiToken(user: User, id: string): Promise<boolean> {
    const revoked = await this.store.revokeApiToken(user.id, id, new Date());
    if (revoked) await this.credentialWatch.checkNow();
    return revoked;
  }

  /**
   * Mints a client token for one of a host site's users. Only a caller holding an API token may,
   * and only for a page origin on the allow-list.
   */
  async createClientToken(
    caller: Caller,
    request: CreateClientTokenRequest,
  ): Promise<{ token: string; expiresAt: string }> {
    this.requireFullApiToken(caller);
    const origin = new URL(request.origin).origin;
    if (!this.allowedOrigins.includes(origin)) {
      throw new RemoteChatError('bad_request', `The origin ${origin} is not on this server's allowed origins.`);
    }
    const user = await this.store.ensureExternalUser(
      `${caller.user.id}:${request.userId}`,
      request.name ?? request.userId,
    );
    const exp = Math.floor(Date.now() / 1000) + (request.ttlSeconds ?? 600);
    const payload = Buffer.from(JSON.stringify({ sub: user.id, aud: origin, tid: caller.apiTokenId, exp })).toString(
      'base64url',
    );
    return {
      token: `${CLIENT_TOKEN_PREFIX}${payload}.${this.sign(payload)}`,
      expiresAt: new Date(exp * 1000).toISOString(),
    };
  }

  /** A one-time ticket to open the stream with, bound to the caller and the page's origin. */
  async createStreamTicket(caller: Caller, origin: string | undefined): Promise<{ ticket: string; expiresAt: string }> {
    const ticket = randomToken();
    const expiresAt = new Date(Date.now() + TICKET_SECONDS * 1000);
    await this.store.createStreamTicket({
      ticketHash: hashToken(ticket),
      userId: caller.user.id,
      origin: origin ?? null,
      expiresAt,
      credential: JSON.stringify(caller.grant),
    });
    return { ticket, expiresAt: expiresAt.toISOString() };
  }

  /**
   * The user of a stream ticket and the credential that asked for it, once; it must be used from
   * the origin it was issued to, and that credential must still stand.
   */
  async redeemStreamTicket(ticket: string, origin: string | undefined): Promise<{ user: User; grant: Grant } | null> {
    if (ticket.length > 100) return null;
    const redeemed = await this.store.consumeStreamTicket(hashToken(ticket), new Date());
    if (!redeemed || (redeemed.origin !== null && redeemed.origin !== origin)) return null;
    const grant = GrantSchema.safeParse(JSON.parse(redeemed.credential ?? 'null'));
    if (!grant.success || !(await this.stillStands(grant.data))) return null;
    const user = await this.store.getUser(redeemed.userId);
    return user ? { user, grant: grant.data } : null;
  }

  private async fromClientToken(token: string, origin: string | undefined): Promise<Caller | null> {
    if (token.length > 2000) return null;
    // Exactly `payload.signature`: a token with more segments is not one this server minted.
    const parts = token.slice(CLIENT_TOKEN_PREFIX.length).split('.');
    const [payload, signature] = parts;
    if (parts.length !== 2 || !payload || !signature || !safeEqual(signature, this.sign(payload))) return null;
    let claims: z.infer<typeof ClientClaimsSchema>;
    try {
      claims = ClientClaimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return null;
    }
    if (claims.exp * 1000 <= Date.now()) return null;
    // Bound to the page it was minted for: another site holding it cannot use it from a browser.
    if (origin !== undefined && origin !== claims.aud) return null;
    if (!this.allowedOrigins.includes(claims.aud)) return null;
    const minter = await this.store.findApiTokenById(claims.tid);
    // Revoking or the expiry of the API token that minted it ends it too.
    if (!minter || !usable(minter, new Date()) || minter.scope !== 'full') return null;
    const user = await this.store.getUser(claims.sub);
    if (!user) return null;
    return {
      user,
      via: 'client-token',
      apiTokenId: claims.tid,
      grant: { kind: 'api-token', tokenId: claims.tid, expiresAt: claims.exp * 1000 },
    };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.clientKey).update(payload).digest('base64url');
  }

  private sessionToken(cookieHeader: string | undefined): string | undefined {
    if (!cookieHeader) return undefined;
    const value = parseCookie(cookieHeader)[SESSION_COOKIE];
    return value && value.length <= 256 ? value : undefined;
  }
}
