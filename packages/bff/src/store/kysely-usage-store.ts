import { sql, type Kysely } from 'kysely';
import type { UsageTotals } from '@remote-chat/protocol';
import type { Database } from './schema.js';
import type { UsageStore, UsageSummary } from './usage-store.js';

/** The `thread_id` of calls that named no thread (a key column cannot be null on both databases alike). */
const NO_THREAD = '';

const num = (value: unknown): number => Number(value ?? 0);

/** The usage aggregate over Kysely: one row per user, day, runtime, thread and model, summed in place. */
export function kyselyUsageStore(db: Kysely<Database>): UsageStore {
  return {
    async recordUsage(entry) {
      await db
        .insertInto('model_usage')
        .values({
          user_id: entry.userId,
          day: entry.day,
          runtime_id: entry.runtimeId,
          thread_id: entry.threadId ?? NO_THREAD,
          model: entry.model,
          input_tokens: entry.inputTokens,
          output_tokens: entry.outputTokens,
          requests: 1,
        })
        .onConflict((oc) =>
          oc.columns(['user_id', 'day', 'runtime_id', 'thread_id', 'model']).doUpdateSet((eb) => ({
            input_tokens: eb('model_usage.input_tokens', '+', eb.ref('excluded.input_tokens')),
            output_tokens: eb('model_usage.output_tokens', '+', eb.ref('excluded.output_tokens')),
            requests: eb('model_usage.requests', '+', 1),
          })),
        )
        .execute();
    },

    async tokensOnDay(userId, day) {
      const row = await db
        .selectFrom('model_usage')
        .select((eb) => eb.fn.sum<string | number>(sql`input_tokens + output_tokens`).as('tokens'))
        .where('user_id', '=', userId)
        .where('day', '=', day)
        .executeTakeFirst();
      return num(row?.tokens);
    },

    async summarizeUsage(userId, day, threadLimit): Promise<UsageSummary> {
      const onDay = (column: 'input_tokens' | 'output_tokens' | 'requests') =>
        sql<string | number>`sum(case when day = ${day} then ${sql.ref(column)} else 0 end)`;
      const sums = db
        .selectFrom('model_usage')
        .select((eb) => [
          eb.fn.sum<string | number>('input_tokens').as('input'),
          eb.fn.sum<string | number>('output_tokens').as('output'),
          eb.fn.sum<string | number>('requests').as('calls'),
          onDay('input_tokens').as('day_input'),
          onDay('output_tokens').as('day_output'),
          onDay('requests').as('day_calls'),
        ])
        .where('user_id', '=', userId);
      const models = await sums.select('model').groupBy('model').execute();
      const threads = await sums
        .select(['thread_id', 'runtime_id'])
        .where('thread_id', '<>', NO_THREAD)
        .groupBy(['thread_id', 'runtime_id'])
        .orderBy(sql`sum(input_tokens + output_tokens)`, 'desc')
        .orderBy('thread_id')
        .limit(threadLimit)
        .execute();
      type Sums = {
        input: unknown;
        output: unknown;
        calls: unknown;
        day_input: unknown;
        day_output: unknown;
        day_calls: unknown;
      };
      const totals = (row: Sums): { today: UsageTotals; total: UsageTotals } => ({
        today: { inputTokens: num(row.day_input), outputTokens: num(row.day_output), requests: num(row.day_calls) },
        total: { inputTokens: num(row.input), outputTokens: num(row.output), requests: num(row.calls) },
      });
      const used = (entry: { total: UsageTotals }) => entry.total.inputTokens + entry.total.outputTokens;
      return {
        byModel: models.map((row) => ({ model: row.model, ...totals(row) })).sort((a, b) => used(b) - used(a)),
        byThread: threads.map((row) => ({ threadId: row.thread_id, runtimeId: row.runtime_id, ...totals(row) })),
      };
    },
  };
}
