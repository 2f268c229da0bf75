import { isRetryable } from './errors.js';

/**
 * How a message that may not have reached the BFF is sent again (its client id makes that safe):
 * this many tries in all, the first pause this long, doubled after each failure, with jitter.
 */
export const SEND_RETRY = { attempts: 4, baseDelayMs: 400 } as const;

/**
 * Calls `send` until it succeeds, fails in a way that sending again cannot cure, or has failed
 * `attempts` times, pausing with backoff between tries; throws the last failure. The one retry
 * loop for messages: `sendMessage` runs it for its callers, the send queue for its messages.
 */
export async function retrySend<T>(send: () => Promise<T>, attempts: number, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error) || signal?.aborted) throw error;
      const delay = SEND_RETRY.baseDelayMs * 2 ** (attempt - 1);
      await sleep(delay / 2 + Math.random() * delay, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
