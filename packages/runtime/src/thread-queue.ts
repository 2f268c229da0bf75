/** One unit of work for a thread; it should stop soon after `signal` aborts. */
export type ThreadJob = (signal: AbortSignal) => Promise<void>;

interface QueuedJob {
  job: ThreadJob;
  /** Called instead of the job when a cancel drops it. */
  onDrop: (() => void) | undefined;
}

interface ThreadLane {
  running: { controller: AbortController; done: Promise<void> } | undefined;
  queued: QueuedJob[];
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

  /** Queues `job` behind the thread's others; `onDrop` hears if a cancel drops it before it ran. */
  enqueue(threadId: string, job: ThreadJob, onDrop?: () => void): void {
    const lane = this.#lanes.get(threadId) ?? { running: undefined, queued: [] };
    this.#lanes.set(threadId, lane);
    lane.queued.push({ job, onDrop });
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
    const dropped = lane.queued;
    lane.queued = [];
    lane.running?.controller.abort();
    for (const { onDrop } of dropped) {
      try {
        onDrop?.();
      } catch (error) {
        this.#onError(threadId, error);
      }
    }
    return { running: lane.running !== undefined, dropped: dropped.length };
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
    const job = lane.queued.shift()?.job;
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
