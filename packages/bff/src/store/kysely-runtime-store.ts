import type { Kysely, Selectable, Transaction } from 'kysely';
import { LogBodySchema, type LogEntry, type RuntimeKind, type RuntimeStatus } from '@remote-chat/protocol';
import { UNBOUNDED_BYTES, pageEnd } from './byte-page.js';
import { claimHandoffs, getLease, insertHandoffs, releaseLeases, renewLeases, takeLease } from './handoffs.js';
import { ackOutbound, insertOutbound, loadOutbound, outboundRows, replaceOutbound } from './outbound.js';
import { now, num, type Database, type RuntimesTable } from './schema.js';
import type { ClusterStore, LinkReceipt, RuntimeRecord, RuntimeStore } from './store.js';

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
    lastActivityAt: row.last_activity_at,
  };
}

function toLogEntry(row: { runtime_id: string; seq: number | string; body: string; created_at: string }): LogEntry {
  const body = LogBodySchema.parse(JSON.parse(row.body));
  return { ...body, runtimeId: row.runtime_id, seq: num(row.seq), at: row.created_at };
}

/**
 * Records that the BFF handled a runtime's link frames up to `receipt.seq` (never lowering it).
 * The thread store calls it inside the transaction that stores the events of those frames.
 */
export async function recordReceipt(db: Kysely<Database> | Transaction<Database>, receipt: LinkReceipt): Promise<void> {
  const { runtimeId: id, seq } = receipt;
  await db
    .updateTable('runtimes')
    .set({ link_received: seq })
    .where('id', '=', id)
    .where('link_received', '<', seq)
    .execute();
}

/** Runtimes, their logs and link outboxes over Kysely (SQLite and Postgres alike). */
export function kyselyRuntimeStore(db: Kysely<Database>): RuntimeStore & ClusterStore {
  return {
    async createRuntime(runtime) {
      const at = now();
      const row = await db
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
          last_activity_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRuntime(row);
    },

    async getRuntime(id) {
      const row = await db.selectFrom('runtimes').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRuntime(row) : null;
    },

    async listRuntimes(userId) {
      let query = db.selectFrom('runtimes').selectAll();
      if (userId !== null) query = query.where('user_id', '=', userId);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(toRuntime);
    },

    async updateRuntime(id, patch) {
      const row = await db
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
    },

    async deleteRuntime(id) {
      // Children first, so the delete does not depend on foreign-key enforcement being on.
      await db.transaction().execute(async (trx) => {
        const threads = trx.selectFrom('threads').select('id').where('runtime_id', '=', id);
        await trx.deleteFrom('events').where('thread_id', 'in', threads).execute();
        await trx.deleteFrom('threads').where('runtime_id', '=', id).execute();
        await trx.deleteFrom('runtime_log').where('runtime_id', '=', id).execute();
        await trx.deleteFrom('outbound').where('runtime_id', '=', id).execute();
        await trx.deleteFrom('handoffs').where('runtime_id', '=', id).execute();
        await trx.deleteFrom('runtime_leases').where('runtime_id', '=', id).execute();
        await trx.deleteFrom('runtimes').where('id', '=', id).execute();
      });
    },

    async setLinkReceived(id, seq) {
      await recordReceipt(db, { runtimeId: id, seq });
    },

    async recordActivity(id, at) {
      // ISO timestamps in UTC (`toISOString`) order as text, on SQLite and Postgres alike.
      await db
        .updateTable('runtimes')
        .set({ last_activity_at: at })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_activity_at', 'is', null), eb('last_activity_at', '<', at)]))
        .execute();
    },

    loadOutbound(runtimeId) {
      return loadOutbound(db, runtimeId);
    },

    async queueOutbound(runtimeId, entries) {
      await insertOutbound(db, outboundRows(runtimeId, entries));
    },

    ackOutbound(runtimeId, upTo) {
      return db.transaction().execute((trx) => ackOutbound(trx, runtimeId, upTo));
    },

    replaceOutbound(runtimeId, state) {
      return db.transaction().execute((trx) => replaceOutbound(trx, runtimeId, state));
    },

    handOff: (runtimeId, messages) => insertHandoffs(db, runtimeId, messages),
    claimHandoffs: (runtimeId, firstSeq) => claimHandoffs(db, runtimeId, firstSeq),
    takeLease: (runtimeId, instanceId, ttlMs, force) => takeLease(db, runtimeId, instanceId, ttlMs, force),
    renewLeases: (instanceId, runtimeIds, ttlMs) => renewLeases(db, instanceId, runtimeIds, ttlMs),
    releaseLeases: (instanceId, runtimeIds) => releaseLeases(db, instanceId, runtimeIds),
    getLease: (runtimeId) => getLease(db, runtimeId),

    async appendLog(runtimeId, body) {
      const parsed = LogBodySchema.parse(body);
      return db.transaction().execute(async (trx) => {
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
    },

    async listLog(runtimeId, after, limit, maxBytes = UNBOUNDED_BYTES) {
      const rows = await db
        .selectFrom('runtime_log')
        .selectAll()
        .where('runtime_id', '=', runtimeId)
        .where('seq', '>', after)
        .where('seq', '<=', pageEnd('runtime_log', { column: 'runtime_id', id: runtimeId }, after, limit, maxBytes))
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(toLogEntry);
    },
  };
}
