import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.js';

/**
 * Migrations in order. They run on SQLite and Postgres alike, so they use only types both have
 * (text, integer, bigint) and keep JSON in text columns.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_external_id').on('users').column('external_id').unique().execute();

      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('signin_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('runtimes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('repo', 'text')
        .addColumn('branch', 'text')
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('log_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('provider_state', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('info', 'text')
        .addColumn('link_received', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('runtimes_user').on('runtimes').column('user_id').execute();

      await db.schema
        .createTable('runtime_log')
        .addColumn('runtime_id', 'text', (c) => c.notNull().references('runtimes.id').onDelete('cascade'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('runtime_log_pk', ['runtime_id', 'seq'])
        .execute();

      await db.schema
        .createTable('threads')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('runtime_id', 'text', (c) => c.notNull().references('runtimes.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('titled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('threads_runtime').on('threads').column('runtime_id').execute();

      await db.schema
        .createTable('events')
        .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('events_pk', ['thread_id', 'seq'])
        .execute();
      await db.schema
        .createIndex('events_client_id')
        .on('events')
        .columns(['thread_id', 'client_id'])
        .unique()
        .execute();
    },
  },
  '0002_tokens': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();
      await db.schema
        .createTable('stream_tickets')
        .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('origin', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0003_token_scopes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('api_tokens')
        .addColumn('scope', 'text', (c) => c.notNull().defaultTo('full'))
        .execute();
      await db.schema.alterTable('api_tokens').addColumn('issuer_id', 'text').execute();
    },
  },
  '0005_outbound': {
    async up(db: Kysely<unknown>) {
      // What the BFF sends a runtime, kept until the runtime acknowledges it (the BFF's link outbox).
      await db.schema
        .createTable('outbound')
        .addColumn('runtime_id', 'text', (c) => c.notNull().references('runtimes.id').onDelete('cascade'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('outbound_pk', ['runtime_id', 'seq'])
        .execute();
      await db.schema
        .alterTable('runtimes')
        .addColumn('outbound_acked', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  // After 0005: a database that already ran 0005 must still take this one (Kysely refuses a new
  // migration ordered before one it ran).
  '0006_stream_ticket_credential': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('stream_tickets').addColumn('credential', 'text').execute();
    },
  },
  '0007_model_usage': {
    async up(db: Kysely<unknown>) {
      // Model tokens per user and day (the budget), runtime, thread and model; see ModelUsageTable.
      await db.schema
        .createTable('model_usage')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('runtime_id', 'text', (c) => c.notNull())
        .addColumn('thread_id', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('input_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('output_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('requests', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('model_usage_pk', ['user_id', 'day', 'runtime_id', 'thread_id', 'model'])
        .execute();
    },
  },
  '0008_agent_tokens': {
    async up(db: Kysely<unknown>) {
      // Thread tokens for self-run agents; deleting the thread (or its runtime) deletes them.
      await db.schema
        .createTable('agent_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('agent_tokens_thread').on('agent_tokens').column('thread_id').execute();
    },
  },
  '0009_runtime_last_activity': {
    async up(db: Kysely<unknown>) {
      // When a runtime was last used, for the Runtimes page; null for runtimes made before.
      await db.schema.alterTable('runtimes').addColumn('last_activity_at', 'text').execute();
    },
  },
  '0010_thread_issue': {
    async up(db: Kysely<unknown>) {
      // The GitHub issue a thread started from (ThreadIssue as JSON), or null.
      await db.schema.alterTable('threads').addColumn('issue', 'text').execute();
    },
  },
  '0012_thread_archived': {
    async up(db: Kysely<unknown>) {
      // When the user archived the thread, or null (not archived).
      await db.schema.alterTable('threads').addColumn('archived_at', 'text').execute();
    },
  },
  '0013_cluster_leases': {
    async up(db: Kysely<unknown>) {
      // Several instances on one Postgres: which one holds a runtime's link, and the messages
      // another instance took for it until the holder numbers them into its outbox.
      await db.schema
        .createTable('runtime_leases')
        .addColumn('runtime_id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('handoffs')
        // Ordered by id: the time it was taken, then a counter (handoffKey).
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('runtime_id', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('handoffs_runtime').on('handoffs').columns(['runtime_id', 'id']).execute();
    },
  },
  '0014_events_client_id_partial': {
    async up(db: Kysely<unknown>) {
      // Only user messages and permission events have a unique key (`uniqueKeyOf`): the index
      // leaves out every other event, so appending one updates two trees, not three (SQLite
      // stores a row of 50,000 about a quarter faster). Lookups by key (`client_id = ?` or `in`)
      // imply the condition, so both dialects still use it.
      await db.schema.dropIndex('events_client_id').execute();
      await db.schema
        .createIndex('events_client_id')
        .on('events')
        .columns(['thread_id', 'client_id'])
        .unique()
        .where(sql.ref('client_id'), 'is not', null)
        .execute();
    },
  },
};

const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Runs the migrations that have not run yet; throws with the failing migration's error. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`store migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, {
      cause: error,
    });
  }
}
