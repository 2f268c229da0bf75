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
import { setImmediate as nextCheckPhase, setTimeout as sleep } from 'node:timers/promises';
import type { EntryHub } from './stream.js';
import { KeyedQueue } from './keyed-queue.js';
import type { ResendFence } from './resend-fence.js';
import { uniqueKeyOf } from './store/append-batch.js';
import type { AppendItem, AppendResult, RuntimeStore, ThreadRecord, ThreadStore } from './store/store.js';
import { withStoreFields } from './store/stored-event.js';

/** The messages a runtime's `threads:` subscribers get. */
export type ThreadsMessage = { type: 'thread'; thread: Thread } | { type: 'thread-removed'; id: string };

/** A thread as the API shows it, with the self-run agents connected to it now (if any). */
export function publicThread(record: ThreadRecord, agents: readonly RuntimeAgent[] = []): Thread {
  const { userId: _user, titled: _titled, ...thread } = record;
  return agents.length ? { ...thread, agents: [...agents] } : thread;
}

/**
 * How long a batch of a runtime's events, shown as they arrived, stays open before its commit
 * (`EntryWriter.commit`). A millisecond: the process sleeps, so what its frames woke runs first.
 */
const EARLY_COMMIT_WAIT_MS = 1;

type PendingItem = AppendItem & { resolve: (result: AppendResult) => void; reject: (error: unknown) => void };

interface PendingBatch {
  thread: Pick<ThreadRecord, 'id' | 'runtimeId' | 'titled'>;
  items: PendingItem[];
  /**
   * The batch's events numbered and shown as they arrived, one per item (`numberAhead`), or null:
   * numbered, if at all, at its commit.
   */
  early: ThreadEvent[] | null;
}

/** A thread's events committed but not yet durable, as far as showing them goes. */
interface Unsettled {
  /** The runtime whose events were shown before they were durable, if any are. */
  shownFrom: string | null;
  /** Commits shown and not yet durable. */
  shownCommits: number;
  /** Commits held back until they are durable, in seq order. */
  held: Array<{ events: ThreadEvent[]; durable: boolean }>;
}

export interface EntryWriterOptions {
  /** Hears each commit: what, how many entries were new and how long it took (metrics). */
  observe?: (kind: 'thread' | 'log', stored: number, seconds: number) => void;
  /** After an unclean stop: holds back appends that did not come over a link (`ResendFence`). */
  fence?: ResendFence | null;
  /**
   * Nothing but this writer appends to the store's threads (one BFF on SQLite, not a cluster): it
   * may then number a runtime's events itself and show them before their commit.
   */
  soleWriter?: boolean;
}

/**
 * The runtime whose link every item came in over (each carries its receipt), or null: such events
 * are in that runtime's outbox until acknowledged, so it sends them again after a crash.
 */
function linkOf(items: readonly AppendItem[]): string | null {
  const runtimeId = items[0]?.receipt?.runtimeId;
  return runtimeId !== undefined && items.every((item) => item.receipt?.runtimeId === runtimeId) ? runtimeId : null;
}

/**
 * Writes the hub's seq entries, thread events and runtime-log entries: stores each, then publishes
 * it. Append-then-publish is serialised per topic, so subscribers see entries in seq order as they
 * are committed. (Not the runtime's turn journal, which records turns on the runtime's disk.)
 *
 * An append resolves once its events are durable (`ThreadStore.durable`); that is when a runtime's
 * link acknowledges them and a request that wrote them is answered. They are shown earlier (at
 * their commit; on SQLite, where this writer numbers them, as they arrive, before the commits
 * queued ahead of theirs finish), when nothing can make that a lie: every event of the commit came over one runtime's
 * link, and the thread has no other event shown or waiting that is not durable yet. A power loss
 * can then only undo a tail of the thread's events that all came from that runtime, which it still
 * holds unacknowledged and sends again in the same order, so they are stored again with the seqs
 * they were shown with. Any other commit (a person's message, the BFF's own notices) is held back,
 * with what follows it in the thread, until it is durable: its seqs are withheld from replays too.
 */
export class EntryWriter {
  private readonly queue = new KeyedQueue();
  /** Events waiting for the next commit of their thread. */
  private readonly pending = new Map<string, PendingBatch>();
  /** Per thread: batches queued that are not numbered yet (their seqs come from the store). */
  private readonly unnumbered = new Map<string, number>();
  /** Threads with commits not yet durable. */
  private readonly unsettled = new Map<string, Unsettled>();
  /** Threads that committed in this turn of the event loop (cleared after it). */
  private readonly committedThisTurn = new Set<string>();
  /** With `soleWriter`: each thread's last seq this writer stored or numbered. */
  private readonly lastSeq = new Map<string, number>();
  private readonly observe: NonNullable<EntryWriterOptions['observe']>;
  /** After an unclean stop: holds back appends that did not come over a link (`ResendFence`). */
  readonly fence: ResendFence | null;
  private readonly soleWriter: boolean;

  constructor(
    private readonly store: ThreadStore & Pick<RuntimeStore, 'appendLog'>,
    private readonly hub: EntryHub,
    options: EntryWriterOptions = {},
  ) {
    this.observe = options.observe ?? (() => undefined);
    this.fence = options.fence ?? null;
    this.soleWriter = options.soleWriter ?? false;
  }

  /**
   * Stores an event and publishes it. The first append to a thread in a turn of the event loop
   * commits at once (a runtime's event shown as it arrived: once its frames left, see `commit`);
   * the ones that arrive after it in the same turn, or while its commit is in flight, are stored
   * together in the next transaction (a group commit), so a fast producer costs one transaction per
   * batch rather than per event. Each caller resolves with its own result, once the event is durable.
   */
  appendEvent(
    thread: Pick<ThreadRecord, 'id' | 'runtimeId' | 'titled'>,
    body: EventBody,
    link: Pick<AppendItem, 'receipt' | 'outbound' | 'handoff' | 'moveTo' | 'rewriteOutbound'> = {},
  ): Promise<AppendResult> {
    const fenced = link.receipt ? null : this.fence?.ready(thread.runtimeId);
    if (fenced) return fenced.then(() => this.appendEvent(thread, body, link));
    return new Promise<AppendResult>((resolve, reject) => {
      const item: PendingItem = { body, ...link, resolve, reject };
      let batch = this.pending.get(thread.id);
      // An item that cannot be shown as it arrives does not join a batch that was: it starts the next.
      if (batch?.early && !this.mayNumberOnArrival(thread.id, item, batch)) batch = undefined;
      if (!batch) {
        const early = this.mayNumberOnArrival(thread.id, item, null) ? [] : null;
        const queued: PendingBatch = (batch = { thread, items: [], early });
        this.pending.set(thread.id, queued);
        if (!early) this.unnumbered.set(thread.id, (this.unnumbered.get(thread.id) ?? 0) + 1);
        const topic = streamTopic.thread(thread.id);
        // Nothing of the thread is being stored: the writer is idle, not keeping up with a burst.
        const idle = !this.queue.busy(topic);
        void this.queue.run(topic, async () => {
          if (this.committedThisTurn.has(thread.id)) await nextCheckPhase();
          await this.commit(queued, idle);
        });
      }
      batch.items.push(item);
      if (batch.early) {
        // Shown now, before the commits queued ahead of it finish: numbered after them.
        // One time for the batch, as the store records it.
        const [event] = this.numberAhead(thread.id, [item], batch.early[0]?.at)!;
        if (batch.early.length === 0) this.showEarly(thread.id, item.receipt!.runtimeId, [event!], true);
        else this.hub.publishAhead(streamTopic.thread(thread.id), event!);
        batch.early.push(event!);
      }
    });
  }

  /**
   * Whether `item` may be numbered and shown as it arrives, in `batch` (null: a new batch): it came
   * over a runtime's link (as every event of the batch did), may be shown early (`mayShow`), can be
   * numbered ahead (`numberAhead`), and every batch queued ahead of it is numbered already.
   */
  private mayNumberOnArrival(threadId: string, item: PendingItem, batch: PendingBatch | null): boolean {
    const from = item.receipt?.runtimeId;
    if (from === undefined || uniqueKeyOf(item.body) !== null || !this.lastSeq.has(threadId)) return false;
    // Every item of a batch numbered on arrival came over its first item's link (checked here).
    if (batch) return batch.items[0]?.receipt?.runtimeId === from;
    return (this.unnumbered.get(threadId) ?? 0) === 0 && this.mayShow(threadId, from);
  }

  /** Commits a batch; failures after the commit are only logged by the queue. */
  private async commit(batch: PendingBatch, idle: boolean): Promise<void> {
    const { thread, items } = batch;
    const threadId = thread.id;
    if (batch.early) {
      // Shown already, so its commit can wait. When the writer was idle, the process sleeps for a
      // moment and whoever its frames woke (a proxy, browsers on this machine) runs first; in a
      // burst, the frames only leave (the stream uncorks on the next tick) before the commit blocks
      // the loop. Meanwhile the batch stays open: what arrives joins it, numbered and shown as it comes.
      await (idle ? sleep(EARLY_COMMIT_WAIT_MS) : nextCheckPhase());
    }
    if (this.pending.get(threadId) === batch) this.pending.delete(threadId);
    this.noteCommit(threadId);
    const from = linkOf(items);
    let early = batch.early;
    if (!early) {
      const left = (this.unnumbered.get(threadId) ?? 1) - 1;
      if (left > 0) this.unnumbered.set(threadId, left);
      else this.unnumbered.delete(threadId);
      early = this.mayShow(threadId, from) ? this.numberAhead(threadId, items) : null;
      if (early) {
        this.showEarly(threadId, from!, early, true);
        // The frames leave (the stream uncorks on the next tick) before the commit blocks the loop.
        await nextCheckPhase();
      }
    }
    let results: AppendResult[];
    const started = performance.now();
    try {
      results = await this.store.appendEvents(threadId, items, early?.[0]?.at);
      this.observe('thread', results.filter((r) => r.created).length, (performance.now() - started) / 1000);
    } catch (error) {
      this.lastSeq.delete(threadId);
      if (early) {
        this.hub.stored(streamTopic.thread(threadId), early[early.length - 1]!.seq);
        // What was shown of it is not in the store: a catch-up reads the store, not those.
        this.hub.forgetRecent(streamTopic.thread(threadId));
        this.settleShown(threadId);
      }
      for (const item of items) item.reject(error);
      return;
    }
    if (early) this.hub.stored(streamTopic.thread(threadId), early[early.length - 1]!.seq);
    const created = results.flatMap((result) => (result.created ? [result.event] : []));
    // Never back: batches after this one may be numbered already (as they arrived).
    const stored = created.at(-1)?.seq ?? 0;
    if (this.soleWriter && stored > (this.lastSeq.get(threadId) ?? 0)) this.lastSeq.set(threadId, stored);
    // Numbered as the store numbered them, or the next commit stores first and numbers from there.
    if (early?.some((event, index) => event.seq !== results[index]?.event.seq)) {
      this.lastSeq.delete(threadId);
      this.hub.forgetRecent(streamTopic.thread(threadId));
    }
    const durable = this.store.durable();
    if (early)
      durable.then(
        () => this.settleShown(threadId),
        () => this.settleShown(threadId),
      );
    else if (created.length > 0) this.show(threadId, from, created, durable);
    durable.then(
      () => {
        for (const [index, item] of items.entries()) item.resolve(results[index]!);
      },
      (error: unknown) => {
        for (const item of items) item.reject(error);
      },
    );

    // The thread list shows activity once per user message or agent turn, not per output chunk;
    // the first message names an untitled thread.
    const first = results[0]?.created && results[0].event.seq === 1 ? items[0]!.body : null;
    let updated: ThreadRecord | null = null;
    if (first?.kind === 'message.user' && !thread.titled) {
      updated = await this.store.updateThread(threadId, { title: threadTitleFrom(first.text), titled: false });
    }
    if (updated || created.some((event) => event.kind === 'message.user' || event.kind === 'status')) {
      updated ??= await this.store.getThread(threadId);
      if (updated) this.notifyThread(updated);
    }
  }

  /**
   * Resolves once every event of the thread shown so far is committed (a runtime's events are shown
   * as they arrive, before the commits queued ahead of theirs), so a read of the store has them.
   */
  shownStored(threadId: string): Promise<void> {
    const topic = streamTopic.thread(threadId);
    return this.queue.busy(topic) ? this.queue.run(topic, async () => undefined) : Promise.resolve();
  }

  /** The first seq of a thread not to be shown yet (held until durable), or Infinity. */
  shownBelow(threadId: string): number {
    return this.hub.shownBelow(streamTopic.thread(threadId));
  }

  /** Marks a thread as having committed in this turn of the event loop. */
  private noteCommit(threadId: string): void {
    if (this.committedThisTurn.size === 0) setImmediate(() => this.committedThisTurn.clear());
    this.committedThisTurn.add(threadId);
  }

  /** Whether events from `from` may be shown before they are durable (see the class). */
  private mayShow(threadId: string, from: string | null): from is string {
    const state = this.unsettled.get(threadId);
    return from !== null && (!state || (state.held.length === 0 && (state.shownFrom ?? from) === from));
  }

  /**
   * The events of a batch numbered from the thread's last seq, as the store will number them, when
   * this writer alone appends and knows that seq, and no event may turn out to be a repeat (a unique
   * key): a runtime's events can then be shown before their commit, which a process kill may undo as
   * a power loss may (the runtime resends them, and they are numbered the same again). Else null.
   */
  private numberAhead(
    threadId: string,
    items: readonly AppendItem[],
    at = new Date().toISOString(),
  ): ThreadEvent[] | null {
    const last = this.lastSeq.get(threadId);
    if (last === undefined || items.some((item) => uniqueKeyOf(item.body) !== null)) return null;
    this.lastSeq.set(threadId, last + items.length);
    return items.map((item, index) => withStoreFields(item.body, threadId, last + 1 + index, at));
  }

  /**
   * Publishes `from`'s events before they are durable (`ahead`: before their commit, too);
   * `settleShown` once they are.
   */
  private showEarly(threadId: string, from: string, events: readonly ThreadEvent[], ahead = false): void {
    const state = this.stateOf(threadId);
    const topic = streamTopic.thread(threadId);
    for (const event of events) {
      if (ahead) this.hub.publishAhead(topic, event);
      else this.hub.publish(topic, event);
    }
    state.shownFrom = from;
    state.shownCommits++;
  }

  /** A thread's unsettled state, made when it has none. */
  private stateOf(threadId: string): Unsettled {
    let state = this.unsettled.get(threadId);
    if (!state) this.unsettled.set(threadId, (state = { shownFrom: null, shownCommits: 0, held: [] }));
    return state;
  }

  /** A commit shown early is durable (or failed). */
  private settleShown(threadId: string): void {
    const state = this.unsettled.get(threadId);
    if (!state) return;
    state.shownCommits--;
    this.settle(threadId, state);
  }

  /** Publishes a commit's new events now, or holds them until `durable` (see the class). */
  private show(threadId: string, from: string | null, events: ThreadEvent[], durable: Promise<void>): void {
    if (this.mayShow(threadId, from)) {
      this.showEarly(threadId, from, events);
      durable.then(
        () => this.settleShown(threadId),
        () => this.settleShown(threadId),
      );
      return;
    }
    const topic = streamTopic.thread(threadId);
    const state = this.stateOf(threadId);
    const held = { events, durable: false };
    state.held.push(held);
    if (state.held.length === 1) this.hub.withhold(topic, events[0]!.seq);
    durable.then(
      () => {
        held.durable = true;
        this.settle(threadId, state);
      },
      // Never shown: the append's callers hear the failure.
      () => undefined,
    );
  }

  /** Publishes the held commits that are durable now, in order, and forgets what is settled. */
  private settle(threadId: string, state: Unsettled): void {
    const topic = streamTopic.thread(threadId);
    let released = false;
    while (state.held[0]?.durable) {
      released = true;
      for (const event of state.held.shift()!.events) this.hub.publish(topic, event);
    }
    if (released) this.hub.withhold(topic, state.held[0]?.events[0]?.seq ?? null);
    if (state.shownCommits === 0) state.shownFrom = null;
    if (state.shownCommits === 0 && state.held.length === 0 && this.unsettled.get(threadId) === state)
      this.unsettled.delete(threadId);
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
    this.lastSeq.delete(thread.id);
    this.hub.notify(streamTopic.threads(thread.runtimeId), {
      type: 'thread-removed',
      id: thread.id,
    } satisfies ThreadsMessage);
  }

  /** Waits for every queued append, and for what was committed to be durable. */
  async drain(): Promise<void> {
    await this.queue.drain();
    await this.store.durable().catch(() => undefined);
  }
}
