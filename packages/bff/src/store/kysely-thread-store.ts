import type { Kysely, Selectable } from 'kysely';
import { ThreadIssueSchema, type EventBody, type ThreadEvent, type ThreadIssue } from '@remote-chat/protocol';
import { AppendBatch } from './append-batch.js';
import { UNBOUNDED_BYTES, pageEnd } from './byte-page.js';
import { recordReceipt } from './kysely-runtime-store.js';
import { insertHandoffs } from './handoffs.js';
import { insertOutbound, rewriteOutbound } from './outbound.js';
import { now, num, type Database, type ThreadsTable } from './schema.js';
import { parseStoredEvent, toStoredEvent, withStoreFields } from './stored-event.js';
import type { ThreadRecord, ThreadStore } from './store.js';

/** Rows per INSERT, well under SQLite's bound-parameter limit. */
const INSERT_CHUNK = 200;

function toThread(row: Selectable<ThreadsTable>): ThreadRecord {
  return {
    id: row.id,
    runtimeId: row.runtime_id,
    userId: row.user_id,
    title: row.title,
    titled: Boolean(row.titled),
    issue: parseIssue(row.issue),
    lastSeq: num(row.last_seq),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at ?? null,
  };
}

/** A stored issue; null when there is none or it no longer reads as one. */
function parseIssue(text: string | null): ThreadIssue | null {
  if (!text) return null;
  try {
    const parsed = ThreadIssueSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function toEvent(row: {
  thread_id: string;
  seq: number | string;
  body: string;
  created_at: string;
}): ThreadEvent {
  // Bodies were validated by EventBodySchema in the transaction that stored them; reading them
  // back is the hot path of every replay, so they are not validated again.
  return withStoreFields(JSON.parse(row.body) as EventBody, row.thread_id, num(row.seq), row.created_at);
}

/** The thread store's two hot paths, which a dialect may serve its own faster way. */
export type EventPaths = Pick<ThreadStore, 'appendEvents' | 'listStoredEvents' | 'durable'>;

/**
 * Threads and their events over Kysely (SQLite and Postgres alike). `dialectPaths`, given the
 * portable event paths to fall back on, returns the dialect's own (SQLite's prepared statements).
 */
export function kyselyThreadStore(
  db: Kysely<Database>,
  dialectPaths?: (portable: EventPaths) => EventPaths,
): ThreadStore {
  const portable: EventPaths = {
    async appendEvents(threadId, items, at) {
      const batch = new AppendBatch(threadId, items, at);
      return db.transaction().execute(async (trx) => {
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
        const at = batch.at ?? now();
        if (fresh === 0) return batch.results(0, at);
        const bumped = await trx
          .updateTable('threads')
          .set((eb) => ({ last_seq: eb('last_seq', '+', fresh), updated_at: at }))
          .where('id', '=', threadId)
          .returning('last_seq')
          .executeTakeFirst();
        if (!bumped) throw new Error(`thread ${threadId} does not exist`);
        const moveTo = batch.moveTo();
        if (moveTo !== null)
          await trx.updateTable('threads').set({ runtime_id: moveTo }).where('id', '=', threadId).execute();
        const first = num(bumped.last_seq) - fresh + 1;
        const rows = batch.rows(first, at);
        for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
          await trx
            .insertInto('events')
            .values(rows.slice(i, i + INSERT_CHUNK))
            .execute();
        }
        const receipt = batch.latestReceipt();
        if (receipt) await recordReceipt(trx, receipt);
        const results = batch.results(first, at);
        const outbound = batch.outboundRows(results);
        if (outbound.length > 0) await insertOutbound(trx, outbound);
        for (const [runtimeId, entries] of batch.outboundRewrites(results))
          await rewriteOutbound(trx, runtimeId, entries);
        for (const [runtimeId, message] of batch.handoffs(results)) await insertHandoffs(trx, runtimeId, [message]);
        return results;
      });
    },

    // Postgres acknowledges a commit once its log is flushed (`synchronous_commit = on`).
    durable: () => Promise.resolve(),

    async listStoredEvents(threadId, after, limit, maxBytes = UNBOUNDED_BYTES) {
      const rows = await db
        .selectFrom('events')
        .select(['thread_id', 'seq', 'body', 'created_at'])
        .where('thread_id', '=', threadId)
        .where('seq', '>', after)
        // Seqs have no gaps, so the page is also a range: the work stays bounded whatever plan
        // the database picks (Postgres with stale statistics otherwise sorts the whole tail).
        .where('seq', '<=', pageEnd('events', { column: 'thread_id', id: threadId }, after, limit, maxBytes))
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(toStoredEvent);
    },
  };
  const { appendEvents, listStoredEvents, durable } = dialectPaths?.(portable) ?? portable;

  return {
    async createThread(thread) {
      const at = now();
      const row = await db
        .insertInto('threads')
        .values({
          id: thread.id,
          runtime_id: thread.runtimeId,
          user_id: thread.userId,
          title: thread.title,
          titled: thread.titled ? 1 : 0,
          issue: thread.issue ? JSON.stringify(thread.issue) : null,
          last_seq: 0,
          created_at: at,
          updated_at: at,
          archived_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toThread(row);
    },

    async getThread(id) {
      const row = await db.selectFrom('threads').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toThread(row) : null;
    },

    async listThreads(runtimeId) {
      const rows = await db
        .selectFrom('threads')
        .selectAll()
        .where('runtime_id', '=', runtimeId)
        .orderBy('updated_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toThread);
    },

    async updateThread(id, patch) {
      const row = await db
        .updateTable('threads')
        .set({
          ...(patch.title !== undefined && { title: patch.title, titled: patch.titled ? 1 : 0, updated_at: now() }),
          ...(patch.archivedAt !== undefined && { archived_at: patch.archivedAt }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toThread(row) : null;
    },

    async deleteThread(id) {
      // Children first, so the delete does not depend on foreign-key enforcement being on.
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('events').where('thread_id', '=', id).execute();
        await trx.deleteFrom('agent_tokens').where('thread_id', '=', id).execute();
        const deleted = await trx.deleteFrom('threads').where('id', '=', id).executeTakeFirst();
        return deleted.numDeletedRows > 0n;
      });
    },

    async appendEvent(threadId, body, receipt) {
      const [result] = await appendEvents(threadId, [{ body, ...(receipt && { receipt }) }]);
      return result!;
    },

    appendEvents,
    listStoredEvents,
    durable,

    async listEvents(threadId, after, limit, maxBytes) {
      return (await listStoredEvents(threadId, after, limit, maxBytes)).map(parseStoredEvent);
    },

    async findEvent(threadId, key) {
      const row = await db
        .selectFrom('events')
        .select(['thread_id', 'seq', 'body', 'created_at'])
        .where('thread_id', '=', threadId)
        .where('client_id', '=', key)
        .executeTakeFirst();
      return row ? toEvent(row) : null;
    },
  };
}
