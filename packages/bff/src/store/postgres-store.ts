import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { kyselyStore } from './kysely-store.js';
import { migrate } from './migrations.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  connectionString: string;
  /** @default 10 */
  poolSize?: number;
  /** Told when an idle pooled connection fails. @default ignored */
  onIdleError?: (error: Error) => void;
}

/** Opens (and migrates) the Postgres store. Commits are durable once acknowledged (fsync'd WAL). */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
  // An idle connection that the server drops (a restart, a failover, an administrator) emits an
  // error on the pool; unhandled it would end the process. The pool replaces the connection, and
  // queries in flight fail on their own.
  pool.on('error', (error) => options.onIdleError?.(error));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db);
  return kyselyStore(db, 'postgres');
}
