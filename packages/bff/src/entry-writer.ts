import {
  streamTopic,
  threadTitleFrom,
  type EventBody,
  type LogBody,
  type LogEntry,
  type RuntimeAgent,
  type Thread,
  type ThreadEvent,
} from '@remote-chat/protocol';
import type { Hub } from './hub.js';
import { KeyedQueue } from './keyed-queue.js';
import type { AppendItem, AppendResult, RuntimeStore, ThreadRecord, ThreadStore } from './store/store.js';

/** The messages a runtime's `threads:` subscribers get. */
export type ThreadsMessage = { type: 'thread'; thread: Thread } | { type: 'thread-removed'; id: string };

/** A thread as the API shows it, with the self-run agents connected to it now (if any). */
export function publicThread(record: ThreadRecord, agents: readonly RuntimeAgent[] = []): Thread {
  const { userId: _user, titled: _titled, ...thread } = record;
  return agents.length ? { ...thread, agents: [...agents] } : thread;
}

interface PendingBatch {
  thread: Pick<ThreadRecord, 'id' | 'runtimeId' | 'titled'>;
  items: Array<AppendItem & { resolve: (result: AppendResult) => void; reject: (error: unknown) => void }>;
}

/**
 * Writes the hub's seq entries, thread events and runtime-log entries: stores each, then publishes
 * it. Append-then-publish is serialised per topic, so subscribers see entries in seq order as they
 * are committed. (Not the runtime's turn journal, which records turns on the runtime's disk.)
 */
export class EntryWriter {
  private readonly queue = new KeyedQueue();
  /** Events waiting for the next commit of their thread. */
  private readonly pending = new Map<string, PendingBatch>();

  constructor(
    private readonly store: ThreadStore & Pick<RuntimeStore, 'appendLog'>,
    private readonly hub: Hub<ThreadEvent | LogEntry>,
    /** Hears each commit: what, how many entries were new and how long it took (metrics). */
    private readonly observe: (kind: 'thread' | 'log', stored: number, seconds: number) => void = () => undefined,
  ) {}

  /**
   * Stores an event and publishes it. Appends to one thread that arrive while a commit is in
   * flight are stored together in the next transaction (a group commit), so a fast producer costs
   * one fsync per batch rather than per event; each caller still resolves with its own result.
   */
  appendEvent(
    thread: Pick<ThreadRecord, 'id' | 'runtimeId' | 'titled'>,
    body: EventBody,
    link: Pick<AppendItem, 'receipt' | 'outbound' | 'handoff' | 'moveTo' | 'rewriteOutbound'> = {},
  ): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      let batch = this.pending.get(thread.id);
      if (!batch) {
        batch = { thread, items: [] };
        this.pending.set(thread.id, batch);
        // Commit after the frames that arrived in this turn of the event loop have joined the
        // batch: a synchronous store (SQLite) would otherwise commit each event on its own.
        void this.queue.run(streamTopic.thread(thread.id), async () => {
          await new Promise((resolve) => setImmediate(resolve));
          await this.commit(thread.id);
        });
      }
      batch.items.push({ body, ...link, resolve, reject });
    });
  }

  /** Commits a thread's pending batch; failures after the commit are only logged by the queue. */
  private async commit(threadId: string): Promise<void> {
    const batch = this.pending.get(threadId);
    if (!batch) return;
    this.pending.delete(threadId);
    const { thread, items } = batch;
    let results: AppendResult[];
    const started = performance.now();
    try {
      results = await this.store.appendEvents(threadId, items);
      this.observe('thread', results.filter((r) => r.created).length, (performance.now() - started) / 1000);
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    const topic = streamTopic.thread(threadId);
    for (const result of results) if (result.created) this.hub.publish(topic, result.event);
    for (const [index, item] of items.entries()) item.resolve(results[index]!);

    // The thread list shows activity once per user message or agent turn, not per output chunk;
    // the first message names an untitled thread.
    const created = items.filter((_, index) => results[index]!.created).map((item) => item.body);
    const first = results[0]?.created && results[0].event.seq === 1 ? items[0]!.body : null;
    let updated: ThreadRecord | null = null;
    if (first?.kind === 'message.user' && !thread.titled) {
      updated = await this.store.updateThread(threadId, { title: threadTitleFrom(first.text), titled: false });
    }
    if (updated || created.some((body) => body.kind === 'message.user' || body.kind === 'status')) {
      updated ??= await this.store.getThread(threadId);
      if (updated) this.notifyThread(updated);
    }
  }

  appendLog(runtimeId: string, body: LogBody): Promise<LogEntry> {
    const topic = streamTopic.runtimeLog(runtimeId);
    return this.queue.run(topic, async () => {
      const started = performance.now();
      const entry = await this.store.appendLog(runtimeId, body);
      this.observe('log', 1, (performance.now() - started) / 1000);
      this.hub.publish(topic, entry);
      return entry;
    });
  }

  /** The self-run agents connected to a thread on this instance (set once `ThreadAgents` exists). */
  threadAgentsOf: (threadId: string) => readonly RuntimeAgent[] = () => [];

  /** A thread as the API and the stream show it. */
  view(thread: ThreadRecord): Thread {
    return publicThread(thread, this.threadAgentsOf(thread.id));
  }

  /** Tells a runtime's thread-list subscribers that a thread was made or changed. */
  notifyThread(thread: ThreadRecord): void {
    this.hub.notify(streamTopic.threads(thread.runtimeId), {
      type: 'thread',
      thread: this.view(thread),
    } satisfies ThreadsMessage);
  }

  /** Tells a runtime's thread-list subscribers that a thread was deleted. */
  notifyThreadRemoved(thread: ThreadRecord): void {
    this.hub.notify(streamTopic.threads(thread.runtimeId), {
      type: 'thread-removed',
      id: thread.id,
    } satisfies ThreadsMessage);
  }

  /** Waits for every queued append. */
  drain(): Promise<void> {
    return this.queue.drain();
  }
}
