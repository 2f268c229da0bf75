import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { KyselyStore, migrate } from './kysely-store.js';
import type { Database } from './schema.js';

export interface SqliteStoreOptions {
  /** The database file; `:memory:` for a throwaway store. */
  file: string;
  /**
   * `full` fsyncs every commit, so an acknowledged event survives power loss; `normal` survives a
   * process kill but may lose the last commits on power loss (WAL's usual trade).
   * @default 'full'
   */
  synchronous?: 'full' | 'normal';
}

/** Opens (and migrates) the SQLite store: WAL journal, foreign keys on, a busy timeout. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<KyselyStore> {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const database = new Sqlite(options.file);
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${(options.synchronous ?? 'full').toUpperCase()}`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  await migrate(db);
  return new KyselyStore(db, 'sqlite');
}
