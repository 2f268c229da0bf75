import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ThreadEvent } from '@remote-chat/protocol';
import { AppendBatch } from './append-batch.js';
import { UNBOUNDED_BYTES } from './byte-page.js';
import { kyselyStore } from './kysely-store.js';
import { toEvent, type EventPaths } from './kysely-thread-store.js';
import { migrate } from './migrations.js';
import { now, type Database } from './schema.js';
import type { AppendResult, Store } from './store.js';
import { WalSync } from './wal-sync.js';

export interface SqliteStoreOptions {
  /** The database file; `:memory:` for a throwaway store. */
  file: string;
  /**
   * `full`: what is acknowledged survives a power loss. Every commit is synced before it resolves,
   * except an append of events, which resolves at its commit and is synced after it, in groups, off
   * the event loop (`durable()`, `WalSync`). `normal`: nothing is synced; a process kill loses
   * nothing, a power loss may lose the last commits (WAL's usual trade).
   * @default 'full'
   */
  synchronous?: 'full' | 'normal';
  /** With `synchronous: 'full'`: hears the size of the write-ahead log each sync covered (tests). */
  onSynced?: (walBytes: number) => void;
}

/** Rows per multi-row INSERT of a batch of events (the rest of the batch goes a row at a time). */
const INSERT_ROWS = 8;

interface StoredRow {
  thread_id: string;
  seq: number;
  body: string;
  created_at: string;
}

/**
 * SQLite's own event paths: prepared statements for the two hot paths, the append of events and
 * the read of a page of them. better-sqlite3 is synchronous, so an append runs as one synchronous
 * transaction that nothing can interleave with. With `wal`, an append commits without a sync and
 * `wal` makes it durable afterwards; every other write still syncs at its commit.
 */
function sqliteEventPaths(database: Sqlite.Database, wal: WalSync | null) {
  return (portable: EventPaths): EventPaths => {
    const byClientId = database.prepare<[string, string], StoredRow>(
      'SELECT thread_id, seq, body, created_at FROM events WHERE thread_id = ? AND client_id = ?',
    );
    const bump = database.prepare<[number, string, string], { last_seq: number }>(
      'UPDATE threads SET last_seq = last_seq + ?, updated_at = ? WHERE id = ? RETURNING last_seq',
    );
    const insert = database.prepare<[string, number, string, string, string | null, string]>(
      'INSERT INTO events (thread_id, seq, kind, body, client_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // Rows of a batch go INSERT_ROWS to a statement: SQLite then stores a row about a fifth faster
    // than one statement a row (the statement's own steps are paid once for all of them).
    const insertRows = database.prepare<[Array<string | number | null>]>(
      `INSERT INTO events (thread_id, seq, kind, body, client_id, created_at) VALUES ${Array.from(
        { length: INSERT_ROWS },
        () => '(?, ?, ?, ?, ?, ?)',
      ).join(', ')}`,
    );
    const outbound = database.prepare<[string, number, string]>(
      'INSERT INTO outbound (runtime_id, seq, message) VALUES (?, ?, ?) ON CONFLICT (runtime_id, seq) DO NOTHING',
    );
    const receipt = database.prepare<[number, string, number]>(
      'UPDATE runtimes SET link_received = ? WHERE id = ? AND link_received < ?',
    );
    // The page of `pageEnd` (byte-page.ts), as one prepared statement. Rows come as arrays and
    // without the thread id (the caller's): a replay reads a hundred pages of them, and building a
    // row object per event was a third of the read.
    const page = database
      .prepare<[{ thread: string; after: number; last: number; maxBytes: number }], [number, string, string]>(
        `SELECT seq, body, created_at FROM events
       WHERE thread_id = @thread AND seq > @after AND seq <= (SELECT MAX(seq) FROM (
         SELECT seq, SUM(octet_length(body)) OVER (ORDER BY seq) - octet_length(body) AS before
         FROM events WHERE thread_id = @thread AND seq > @after AND seq <= @last
       ) WHERE before < @maxBytes)
       ORDER BY seq`,
      )
      .raw(true);

    function append(batch: AppendBatch): AppendResult[] {
      const stored = new Map<string, ThreadEvent>();
      for (const clientId of batch.clientIds()) {
        const row = byClientId.get(batch.threadId, clientId);
        if (row) stored.set(clientId, toEvent(row));
      }
      const fresh = batch.plan(stored);
      const at = batch.at ?? now();
      if (fresh === 0) return batch.results(0, at);
      const bumped = bump.get(fresh, at, batch.threadId);
      if (!bumped) throw new Error(`thread ${batch.threadId} does not exist`);
      const first = bumped.last_seq - fresh + 1;
      const rows = batch.rows(first, at);
      let next = 0;
      for (; next + INSERT_ROWS <= rows.length; next += INSERT_ROWS) {
        const values: Array<string | number | null> = [];
        for (let k = next; k < next + INSERT_ROWS; k++) {
          const row = rows[k]!;
          values.push(row.thread_id, row.seq, row.kind, row.body, row.client_id, row.created_at);
        }
        insertRows.run(values);
      }
      for (const row of rows.slice(next)) {
        insert.run(row.thread_id, row.seq, row.kind, row.body, row.client_id, row.created_at);
      }
      const latest = batch.latestReceipt();
      if (latest) receipt.run(latest.seq, latest.runtimeId, latest.seq);
      const results = batch.results(first, at);
      for (const row of batch.outboundRows(results)) outbound.run(row.runtime_id, row.seq, row.message);
      return results;
    }

    // Made once: better-sqlite3 builds a transaction function (and its variants) at each call.
    const appendInTransaction = database.transaction(append);

    return {
      async appendEvents(threadId, items, at) {
        // Kysely's transactions share this connection; while one is open, take its path instead.
        if (database.inTransaction) return portable.appendEvents(threadId, items, at);
        // A message handed to another instance's link (cluster/leases.ts) is rare: the portable path writes it.
        // So is a thread moving to another runtime (`POST /threads/:id/move`).
        if (items.some((item) => item.handoff || item.moveTo || item.rewriteOutbound))
          return portable.appendEvents(threadId, items, at);
        const batch = new AppendBatch(threadId, items, at);
        if (!wal) return appendInTransaction(batch);
        // Not through prepared statements: SQLite may apply a pragma when it is prepared.
        database.exec('PRAGMA synchronous = NORMAL');
        try {
          return appendInTransaction(batch);
        } finally {
          database.exec('PRAGMA synchronous = FULL');
          wal.committed();
        }
      },
      durable: () => wal?.durable() ?? portable.durable(),
      async listStoredEvents(threadId, after, limit, maxBytes = UNBOUNDED_BYTES) {
        return page
          .all({ thread: threadId, after, last: after + limit, maxBytes })
          .map(([seq, bodyJson, at]) => ({ threadId, seq, at, bodyJson }));
      },
    };
  };
}

/** Opens (and migrates) the SQLite store: WAL journal, foreign keys on, a busy timeout. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const synced = (options.synchronous ?? 'full') === 'full' && options.file !== ':memory:';
  // SQLite removes its log when the last connection closes: one left behind was not closed.
  const unclean = synced && (statSync(`${options.file}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0;
  const database = new Sqlite(options.file);
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${(options.synchronous ?? 'full').toUpperCase()}`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  await migrate(db);
  // Migrated, the log exists.
  const wal = synced ? new WalSync(options.file, options.onSynced) : null;
  const store = kyselyStore(db, 'sqlite', sqliteEventPaths(database, wal));
  return {
    ...store,
    unclean,
    async close() {
      await wal?.close();
      await store.close();
    },
  };
}
