/**
 * How long a model API asks to be left alone, from its answer's headers: `retry-after-ms` (OpenAI),
 * else `retry-after` in seconds or as an HTTP date. The BFF's gateway passes it on in its refusal;
 * the runtime's agents say it in the chat. Undefined when the answer names no time.
 *
 * @example retryAfterMs(new Headers({ 'retry-after': '2' })) // 2000
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const after = headers?.get('retry-after');
  if (!after) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
