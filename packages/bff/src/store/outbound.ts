import type { Kysely, Transaction } from 'kysely';
import { ToRuntimeMessageSchema } from '@remote-chat/protocol';
import type { OutboundRow } from './append-batch.js';
import { num, type Database } from './schema.js';
import type { OutboundEntry, OutboundState } from './store.js';

/**
 * The queries of the BFF's stored link outbox (table `outbound`, and `runtimes.outbound_acked`),
 * shared by every store. What a runtime has not acknowledged is kept as rows under their link
 * seqs; an acknowledgement deletes them and moves `outbound_acked` up.
 */
type Db = Kysely<Database> | Transaction<Database>;

export function outboundRows(runtimeId: string, entries: readonly OutboundEntry[]): OutboundRow[] {
  return entries.map((entry) => ({ runtime_id: runtimeId, seq: entry.seq, message: JSON.stringify(entry.message) }));
}

/** Inserts rows; a seq already kept stays as it is (the same message, written twice). */
export async function insertOutbound(db: Db, rows: readonly OutboundRow[]): Promise<void> {
  // Chunked well under SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('outbound')
      .values(rows.slice(i, i + 200))
      .onConflict((conflict) => conflict.columns(['runtime_id', 'seq']).doNothing())
      .execute();
  }
}

/** Keeps `entries` under their seqs in place of what was kept there (inserting any that were not). */
export async function rewriteOutbound(db: Db, runtimeId: string, entries: readonly OutboundEntry[]): Promise<void> {
  for (const row of outboundRows(runtimeId, entries)) {
    await db
      .insertInto('outbound')
      .values(row)
      .onConflict((conflict) => conflict.columns(['runtime_id', 'seq']).doUpdateSet({ message: row.message }))
      .execute();
  }
}

export async function loadOutbound(db: Db, runtimeId: string): Promise<OutboundState> {
  const runtime = await db
    .selectFrom('runtimes')
    .select('outbound_acked')
    .where('id', '=', runtimeId)
    .executeTakeFirst();
  const ackedUpTo = runtime ? num(runtime.outbound_acked) : 0;
  const rows = await db
    .selectFrom('outbound')
    .select(['seq', 'message'])
    .where('runtime_id', '=', runtimeId)
    .where('seq', '>', ackedUpTo)
    .orderBy('seq')
    .execute();
  // Written by this BFF from validated messages; checked again because a bad row would be resent forever.
  const entries = rows.map((row) => ({
    seq: num(row.seq),
    message: ToRuntimeMessageSchema.parse(JSON.parse(row.message)),
  }));
  return { lastSeq: Math.max(ackedUpTo, entries.at(-1)?.seq ?? 0), ackedUpTo, entries };
}

export async function ackOutbound(db: Db, runtimeId: string, upTo: number): Promise<void> {
  await db.deleteFrom('outbound').where('runtime_id', '=', runtimeId).where('seq', '<=', upTo).execute();
  await db
    .updateTable('runtimes')
    .set({ outbound_acked: upTo })
    .where('id', '=', runtimeId)
    .where('outbound_acked', '<', upTo)
    .execute();
}

export async function replaceOutbound(db: Db, runtimeId: string, state: OutboundState): Promise<void> {
  await db.deleteFrom('outbound').where('runtime_id', '=', runtimeId).execute();
  await db.updateTable('runtimes').set({ outbound_acked: state.ackedUpTo }).where('id', '=', runtimeId).execute();
  await insertOutbound(db, outboundRows(runtimeId, state.entries));
}
