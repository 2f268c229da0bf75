import { randomBytes } from 'node:crypto';
import { Migrator, type Kysely, type Selectable, type Transaction } from 'kysely';
import {
  LogBodySchema,
  type ApiToken,
  type EventBody,
  type LogBody,
  type LogEntry,
  type RuntimeKind,
  type RuntimeStatus,
  type ThreadEvent,
  type User,
} from '@remote-chat/protocol';
import { AppendBatch } from './append-batch.js';
import { migrationProvider } from './migrations.js';
import { kyselyUsageStore } from './kysely-usage-store.js';
import { ackOutbound, insertOutbound, loadOutbound, outboundRows, replaceOutbound } from './outbound.js';
import type { ApiTokensTable, Database, RuntimesTable, ThreadsTable } from './schema.js';
import type {
  ApiTokenRecord,
  ApiTokenScope,
  AppendItem,
  AppendResult,
  LinkReceipt,
  NewRuntime,
  OutboundEntry,
  OutboundState,
  RuntimePatch,
  RuntimeRecord,
  Store,
  ThreadRecord,
} from './store.js';
import type { UsageEntry, UsageStore, UsageSummary } from './usage-store.js';

/** Postgres returns bigint columns as strings; SQLite as numbers. */
export const num = (value: number | string | bigint): number => Number(value);
export const now = (): string => new Date().toISOString();
/** Rows per INSERT, well under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 200;
const newUserId = () => `u_${randomBytes(12).toString('base64url')}`;

/** Runs the migrations that have not run yet; throws with the failing migration's error. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`store migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, {
      cause: error,
    });
  }
}

function toRuntime(row: Selectable<RuntimesTable>): RuntimeRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    kind: row.kind as RuntimeKind,
    provider: row.provider,
    status: row.status as RuntimeStatus,
    link: 'offline',
    repo: row.repo,
    branch: row.branch,
    agent: row.agent,
    logSeq: num(row.log_seq),
    providerState: JSON.parse(row.provider_state) as Record<string, unknown>,
    info: row.info === null ? null : (JSON.parse(row.info) as Record<string, unknown>),
    linkReceived: num(row.link_received),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

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

function toThread(row: Selectable<ThreadsTable>): ThreadRecord {
  return {
    id: row.id,
    runtimeId: row.runtime_id,
    userId: row.user_id,
    title: row.title,
    titled: Boolean(row.titled),
    lastSeq: num(row.last_seq),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toEvent(row: {
  thread_id: string;
  seq: number | string;
  body: string;
  created_at: string;
}): ThreadEvent {
  // Bodies were validated by EventBodySchema in the transaction that stored them; reading them
  // back is the hot path of every replay, so they are not validated again.
  const body = JSON.parse(row.body) as EventBody;
  return { ...body, threadId: row.thread_id, seq: num(row.seq), at: row.created_at };
}

function toLogEntry(row: { runtime_id: string; seq: number | string; body: string; created_at: string }): LogEntry {
  const body = LogBodySchema.parse(JSON.parse(row.body));
  return { ...body, runtimeId: row.runtime_id, seq: num(row.seq), at: row.created_at };
}

/**
 * The store over Kysely. The SQL is the portable subset SQLite and Postgres share; the dialect
 * differences (opening, pragmas, pools) live in `sqlite-store.ts` and `postgres-store.ts`.
 */
export class KyselyStore implements Store {
  private readonly usage: UsageStore;

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: 'sqlite' | 'postgres',
  ) {
    this.usage = kyselyUsageStore(db);
  }

  recordUsage(entry: UsageEntry): Promise<void> {
    return this.usage.recordUsage(entry);
  }

  tokensOnDay(userId: string, day: string): Promise<number> {
    return this.usage.tokensOnDay(userId, day);
  }

  summarizeUsage(userId: string, day: string, threadLimit: number): Promise<UsageSummary> {
    return this.usage.summarizeUsage(userId, day, threadLimit);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async ensureOwner(name: string): Promise<User> {
    const existing = await this.db
      .selectFrom('users')
      .select(['id', 'name'])
      .where('role', '=', 'owner')
      .orderBy('created_at')
      .executeTakeFirst();
    if (existing) return existing;
    const user = { id: 'owner', name };
    await this.db
      .insertInto('users')
      .values({ ...user, role: 'owner', external_id: null, created_at: now() })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return user;
  }

  async getUser(id: string): Promise<User | null> {
    const row = await this.db.selectFrom('users').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    return row ?? null;
  }

  async ensureExternalUser(externalKey: string, name: string): Promise<User> {
    const existing = await this.db
      .selectFrom('users')
      .select(['id', 'name'])
      .where('external_id', '=', externalKey)
      .executeTakeFirst();
    if (existing) return existing;
    const user = { id: newUserId(), name };
    await this.db
      .insertInto('users')
      .values({ ...user, role: 'external', external_id: externalKey, created_at: now() })
      .onConflict((oc) => oc.column('external_id').doNothing())
      .execute();
    // A concurrent first use may have won the insert; read back whichever row exists.
    return this.db
      .selectFrom('users')
      .select(['id', 'name'])
      .where('external_id', '=', externalKey)
      .executeTakeFirstOrThrow();
  }

  async createApiToken(token: {
    id: string;
    userId: string;
    name: string;
    tokenHash: string;
    expiresAt: Date | null;
    scope?: ApiTokenScope;
    issuerId?: string | null;
  }): Promise<ApiToken> {
    const row = await this.db
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
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    const rows = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toApiToken);
  }

  async revokeApiToken(userId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at.toISOString() })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async revokeIssuedToken(issuerId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at.toISOString() })
      .where('id', '=', id)
      .where('issuer_id', '=', issuerId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async findApiToken(tokenHash: string): Promise<ApiTokenRecord | null> {
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ? toApiTokenRecord(row) : null;
  }

  async findApiTokenById(id: string): Promise<ApiTokenRecord | null> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toApiTokenRecord(row) : null;
  }

  async touchApiToken(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: at.toISOString() }).where('id', '=', id).execute();
  }

  async createStreamTicket(ticketHash: string, userId: string, origin: string | null, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto('stream_tickets')
      .values({ ticket_hash: ticketHash, user_id: userId, origin, expires_at: expiresAt.toISOString() })
      .execute();
  }

  async consumeStreamTicket(ticketHash: string, at: Date): Promise<{ userId: string; origin: string | null } | null> {
    const row = await this.db
      .deleteFrom('stream_tickets')
      .where('ticket_hash', '=', ticketHash)
      .returning(['user_id', 'origin', 'expires_at'])
      .executeTakeFirst();
    if (!row || row.expires_at <= at.toISOString()) return null;
    return { userId: row.user_id, origin: row.origin };
  }

  async createSignin(tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto('signin_tokens')
      .values({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt.toISOString() })
      .execute();
  }

  async consumeSignin(tokenHash: string, at: Date): Promise<string | null> {
    const row = await this.db
      .deleteFrom('signin_tokens')
      .where('token_hash', '=', tokenHash)
      .returning(['user_id', 'expires_at'])
      .executeTakeFirst();
    if (!row || row.expires_at <= at.toISOString()) return null;
    return row.user_id;
  }

  async createSession(tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({ token_hash: tokenHash, user_id: userId, created_at: now(), expires_at: expiresAt.toISOString() })
      .execute();
  }

  async getSessionUser(tokenHash: string, at: Date): Promise<User | null> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id', 'users.name'])
      .where('sessions.token_hash', '=', tokenHash)
      .where('sessions.expires_at', '>', at.toISOString())
      .executeTakeFirst();
    return row ?? null;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  async createRuntime(runtime: NewRuntime): Promise<RuntimeRecord> {
    const at = now();
    const row = await this.db
      .insertInto('runtimes')
      .values({
        id: runtime.id,
        user_id: runtime.userId,
        name: runtime.name,
        kind: runtime.kind,
        provider: runtime.provider,
        status: 'starting',
        repo: runtime.repo,
        branch: runtime.branch,
        agent: runtime.agent,
        log_seq: 0,
        provider_state: '{}',
        info: null,
        link_received: 0,
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRuntime(row);
  }

  async getRuntime(id: string): Promise<RuntimeRecord | null> {
    const row = await this.db.selectFrom('runtimes').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRuntime(row) : null;
  }

  async listRuntimes(userId: string | null): Promise<RuntimeRecord[]> {
    let query = this.db.selectFrom('runtimes').selectAll();
    if (userId !== null) query = query.where('user_id', '=', userId);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map(toRuntime);
  }

  async updateRuntime(id: string, patch: RuntimePatch): Promise<RuntimeRecord | null> {
    const row = await this.db
      .updateTable('runtimes')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.providerState !== undefined && { provider_state: JSON.stringify(patch.providerState) }),
        ...(patch.info !== undefined && { info: patch.info === null ? null : JSON.stringify(patch.info) }),
        updated_at: now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row ? toRuntime(row) : null;
  }

  async deleteRuntime(id: string): Promise<void> {
    // Children first, so the delete does not depend on foreign-key enforcement being on.
    await this.db.transaction().execute(async (trx) => {
      const threads = trx.selectFrom('threads').select('id').where('runtime_id', '=', id);
      await trx.deleteFrom('events').where('thread_id', 'in', threads).execute();
      await trx.deleteFrom('threads').where('runtime_id', '=', id).execute();
      await trx.deleteFrom('runtime_log').where('runtime_id', '=', id).execute();
      await trx.deleteFrom('outbound').where('runtime_id', '=', id).execute();
      await trx.deleteFrom('runtimes').where('id', '=', id).execute();
    });
  }

  async setLinkReceived(id: string, seq: number): Promise<void> {
    await this.recordReceipt(this.db, { runtimeId: id, seq });
  }

  private async recordReceipt(db: Kysely<Database> | Transaction<Database>, receipt: LinkReceipt): Promise<void> {
    const { runtimeId: id, seq } = receipt;
    await db
      .updateTable('runtimes')
      .set({ link_received: seq })
      .where('id', '=', id)
      .where('link_received', '<', seq)
      .execute();
  }

  loadOutbound(runtimeId: string): Promise<OutboundState> {
    return loadOutbound(this.db, runtimeId);
  }

  async queueOutbound(runtimeId: string, entries: readonly OutboundEntry[]): Promise<void> {
    await insertOutbound(this.db, outboundRows(runtimeId, entries));
  }

  ackOutbound(runtimeId: string, upTo: number): Promise<void> {
    return this.db.transaction().execute((trx) => ackOutbound(trx, runtimeId, upTo));
  }

  replaceOutbound(runtimeId: string, state: OutboundState): Promise<void> {
    return this.db.transaction().execute((trx) => replaceOutbound(trx, runtimeId, state));
  }

  async appendLog(runtimeId: string, body: LogBody): Promise<LogEntry> {
    const parsed = LogBodySchema.parse(body);
    return this.db.transaction().execute(async (trx) => {
      const at = now();
      const bumped = await trx
        .updateTable('runtimes')
        .set((eb) => ({ log_seq: eb('log_seq', '+', 1), updated_at: at }))
        .where('id', '=', runtimeId)
        .returning('log_seq')
        .executeTakeFirst();
      if (!bumped) throw new Error(`runtime ${runtimeId} does not exist`);
      const seq = num(bumped.log_seq);
      await trx
        .insertInto('runtime_log')
        .values({ runtime_id: runtimeId, seq, body: JSON.stringify(parsed), created_at: at })
        .execute();
      return { ...parsed, runtimeId, seq, at };
    });
  }

  async listLog(runtimeId: string, after: number, limit: number): Promise<LogEntry[]> {
    const rows = await this.db
      .selectFrom('runtime_log')
      .selectAll()
      .where('runtime_id', '=', runtimeId)
      .where('seq', '>', after)
      .where('seq', '<=', after + limit)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toLogEntry);
  }

  async createThread(thread: {
    id: string;
    runtimeId: string;
    userId: string;
    title: string;
    titled: boolean;
  }): Promise<ThreadRecord> {
    const at = now();
    const row = await this.db
      .insertInto('threads')
      .values({
        id: thread.id,
        runtime_id: thread.runtimeId,
        user_id: thread.userId,
        title: thread.title,
        titled: thread.titled ? 1 : 0,
        last_seq: 0,
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toThread(row);
  }

  async getThread(id: string): Promise<ThreadRecord | null> {
    const row = await this.db.selectFrom('threads').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toThread(row) : null;
  }

  async listThreads(runtimeId: string): Promise<ThreadRecord[]> {
    const rows = await this.db
      .selectFrom('threads')
      .selectAll()
      .where('runtime_id', '=', runtimeId)
      .orderBy('updated_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toThread);
  }

  async updateThread(id: string, patch: { title: string; titled: boolean }): Promise<ThreadRecord | null> {
    const row = await this.db
      .updateTable('threads')
      .set({ title: patch.title, titled: patch.titled ? 1 : 0, updated_at: now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row ? toThread(row) : null;
  }

  async appendEvent(threadId: string, body: EventBody, receipt?: LinkReceipt): Promise<AppendResult> {
    const [result] = await this.appendEvents(threadId, [{ body, ...(receipt && { receipt }) }]);
    return result!;
  }

  async appendEvents(threadId: string, items: readonly AppendItem[]): Promise<AppendResult[]> {
    const batch = new AppendBatch(threadId, items);
    return this.db.transaction().execute(async (trx) => {
      const clientIds = batch.clientIds();
      const existing =
        clientIds.length === 0
          ? []
          : await trx
              .selectFrom('events')
              .select(['thread_id', 'seq', 'body', 'created_at', 'client_id'])
              .where('thread_id', '=', threadId)
              .where('client_id', 'in', clientIds)
              .execute();
      const fresh = batch.plan(new Map(existing.map((row) => [row.client_id!, toEvent(row)])));
      if (fresh === 0) return batch.results(0, now());
      const at = now();
      const bumped = await trx
        .updateTable('threads')
        .set((eb) => ({ last_seq: eb('last_seq', '+', fresh), updated_at: at }))
        .where('id', '=', threadId)
        .returning('last_seq')
        .executeTakeFirst();
      if (!bumped) throw new Error(`thread ${threadId} does not exist`);
      const first = num(bumped.last_seq) - fresh + 1;
      const rows = batch.rows(first, at);
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('events')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
      const receipt = batch.latestReceipt();
      if (receipt) await this.recordReceipt(trx, receipt);
      const results = batch.results(first, at);
      const outbound = batch.outboundRows(results);
      if (outbound.length > 0) await insertOutbound(trx, outbound);
      return results;
    });
  }

  async listEvents(threadId: string, after: number, limit: number): Promise<ThreadEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .select(['thread_id', 'seq', 'body', 'created_at'])
      .where('thread_id', '=', threadId)
      .where('seq', '>', after)
      // Seqs have no gaps, so the page is also a range: the work stays bounded whatever plan
      // the database picks (Postgres with stale statistics otherwise sorts the whole tail).
      .where('seq', '<=', after + limit)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toEvent);
  }
}
