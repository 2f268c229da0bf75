import { LIMITS, type Topic } from '@remote-chat/protocol';

/**
 * The hub channel of a topic whose content differs per user (`runtimes`, each user's own list):
 * the topic plus the user id, so that fan-out never crosses users. Other topics are their own
 * channel: what they name belongs to one user already.
 */
export function userChannel(topic: Topic, userId: string): string {
  return `${topic}@${userId}`;
}

/** An entry of a seq topic: a thread event or a runtime-log entry. */
export interface SeqEntry {
  seq: number;
}

/**
 * Reads stored entries of a topic with a seq above `after`, in order: at most `limit` of them and
 * at most about `maxBytes` of stored bodies (always at least one entry if there is one). A page
 * may hold fewer than `limit` entries with more to come; only an empty page means the end.
 */
export type EntrySource<E extends SeqEntry> = (
  topic: string,
  after: number,
  limit: number,
  maxBytes: number,
) => Promise<E[]>;

/**
 * A subscriber's own replay: reads the topic's stored entries in a form of its choosing (a stream
 * takes thread events as stored, bodies unparsed) and takes them a page at a time.
 */
export interface ReplayPages<P extends SeqEntry> {
  /** Reads a page after `after`, as an `EntrySource` does for the subscriber's topic. */
  read: (after: number, limit: number, maxBytes: number) => Promise<P[]>;
  /** Takes a page: in seq order, following on from the last entry delivered, never empty. */
  deliver: (entries: P[]) => void;
}

export interface SubscribeOptions<E extends SeqEntry, P extends SeqEntry = E, K = E> {
  /** Deliver entries with a seq above this one. @default 0 */
  after?: number;
  /** Called once per entry, in seq order, never twice for one seq (unless `onKept` takes it). */
  onEntry: (entry: E) => void;
  /**
   * Takes an entry in the form the hub keeps it in (`RecentOptions.keep`, e.g. its frame), made
   * once for every subscriber: live entries, and those a subscriber that fell behind resumes from
   * memory. Without it, such a subscriber resumes from the store.
   */
  onKept?: (kept: K, seq: number) => void;
  /**
   * Replays (and catches up after a gap) through these instead of the hub's source and `onEntry`;
   * live entries still go to `onEntry` one by one. Every seq still reaches one of the two, once.
   */
  replay?: ReplayPages<P>;
  /** Called each time the subscriber has every stored entry and is on live delivery. */
  onCaughtUp?: (seq: number) => void;
  /** Called if reading the store fails; the subscription is closed. */
  onError?: (error: unknown) => void;
  /**
   * Awaited before each page of a replay, so a long replay goes at the reader's pace instead of
   * piling up in memory (a stream waits for its socket to drain).
   */
  beforePage?: () => Promise<void>;
  /**
   * True while the subscriber cannot take more live entries (a stream whose socket's queue is
   * long): it stops taking them, and reads them from the store a page at a time (after
   * `beforePage`) until it has caught up, so a reader that falls behind costs a page, not a queue.
   */
  behind?: () => boolean;
}

/**
 * Carries what one instance's hub publishes to the other instances of a cluster (`Relay` in
 * cluster/relay.ts): the highest seq of a seq topic (never the entries: the others read those
 * from the store), and plain-topic messages whole.
 */
export interface HubRelay {
  announce(topic: string, seq: number): void;
  broadcast(channel: string, message: unknown): void;
}

export interface Subscription {
  /** The seq of the last entry delivered. */
  readonly seq: number;
  close(): void;
}

interface PageSize {
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Rows and bytes per store read while replaying. The bytes bound what one subscriber holds
 * whatever the size of the events: a reader far behind on a thread of large outputs costs a page
 * of 256 KiB and its socket's queue, not a thousand rows of them.
 */
const PAGE: PageSize = { rows: 1000, bytes: 256 * 1024 };
/**
 * The first read of a replay or catch-up: small, so that the first entries are on their way
 * (and shown) before the larger pages are read. The stream's first `events` frame is this page.
 */
const FIRST_PAGE: PageSize = { rows: LIMITS.firstBatchEvents, bytes: 64 * 1024 };

/** How long (about, in ms) a catch-up waits for the commit of an entry published before it. */
const UNCOMMITTED_WAIT_MS = 2000;

/** Entries handed to subscribers by every hub of this process, for metrics. */
const deliveries = { count: 0 };

/** How many entries the hubs of this process handed to subscribers so far. */
export const deliveredEntries = (): number => deliveries.count;

/** What the hub sees of a subscriber of a seq topic. */
interface Follower<E extends SeqEntry, K> {
  readonly seq: number;
  /** A live entry, with its kept form if the hub keeps one. */
  offer(entry: E, kept: K | undefined): void;
}

/**
 * How much of each followed seq topic's latest entries the hub keeps in memory, so that a
 * subscriber that stopped taking live entries for a while (its socket's queue was long) resumes
 * from memory rather than from the store. Bounded per topic by entries, by weight (a stream weighs
 * an entry by its frame's bytes) and by age; kept only while the topic has subscribers.
 */
export interface RecentOptions<E extends SeqEntry, K> {
  /**
   * The form an entry is kept in, e.g. its frame: made once as it is fanned out, handed to every
   * subscriber (`onKept`), and all the hub holds of it. Holding the frame alone rather than the
   * entry's objects keeps what a busy topic leaves in memory small.
   */
  keep(topic: string, entry: E): K;
  /** A kept entry's weight, e.g. its frame's bytes. */
  weigh(kept: K): number;
  /** @default 4 MiB */
  maxWeight?: number;
  /** @default 16,384 */
  maxEntries?: number;
  /** Entries older than this are let go. @default 10 s */
  maxAgeMs?: number;
}

/** The bounds of what a hub keeps of each topic (`RecentOptions`). */
type RecentLimits = Required<Pick<RecentOptions<SeqEntry, unknown>, 'maxWeight' | 'maxEntries' | 'maxAgeMs'>>;

/** A topic's latest entries in their kept form, contiguous in seq, oldest first. */
class RecentEntries<K> {
  private entries: K[] = [];
  private weights: number[] = [];
  private times: number[] = [];
  /** Index of the oldest entry kept (the ones before it are let go, compacted now and then). */
  private head = 0;
  /** The seq of `entries[0]`. */
  private base = 0;
  private weight = 0;

  constructor(private readonly limits: RecentLimits) {}

  /** The seq of the newest entry kept, or 0. */
  private get last(): number {
    return this.entries.length > this.head ? this.base + this.entries.length - 1 : 0;
  }

  add(seq: number, entry: K, weight: number, now: number): void {
    const last = this.last;
    if (last && seq <= last) return;
    if (last && seq !== last + 1) this.clear();
    if (this.entries.length === 0) this.base = seq;
    this.entries.push(entry);
    this.weights.push(weight);
    this.times.push(now);
    this.weight += weight;
    this.trim(now);
  }

  /** Lets go of the oldest entries past the bounds. */
  trim(now: number): void {
    const { maxWeight, maxEntries, maxAgeMs } = this.limits;
    while (
      this.head < this.entries.length &&
      (this.weight > maxWeight ||
        this.entries.length - this.head > maxEntries ||
        this.times[this.head]! < now - maxAgeMs)
    ) {
      this.weight -= this.weights[this.head]!;
      this.head++;
    }
    if (this.head === this.entries.length) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.weights = this.weights.slice(this.head);
      this.times = this.times.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  get empty(): boolean {
    return this.head === this.entries.length;
  }

  /** Entries after `seq`, at most `size` of them by rows and weight (at least one); null when `seq + 1` is not kept. */
  after(seq: number, size: PageSize): K[] | null {
    if (this.empty) return null;
    const first = this.base + this.head;
    if (seq + 1 < first || seq > this.last) return null;
    const start = seq + 1 - this.base;
    let end = start;
    let weight = 0;
    while (end < this.entries.length && end - start < size.rows && (end === start || weight < size.bytes)) {
      weight += this.weights[end]!;
      end++;
    }
    return this.entries.slice(start, end);
  }

  private clear(): void {
    this.entries = [];
    this.weights = [];
    this.times = [];
    this.head = 0;
    this.weight = 0;
  }
}

/**
 * What a subscriber reads of its hub: one object per hub, so that a subscription (one per browser
 * and topic) holds a reference rather than closures of its own.
 */
interface HubView<E extends SeqEntry, K> {
  readonly source: EntrySource<E>;
  detach(topic: string, subscriber: Follower<E, K>): void;
  /** The first seq of the topic not to be shown yet (`Hub.withhold`), or Infinity. */
  shownBelow(topic: string): number;
  /** The highest seq of the topic published before its commit and not yet stored (`Hub.publishAhead`). */
  ahead(topic: string): number;
  /** Entries after `seq` kept in memory (`RecentOptions`), at most about `size`; null when `seq + 1` is not kept. */
  recentAfter(topic: string, seq: number, size: PageSize): readonly K[] | null;
  /** The highest seq of the topic fanned out here while it had subscribers. */
  latest(topic: string): number;
}

class SeqSubscriber<E extends SeqEntry, P extends SeqEntry, K> implements Subscription, Follower<E, K> {
  seq: number;
  closed = false;
  /** Reading from the store; live entries are not delivered directly meanwhile. */
  private catchingUp = false;
  /** A live entry arrived during a store read, which may have missed it: read again. */
  private missed = false;

  constructor(
    private readonly hub: HubView<E, K>,
    private readonly topic: string,
    private readonly options: SubscribeOptions<E, P, K>,
  ) {
    this.seq = options.after ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.detach(this.topic, this);
  }

  /** A live entry from `publish`. */
  offer(entry: E, kept: K | undefined): void {
    if (this.closed || entry.seq <= this.seq) return;
    if (this.catchingUp) {
      this.missed = true;
      return;
    }
    if (entry.seq === this.seq + 1 && !this.options.behind?.()) {
      if (kept !== undefined && this.options.onKept) {
        this.seq = entry.seq;
        deliveries.count++;
        this.options.onKept(kept, entry.seq);
      } else this.deliver(entry);
      return;
    }
    // A gap (something was published out of order or before we saw it), or a reader behind: the
    // store has it.
    void this.catchUp();
  }

  /**
   * Reads the store until it has nothing newer. An entry published during a read is either in
   * that read's result or flagged as missed and read again; the switch to live delivery happens
   * synchronously after a read that saw no publish. An entry may be published just before its
   * commit (`EntryWriter.numberAhead`): while the store lacks one already fanned out, it reads
   * again shortly (for a while: a commit that failed leaves it to the next entry to heal).
   */
  async catchUp(): Promise<void> {
    if (this.catchingUp || this.closed) return;
    this.catchingUp = true;
    try {
      let waited = 0;
      for (let size = FIRST_PAGE; ; size = PAGE) {
        await this.options.beforePage?.();
        if (this.closed) return;
        this.missed = false;
        const recent = this.options.onKept ? this.hub.recentAfter(this.topic, this.seq, size) : null;
        if (recent) {
          // A reader that paused for its socket, or read while the producer kept publishing: what
          // it lacks is still in memory, built once for every subscriber. Once it has everything
          // fanned out here it is live (what is stored and not fanned out yet will be).
          for (const kept of recent) {
            if (this.closed) return;
            this.seq++;
            deliveries.count++;
            this.options.onKept!(kept, this.seq);
          }
          if (this.seq >= this.hub.latest(this.topic)) break;
          if (recent.length > 0) continue;
        }
        const delivered = await this.readPage(size);
        if (this.closed) return;
        // A page cut short by its bytes is no sign of the end: only an empty read is.
        if (delivered > 0 || this.missed) continue;
        if (this.seq < this.hub.ahead(this.topic) && waited < UNCOMMITTED_WAIT_MS) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          waited++;
          continue;
        }
        break;
      }
    } catch (error) {
      this.catchingUp = false;
      this.options.onError?.(error);
      this.close();
      return;
    }
    this.catchingUp = false;
    this.options.onCaughtUp?.(this.seq);
  }

  /** Reads and delivers one page of at most `size`; resolves to the number of entries delivered. */
  private async readPage(size: PageSize): Promise<number> {
    const replay = this.options.replay;
    if (replay) {
      const page = this.fresh(await replay.read(this.seq, size.rows, size.bytes));
      if (this.closed || page.length === 0) return page.length;
      this.seq = page[page.length - 1]!.seq;
      deliveries.count += page.length;
      replay.deliver(page);
      return page.length;
    }
    const page = this.fresh(await this.hub.source(this.topic, this.seq, size.rows, size.bytes));
    for (const entry of page) {
      if (this.closed) break;
      this.deliver(entry);
    }
    return page.length;
  }

  /**
   * The entries of a store page after the last one delivered and before any withheld; throws on
   * a hole in their seqs.
   */
  private fresh<T extends SeqEntry>(page: T[]): T[] {
    let start = 0;
    while (start < page.length && page[start]!.seq <= this.seq) start++;
    const below = this.hub.shownBelow(this.topic);
    let end = start;
    for (; end < page.length && page[end]!.seq < below; end++) {
      const expected = this.seq + 1 + (end - start);
      if (page[end]!.seq !== expected)
        throw new Error(`${this.topic}: store skipped from ${expected - 1} to ${page[end]!.seq}`);
    }
    return start === 0 && end === page.length ? page : page.slice(start, end);
  }

  private deliver(entry: E): void {
    this.seq = entry.seq;
    deliveries.count++;
    this.options.onEntry(entry);
  }
}

/**
 * Per-topic fan-out with replay. Seq topics (`thread:ID`, `runtime-log:ID`) replay stored entries
 * after a seq and then go live with no gap and no duplicate; plain topics (`runtimes`,
 * `threads:ID`) only fan out what is published while listening.
 *
 * Writers must publish an entry only after it is committed (or with `publishAhead` just before,
 * then `stored`), and per topic in seq order (the writer serialises its appends per topic); the
 * subscriber still heals a gap from the store.
 */
export class Hub<E extends SeqEntry = SeqEntry, K = E> {
  private readonly seqTopics = new Map<string, Set<Follower<E, K>>>();
  private readonly plainTopics = new Map<string, Set<(message: unknown) => void>>();
  /** Per seq topic with subscribers: the highest seq fanned out here, whoever stored it. */
  private readonly known = new Map<string, number>();
  /** Seq topics being read after another instance's append; true: read again when done. */
  private readonly fetching = new Map<string, boolean>();
  /** Per seq topic: the first seq stored but not to be shown yet (`withhold`). */
  private readonly withheld = new Map<string, number>();
  /** Per seq topic: the highest seq published before its commit, until it is stored (`publishAhead`). */
  private readonly ahead = new Map<string, number>();
  private relay: HubRelay | undefined;
  private readonly view: HubView<E, K>;
  /** Per seq topic with subscribers, when `RecentOptions` are given: its latest entries, as kept. */
  private readonly recent = new Map<string, RecentEntries<K>>();
  private readonly recentLimits: RecentLimits | null;
  private recentSweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: EntrySource<E>,
    /** Hears a failed read after another instance's append (the next announcement or recheck retries). */
    private readonly onFetchError: (topic: string, error: unknown) => void = () => undefined,
    private readonly recentOptions?: RecentOptions<E, K>,
  ) {
    this.recentLimits = recentOptions
      ? {
          maxWeight: recentOptions.maxWeight ?? 4 * 1024 * 1024,
          maxEntries: recentOptions.maxEntries ?? 16_384,
          maxAgeMs: recentOptions.maxAgeMs ?? 10_000,
        }
      : null;
    this.view = {
      source,
      detach: (topic, subscriber) => this.removeSeq(topic, subscriber),
      shownBelow: (topic) => this.shownBelow(topic),
      ahead: (topic) => this.ahead.get(topic) ?? 0,
      recentAfter: (topic, seq, size) => this.recent.get(topic)?.after(seq, size) ?? null,
      latest: (topic) => this.known.get(topic) ?? 0,
    };
  }

  /** Tells the other instances of a cluster what this hub publishes from now on. */
  attach(relay: HubRelay): void {
    this.relay = relay;
  }

  subscribe<P extends SeqEntry = E>(topic: string, options: SubscribeOptions<E, P, K>): Subscription {
    let subscribers = this.seqTopics.get(topic);
    if (!subscribers) this.seqTopics.set(topic, (subscribers = new Set()));
    const subscriber = new SeqSubscriber(this.view, topic, options);
    // Registered before the first read, so nothing published from now on can slip past it.
    subscribers.add(subscriber);
    void subscriber.catchUp();
    return subscriber;
  }

  /** Fans out an entry this instance committed, and announces it to the other instances. */
  publish(topic: string, entry: E): void {
    this.relay?.announce(topic, entry.seq);
    this.fanOut(topic, entry);
  }

  /**
   * Fans out an entry whose commit comes right after (`EntryWriter.numberAhead`): until `stored`
   * says it is in the store, a catch-up that does not find it there reads again.
   */
  publishAhead(topic: string, entry: E): void {
    this.ahead.set(topic, entry.seq);
    this.publish(topic, entry);
  }

  /** Entries of `topic` published ahead up to `seq` are stored now (or, their commit failed, never will be). */
  stored(topic: string, seq: number): void {
    if ((this.ahead.get(topic) ?? 0) <= seq) this.ahead.delete(topic);
  }

  /** Lets go of the recent entries kept of `topic` (some were shown and never stored). */
  forgetRecent(topic: string): void {
    this.recent.delete(topic);
  }

  /**
   * Entries of `topic` from `seq` on are stored but not to be shown yet (null: none are): reads of
   * the store stop short of them until the writer publishes them. (`EntryWriter` holds back what
   * is not durable yet when a power loss could renumber it.)
   */
  withhold(topic: string, seq: number | null): void {
    if (seq === null) this.withheld.delete(topic);
    else this.withheld.set(topic, seq);
  }

  /** The first seq of `topic` not to be shown yet, or Infinity. */
  shownBelow(topic: string): number {
    return this.withheld.get(topic) ?? Number.POSITIVE_INFINITY;
  }

  private fanOut(topic: string, entry: E): void {
    const subscribers = this.seqTopics.get(topic);
    if (!subscribers) return;
    if (entry.seq > (this.known.get(topic) ?? 0)) this.known.set(topic, entry.seq);
    const kept = this.recentOptions ? this.keepRecent(topic, entry, this.recentOptions) : undefined;
    for (const subscriber of subscribers) subscriber.offer(entry, kept);
  }

  /** Keeps an entry of `topic` in its kept form; returns that form. */
  private keepRecent(topic: string, entry: E, options: RecentOptions<E, K>): K {
    let recent = this.recent.get(topic);
    if (!recent) {
      this.recent.set(topic, (recent = new RecentEntries(this.recentLimits!)));
      if (!this.recentSweep) {
        // Lets go of entries past their age on topics that went quiet.
        this.recentSweep = setInterval(() => this.sweepRecent(), this.recentLimits!.maxAgeMs);
        this.recentSweep.unref();
      }
    }
    const kept = options.keep(topic, entry);
    recent.add(entry.seq, kept, options.weigh(kept), Date.now());
    return kept;
  }

  private sweepRecent(): void {
    const now = Date.now();
    for (const [topic, recent] of this.recent) {
      recent.trim(now);
      if (recent.empty) this.recent.delete(topic);
    }
    if (this.recent.size === 0) {
      clearInterval(this.recentSweep);
      this.recentSweep = undefined;
    }
  }

  /**
   * Another instance committed entries of `topic` up to `seq`: if anyone here follows the topic
   * and has not had them, reads them from the store once and fans them out. Subscribers drop what
   * they have and heal a gap from the store, so a late or repeated announcement changes nothing.
   */
  advanced(topic: string, seq: number): void {
    const subscribers = this.seqTopics.get(topic);
    if (!subscribers || seq <= this.base(topic, subscribers)) return;
    void this.fetch(topic);
  }

  /** Reads every followed seq topic after what was fanned out: announcements may have been lost. */
  recheck(): void {
    for (const topic of this.seqTopics.keys()) void this.fetch(topic);
  }

  /** The seq after which nobody here lacks an entry they are live for. */
  private base(topic: string, subscribers: Set<Follower<E, K>>): number {
    let base = this.known.get(topic) ?? 0;
    for (const subscriber of subscribers) if (subscriber.seq > base) base = subscriber.seq;
    return base;
  }

  private async fetch(topic: string): Promise<void> {
    if (this.fetching.has(topic)) {
      this.fetching.set(topic, true);
      return;
    }
    this.fetching.set(topic, false);
    try {
      for (;;) {
        const subscribers = this.seqTopics.get(topic);
        if (!subscribers) return;
        const page = await this.source(topic, this.base(topic, subscribers), PAGE.rows, PAGE.bytes);
        const shown = page.filter((entry) => entry.seq < this.shownBelow(topic));
        for (const entry of shown) this.fanOut(topic, entry);
        if (shown.length > 0 || this.fetching.get(topic)) {
          this.fetching.set(topic, false);
          continue;
        }
        return;
      }
    } catch (error) {
      this.onFetchError(topic, error);
    } finally {
      this.fetching.delete(topic);
    }
  }

  listen(topic: string, listener: (message: unknown) => void): () => void {
    let listeners = this.plainTopics.get(topic);
    if (!listeners) this.plainTopics.set(topic, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.plainTopics.delete(topic);
    };
  }

  /** Tells this instance's listeners of a plain topic, and the other instances'. */
  notify(topic: string, message: unknown): void {
    this.relay?.broadcast(topic, message);
    this.notifyHere(topic, message);
  }

  /** Tells this instance's listeners only: a message another instance broadcast. */
  notifyHere(topic: string, message: unknown): void {
    const listeners = this.plainTopics.get(topic);
    if (!listeners) return;
    for (const listener of listeners) listener(message);
  }

  /** Number of subscribers and listeners, for tests and metrics. */
  get size(): number {
    let n = 0;
    for (const s of this.seqTopics.values()) n += s.size;
    for (const l of this.plainTopics.values()) n += l.size;
    return n;
  }

  private removeSeq(topic: string, subscriber: Follower<E, K>): void {
    const subscribers = this.seqTopics.get(topic);
    if (!subscribers) return;
    subscribers.delete(subscriber);
    if (subscribers.size > 0) return;
    this.seqTopics.delete(topic);
    this.known.delete(topic);
    this.recent.delete(topic);
  }
}
