import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AgentToken, ApiToken } from '@remote-chat/protocol';
import { now, type AgentTokensTable, type ApiTokensTable, type Database } from './schema.js';
import type { AgentTokenRecord, ApiTokenRecord, AuthStore } from './store.js';

const newUserId = () => `u_${randomBytes(12).toString('base64url')}`;

function toApiToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}

function toApiTokenRecord(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    ...toApiToken(row),
    userId: row.user_id,
    revokedAt: row.revoked_at,
    scope: row.scope === 'machine' ? 'machine' : 'full',
    issuerId: row.issuer_id,
  };
}

function toAgentToken(row: Selectable<AgentTokensTable>): AgentToken {
  return {
    id: row.id,
    threadId: row.thread_id,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

function toAgentTokenRecord(row: Selectable<AgentTokensTable>): AgentTokenRecord {
  return { ...toAgentToken(row), userId: row.user_id, revokedAt: row.revoked_at };
}

/** Users, sessions, sign-in links, stream tickets and tokens over Kysely (SQLite and Postgres alike). */
export function kyselyAuthStore(db: Kysely<Database>): AuthStore {
  /** Revokes token `id` if `column` (its owner or its issuer) is `userId`; false if no such live token. */
  async function revoke(column: 'user_id' | 'issuer_id', userId: string, id: string, at: Date): Promise<boolean> {
    const result = await db
      .updateTable('api_tokens')
      .set({ revoked_at: at.toISOString() })
      .where('id', '=', id)
      .where(column, '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  return {
    async ensureOwner(name) {
      const existing = await db
        .selectFrom('users')
        .select(['id', 'name'])
        .where('role', '=', 'owner')
        .orderBy('created_at')
        .executeTakeFirst();
      if (existing) return existing;
      const user = { id: 'owner', name };
      await db
        .insertInto('users')
        .values({ ...user, role: 'owner', external_id: null, created_at: now() })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return user;
    },

    async getUser(id) {
      const row = await db.selectFrom('users').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
      return row ?? null;
    },

    async ensureExternalUser(externalKey, name) {
      const existing = await db
        .selectFrom('users')
        .select(['id', 'name'])
        .where('external_id', '=', externalKey)
        .executeTakeFirst();
      if (existing) return existing;
      const user = { id: newUserId(), name };
      await db
        .insertInto('users')
        .values({ ...user, role: 'external', external_id: externalKey, created_at: now() })
        .onConflict((oc) => oc.column('external_id').doNothing())
        .execute();
      // A concurrent first use may have won the insert; read back whichever row exists.
      return db
        .selectFrom('users')
        .select(['id', 'name'])
        .where('external_id', '=', externalKey)
        .executeTakeFirstOrThrow();
    },

    async createApiToken(token) {
      const row = await db
        .insertInto('api_tokens')
        .values({
          id: token.id,
          user_id: token.userId,
          name: token.name,
          token_hash: token.tokenHash,
          created_at: now(),
          expires_at: token.expiresAt?.toISOString() ?? null,
          last_used_at: null,
          revoked_at: null,
          scope: token.scope ?? 'full',
          issuer_id: token.issuerId ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toApiToken(row);
    },

    async listApiTokens(userId) {
      const rows = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toApiToken);
    },

    revokeApiToken: (userId, id, at) => revoke('user_id', userId, id, at),
    revokeIssuedToken: (issuerId, id, at) => revoke('issuer_id', issuerId, id, at),

    async findApiToken(tokenHash) {
      const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row ? toApiTokenRecord(row) : null;
    },

    async findApiTokenById(id) {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toApiTokenRecord(row) : null;
    },

    async touchApiToken(id, at) {
      await db.updateTable('api_tokens').set({ last_used_at: at.toISOString() }).where('id', '=', id).execute();
    },

    async createAgentToken(token) {
      const row = await db
        .insertInto('agent_tokens')
        .values({
          id: token.id,
          user_id: token.userId,
          thread_id: token.threadId,
          name: token.name,
          token_hash: token.tokenHash,
          created_at: now(),
          last_used_at: null,
          revoked_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toAgentToken(row);
    },

    async listAgentTokens(threadId) {
      const rows = await db
        .selectFrom('agent_tokens')
        .selectAll()
        .where('thread_id', '=', threadId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toAgentToken);
    },

    async revokeAgentToken(threadId, id, at) {
      const result = await db
        .updateTable('agent_tokens')
        .set({ revoked_at: at.toISOString() })
        .where('id', '=', id)
        .where('thread_id', '=', threadId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async findAgentToken(tokenHash) {
      const row = await db
        .selectFrom('agent_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toAgentTokenRecord(row) : null;
    },

    async findAgentTokenById(id) {
      const row = await db.selectFrom('agent_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toAgentTokenRecord(row) : null;
    },

    async touchAgentToken(id, at) {
      await db.updateTable('agent_tokens').set({ last_used_at: at.toISOString() }).where('id', '=', id).execute();
    },

    async createStreamTicket(ticket) {
      await db
        .insertInto('stream_tickets')
        .values({
          ticket_hash: ticket.ticketHash,
          user_id: ticket.userId,
          origin: ticket.origin,
          expires_at: ticket.expiresAt.toISOString(),
          credential: ticket.credential,
        })
        .execute();
    },

    async consumeStreamTicket(ticketHash, at) {
      const row = await db
        .deleteFrom('stream_tickets')
        .where('ticket_hash', '=', ticketHash)
        .returning(['user_id', 'origin', 'expires_at', 'credential'])
        .executeTakeFirst();
      if (!row || row.expires_at <= at.toISOString()) return null;
      return { userId: row.user_id, origin: row.origin, credential: row.credential };
    },

    async createSignin(tokenHash, userId, expiresAt) {
      await db
        .insertInto('signin_tokens')
        .values({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt.toISOString() })
        .execute();
    },

    async consumeSignin(tokenHash, at) {
      const row = await db
        .deleteFrom('signin_tokens')
        .where('token_hash', '=', tokenHash)
        .returning(['user_id', 'expires_at'])
        .executeTakeFirst();
      if (!row || row.expires_at <= at.toISOString()) return null;
      return row.user_id;
    },

    async createSession(tokenHash, userId, expiresAt) {
      await db
        .insertInto('sessions')
        .values({ token_hash: tokenHash, user_id: userId, created_at: now(), expires_at: expiresAt.toISOString() })
        .execute();
    },

    async getSessionUser(tokenHash, at) {
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select(['users.id', 'users.name'])
        .where('sessions.token_hash', '=', tokenHash)
        .where('sessions.expires_at', '>', at.toISOString())
        .executeTakeFirst();
      return row ?? null;
    },

    async deleteSession(tokenHash) {
      await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
    },
  };
}
