import type { UsageTotals } from '@remote-chat/protocol';

/** One model call's tokens, counted for its user, runtime, thread and model on a (UTC) day. */
export interface UsageEntry {
  userId: string;
  runtimeId: string;
  /** The thread the call named, if any. */
  threadId: string | null;
  /** The configured model id. */
  model: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  inputTokens: number;
  outputTokens: number;
}

/** A user's usage summed per model or per thread: over all days, and on one day. */
export interface UsageSummary {
  byModel: { model: string; today: UsageTotals; total: UsageTotals }[];
  byThread: { threadId: string; runtimeId: string; today: UsageTotals; total: UsageTotals }[];
}

/**
 * Model usage through the execution gateway. Kept apart from runtimes and threads on purpose:
 * deleting a runtime or a thread does not give a user's budget back.
 */
export interface UsageStore {
  /** Adds one call to the counts of its user, day, runtime, thread and model. */
  recordUsage(entry: UsageEntry): Promise<void>;
  /** Input plus output tokens a user used on `day`. */
  tokensOnDay(userId: string, day: string): Promise<number>;
  /** A user's usage per model and per thread (most used first, at most `threadLimit` threads), with `day`'s share. */
  summarizeUsage(userId: string, day: string, threadLimit: number): Promise<UsageSummary>;
}

/** The UTC day of a moment, as usage counts it. */
export function usageDay(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}
