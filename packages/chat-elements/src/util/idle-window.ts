import type { ConfigResponse, Runtime, RuntimeStatus } from '@remote-chat/protocol';
import { formatDuration } from './format.js';

/** Statuses in which a sandbox's idle window runs: it is up, and nothing has stopped it yet. */
const COUNTING: ReadonlySet<RuntimeStatus> = new Set(['ready', 'offline']);

/** A duration to the minute, at least one: "1 min", "12 min", "1 h 5 min". */
function minutes(ms: number): string {
  return formatDuration(Math.max(1, Math.ceil(ms / 60_000)) * 60_000);
}

/**
 * When a sandbox will be paused or stopped for sitting idle, in words: "Pauses after 1 h idle ·
 * in 12 min" where its provider pauses (`pausesWhenIdle` in `config.providers`), else "Stops after
 * …", or "· any moment now" once the window has run out; null for a machine (never stopped), a
 * runtime that is not up, or without the window (an older BFF) or its last activity.
 */
export function idleStopText(
  runtime: Runtime,
  config: Pick<ConfigResponse, 'providers' | 'limits'> | undefined,
  now: number,
): string | null {
  const idleTimeoutMs = config?.limits.idleTimeoutMs;
  if (runtime.kind !== 'sandbox' || !COUNTING.has(runtime.status) || !idleTimeoutMs || !runtime.lastActivityAt)
    return null;
  const left = Date.parse(runtime.lastActivityAt) + idleTimeoutMs - now;
  const when = left > 0 ? `in ${minutes(left)}` : 'any moment now';
  const pauses = config.providers.find((p) => p.id === runtime.provider)?.pausesWhenIdle === true;
  return `${pauses ? 'Pauses' : 'Stops'} after ${minutes(idleTimeoutMs)} idle · ${when}`;
}
