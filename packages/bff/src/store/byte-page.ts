import { sql, type RawBuilder } from 'kysely';

/** A store page read with no bound in bytes: only the row limit counts. */
export const UNBOUNDED_BYTES = Number.MAX_SAFE_INTEGER;

/**
 * The last seq of a page of entries after `after` that holds at most `limit` rows and at most
 * `maxBytes` bytes of bodies, the first row always included (it may be larger on its own). Only
 * the bodies' sizes are read here (`octet_length` looks at a value's header, not its content), so
 * a reader far behind on a thread of large events never loads more than it is sent.
 */
export function pageEnd(
  table: 'events' | 'runtime_log',
  owner: { column: 'thread_id' | 'runtime_id'; id: string },
  after: number,
  limit: number,
  maxBytes: number,
): RawBuilder<number> {
  return sql<number>`(SELECT MAX(seq) FROM (
    SELECT seq, SUM(octet_length(body)) OVER (ORDER BY seq) - octet_length(body) AS before
    FROM ${sql.table(table)}
    WHERE ${sql.ref(owner.column)} = ${owner.id} AND seq > ${after} AND seq <= ${after + limit}
  ) AS page WHERE before < ${maxBytes})`;
}
