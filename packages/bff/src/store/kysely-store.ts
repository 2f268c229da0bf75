import type { Kysely } from 'kysely';
import { kyselyAuthStore } from './kysely-auth-store.js';
import { kyselyRuntimeStore } from './kysely-runtime-store.js';
import { kyselyThreadStore, type EventPaths } from './kysely-thread-store.js';
import { kyselyUsageStore } from './kysely-usage-store.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/**
 * The store over Kysely: the auth, runtime, thread and model-usage aggregates over one database. Their SQL is
 * the portable subset SQLite and Postgres share; the dialect differences (opening, pragmas, pools,
 * SQLite's prepared hot paths) live in `sqlite-store.ts` and `postgres-store.ts`.
 */
export function kyselyStore(
  db: Kysely<Database>,
  dialect: Store['dialect'],
  eventPaths?: (portable: EventPaths) => EventPaths,
): Store {
  return {
    dialect,
    unclean: false,
    close: () => db.destroy(),
    ...kyselyAuthStore(db),
    ...kyselyRuntimeStore(db),
    ...kyselyThreadStore(db, eventPaths),
    ...kyselyUsageStore(db),
  };
}
