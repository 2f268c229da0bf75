import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { KyselyStore, migrate } from './kysely-store.js';
import type { Database } from './schema.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  connectionString: string;
  /** @default 10 */
  poolSize?: number;
}

/** Opens (and migrates) the Postgres store. Commits are durable once acknowledged (fsync'd WAL). */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<KyselyStore> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db);
  return new KyselyStore(db, 'postgres');
}
