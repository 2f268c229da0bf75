import { join } from 'node:path';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** Postgres when a `postgres://` URL is given, otherwise SQLite in the data directory. */
export async function openStore(options: {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** SQLite only: see `SqliteStoreOptions.synchronous`. @default 'full' */
  sqliteSynchronous?: 'full' | 'normal' | undefined;
  /** Postgres only: told when an idle pooled connection fails. */
  onIdleError?: (error: Error) => void;
}): Promise<Store> {
  const url = options.databaseUrl;
  const synchronous = options.sqliteSynchronous ?? 'full';
  if (url && /^postgres(ql)?:\/\//.test(url))
    return openPostgresStore({
      connectionString: url,
      ...(options.onIdleError && { onIdleError: options.onIdleError }),
    });
  if (url?.startsWith('sqlite:')) return openSqliteStore({ file: url.slice('sqlite:'.length), synchronous });
  if (url) throw new Error(`DATABASE_URL must start with postgres:// or sqlite: (got "${url.split(':')[0]}:…")`);
  return openSqliteStore({ file: join(options.dataDir, 'remote-chat.db'), synchronous });
}
