/** One unit of work for a thread; it should stop soon after `signal` aborts. */
export type ThreadJob = (signal: AbortSignal) => Promise<void>;

interface ThreadLane {
  running: { controller: AbortController; done: Promise<void> } | undefined;
  queued: ThreadJob[];
}

/**
 * Runs each thread's jobs one at a time, in the order they came; threads run independently.
 * Cancelling a thread aborts its running job and drops the jobs queued behind it.
 */
export class ThreadQueue {
  readonly #lanes = new Map<string, ThreadLane>();
  readonly #onError: (threadId: string, error: unknown) => void;

  /** `onError` hears about a job that threw (jobs are expected to report their own failures). */
  constructor(onError: (threadId: string, error: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  enqueue(threadId: string, job: ThreadJob): void {
    const lane = this.#lanes.get(threadId) ?? { running: undefined, queued: [] };
    this.#lanes.set(threadId, lane);
    lane.queued.push(job);
    if (!lane.running) this.#next(threadId, lane);
  }

  /** Whether the thread has a job running. */
  isBusy(threadId: string): boolean {
    return this.#lanes.get(threadId)?.running !== undefined;
  }

  /** Aborts the running job and drops the queued ones; returns how many queued jobs were dropped. */
  cancel(threadId: string): { running: boolean; dropped: number } {
    const lane = this.#lanes.get(threadId);
    if (!lane) return { running: false, dropped: 0 };
    const dropped = lane.queued.length;
    lane.queued = [];
    lane.running?.controller.abort();
    return { running: lane.running !== undefined, dropped };
  }

  /** Cancels every thread and resolves once every running job has ended. */
  async cancelAll(): Promise<void> {
    const running: Promise<void>[] = [];
    for (const threadId of this.#lanes.keys()) {
      const lane = this.#lanes.get(threadId);
      this.cancel(threadId);
      if (lane?.running) running.push(lane.running.done);
    }
    await Promise.all(running);
  }

  #next(threadId: string, lane: ThreadLane): void {
    const job = lane.queued.shift();
    if (!job) {
      lane.running = undefined;
      this.#lanes.delete(threadId);
      return;
    }
    const controller = new AbortController();
    const done = (async () => {
      try {
        await job(controller.signal);
      } catch (error) {
        this.#onError(threadId, error);
      }
    })();
    lane.running = { controller, done };
    void done.then(() => this.#next(threadId, lane));
  }
}
