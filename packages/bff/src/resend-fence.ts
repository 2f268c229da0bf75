/**
 * How long after an unclean start appends wait for a runtime's resend at most: the longest a
 * machine's dialler waits between tries (`LinkDialer`'s `maxDelayMs`).
 */
export const RESEND_WAIT_MS = 30_000;

/**
 * After an unclean stop of a store that shows events before they are durable (`EntryWriter`),
 * holds back what a runtime's threads get from anywhere but its link — a person's message, a
 * notice of the BFF's — until the runtime has resent what it had not had acknowledged, or
 * `waitMs` after the start at the latest.
 *
 * A power loss can undo a tail of a thread's events that browsers were shown, all from the
 * thread's runtime, which still holds them and resends them in order as its link comes back; they
 * get their old seqs again only if nothing else was stored in the thread first. A runtime that
 * stays away past `waitMs` may see those events stored after what came meanwhile.
 */
export class ResendFence {
  readonly #waiting = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  readonly #lifted = new Set<string>();
  #open = false;
  readonly #timer: NodeJS.Timeout;

  constructor(waitMs: number) {
    this.#timer = setTimeout(() => this.close(), waitMs);
    this.#timer.unref();
  }

  /** Resolves when appends to `runtimeId`'s threads may go ahead; null when they may now. */
  ready(runtimeId: string): Promise<void> | null {
    if (this.#open || this.#lifted.has(runtimeId)) return null;
    let waiting = this.#waiting.get(runtimeId);
    if (!waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#waiting.set(runtimeId, (waiting = { promise, resolve }));
    }
    return waiting.promise;
  }

  /** `runtimeId`'s link came back and everything it resent is stored. */
  lift(runtimeId: string): void {
    if (this.#open) return;
    this.#lifted.add(runtimeId);
    this.#waiting.get(runtimeId)?.resolve();
    this.#waiting.delete(runtimeId);
  }

  /** Lets everything through from now on. */
  close(): void {
    clearTimeout(this.#timer);
    this.#open = true;
    for (const waiting of this.#waiting.values()) waiting.resolve();
    this.#waiting.clear();
    this.#lifted.clear();
  }

  /** Whether appends may still be held. */
  get holding(): boolean {
    return !this.#open;
  }
}
