import { randomBytes } from 'node:crypto';
import { ToRuntimeMessageSchema, type ToRuntimeMessage } from '@remote-chat/protocol';
import type { Kysely, Transaction } from 'kysely';
import { num, type Database } from './schema.js';
import type { OutboundEntry } from './store.js';

type Db = Kysely<Database> | Transaction<Database>;

let counter = 0;
const process = randomBytes(4).toString('hex');

/** A key that sorts in the order this process takes messages (and roughly in time across processes). */
export function handoffKey(): string {
  counter = (counter + 1) % 1e9;
  return `${Date.now().toString().padStart(15, '0')}-${counter.toString().padStart(9, '0')}-${process}`;
}

/** Keeps messages for a runtime whose link another instance holds, in order. */
export async function insertHandoffs(db: Db, runtimeId: string, messages: readonly ToRuntimeMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map((message) => ({
    id: handoffKey(),
    runtime_id: runtimeId,
    message: JSON.stringify(message),
  }));
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('handoffs')
      .values(rows.slice(i, i + 200))
      .execute();
}

/**
 * Moves a runtime's handed-off messages into its outbox under link seqs from `firstSeq`, in one
 * transaction (so none is lost or numbered twice), and returns them.
 */
export function claimHandoffs(db: Kysely<Database>, runtimeId: string, firstSeq: number): Promise<OutboundEntry[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('handoffs')
      .select(['id', 'message'])
      .where('runtime_id', '=', runtimeId)
      .orderBy('id')
      .limit(500)
      .execute();
    if (rows.length === 0) return [];
    const deleted = await trx
      .deleteFrom('handoffs')
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .returning('id')
      .execute();
    // Another claim took them first (a lease that just moved): leave them to it.
    if (deleted.length !== rows.length) throw new Error(`handoffs of ${runtimeId} were claimed twice`);
    const entries = rows.map((row, index) => ({
      seq: firstSeq + index,
      message: ToRuntimeMessageSchema.parse(JSON.parse(row.message)),
    }));
    await trx
      .insertInto('outbound')
      .values(entries.map((e) => ({ runtime_id: runtimeId, seq: e.seq, message: JSON.stringify(e.message) })))
      .execute();
    return entries;
  });
}

/** Who holds a runtime's link and until when, or null. */
export interface Lease {
  instanceId: string;
  expiresAt: number;
}

/**
 * Takes a runtime's lease for `instanceId` until `now + ttlMs`: when it is free, expired or its
 * own, or always with `force` (a runtime that dialled this instance is here, whoever held it).
 */
export async function takeLease(
  db: Db,
  runtimeId: string,
  instanceId: string,
  ttlMs: number,
  force: boolean,
): Promise<boolean> {
  const now = Date.now();
  const taken = await db
    .insertInto('runtime_leases')
    .values({ runtime_id: runtimeId, instance_id: instanceId, expires_at: now + ttlMs })
    .onConflict((conflict) =>
      conflict
        .column('runtime_id')
        .doUpdateSet((eb) => ({
          instance_id: eb.ref('excluded.instance_id'),
          expires_at: eb.ref('excluded.expires_at'),
        }))
        .where((eb) =>
          force
            ? eb.lit(true)
            : eb.or([eb('runtime_leases.instance_id', '=', instanceId), eb('runtime_leases.expires_at', '<', now)]),
        ),
    )
    .returning('runtime_id')
    .executeTakeFirst();
  return taken !== undefined;
}

/** Extends this instance's leases on `runtimeIds`; returns the ids it still held. */
export async function renewLeases(db: Db, instanceId: string, runtimeIds: readonly string[], ttlMs: number) {
  if (runtimeIds.length === 0) return [];
  const rows = await db
    .updateTable('runtime_leases')
    .set({ expires_at: Date.now() + ttlMs })
    .where('instance_id', '=', instanceId)
    .where('runtime_id', 'in', runtimeIds)
    .returning('runtime_id')
    .execute();
  return rows.map((row) => row.runtime_id);
}

/** Lets go of this instance's leases on `runtimeIds` (all of them without). */
export async function releaseLeases(db: Db, instanceId: string, runtimeIds?: readonly string[]): Promise<void> {
  let query = db.deleteFrom('runtime_leases').where('instance_id', '=', instanceId);
  if (runtimeIds) {
    if (runtimeIds.length === 0) return;
    query = query.where('runtime_id', 'in', runtimeIds);
  }
  await query.execute();
}

export async function getLease(db: Db, runtimeId: string): Promise<Lease | null> {
  const row = await db
    .selectFrom('runtime_leases')
    .select(['instance_id', 'expires_at'])
    .where('runtime_id', '=', runtimeId)
    .executeTakeFirst();
  return row ? { instanceId: row.instance_id, expiresAt: num(row.expires_at) } : null;
}
