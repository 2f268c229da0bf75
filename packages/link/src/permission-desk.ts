import { randomBytes } from 'node:crypto';
import type { EventBody, PermissionOption, PermissionQuestion } from '@remote-chat/protocol';

export type { PermissionQuestion } from '@remote-chat/protocol';

/** How a permission request was settled: an option a person chose, or denied (no answer in time, or Stop). */
export type PermissionOutcome =
  | { outcome: 'chosen'; option: PermissionOption }
  | { outcome: 'denied'; by: 'timeout' | 'stop' };

interface Pending {
  question: PermissionQuestion;
  settle: (outcome: PermissionOutcome) => void;
}

/**
 * The permission requests a host's agents are waiting on (a runtime's, or the BFF's self-run agents). `ask` emits a `permission.request`
 * and waits for the person's answer (the BFF stores it first and sends it as a `permission.answer`
 * message), for the timeout, or for the turn's Stop; the last two emit a denied
 * `permission.answer` themselves. The first way to settle a request wins; later answers find
 * nothing to settle.
 */
export class PermissionDesk {
  readonly #pending = new Map<string, Pending>();
  readonly #timeoutMs: number;

  /** @param timeoutMs An unanswered request is denied after this long. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Asks in the thread whose events `emit` publishes; resolves once the request is settled. */
  ask(
    threadId: string,
    question: PermissionQuestion,
    emit: (event: EventBody) => void,
    signal: AbortSignal,
  ): Promise<PermissionOutcome> {
    const requestId = `perm-${randomBytes(9).toString('base64url')}`;
    return new Promise<PermissionOutcome>((resolve) => {
      const key = keyOf(threadId, requestId);
      const deny = (by: 'timeout' | 'stop') => {
        emit({ kind: 'permission.answer', requestId, denied: true, by });
        settle({ outcome: 'denied', by });
      };
      const timer = setTimeout(() => deny('timeout'), this.#timeoutMs);
      const onAbort = () => deny('stop');
      const settle = (outcome: PermissionOutcome) => {
        if (!this.#pending.delete(key)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      this.#pending.set(key, { question, settle });
      emit({ kind: 'permission.request', requestId, ...question });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Whether a request of the thread is waiting for its answer here. */
  waiting(threadId: string, requestId: string): boolean {
    return this.#pending.has(keyOf(threadId, requestId));
  }

  /**
   * A person's answer (already stored by the BFF). Returns false when the request is no longer
   * waiting (it timed out, was stopped, or the runtime restarted since) or has no such option.
   */
  answer(threadId: string, requestId: string, optionId: string): boolean {
    const pending = this.#pending.get(keyOf(threadId, requestId));
    const option = pending?.question.options.find((candidate) => candidate.optionId === optionId);
    if (!pending || !option) return false;
    pending.settle({ outcome: 'chosen', option });
    return true;
  }
}

function keyOf(threadId: string, requestId: string): string {
  return `${threadId}\n${requestId}`;
}
