/** One kept outgoing `data` frame. */
export interface OutboxEntry<Out> {
  seq: number;
  message: Out;
}

/**
 * Where a link keeps the frames the peer has not acknowledged yet. The session only talks to
 * this interface, so a file-backed outbox that survives a restart can replace the in-memory one.
 */
export interface LinkOutbox<Out> {
  /** Frames kept. */
  readonly size: number;
  /** The highest seq ever assigned; 0 before the first frame. */
  readonly lastSeq: number;
  /** The highest seq the peer acknowledged; frames up to it are gone. */
  readonly ackedUpTo: number;
  /** Bytes of the kept frames, for an outbox bounded in bytes (the session's back-pressure watches it). */
  readonly bytes?: number;
  /** The most bytes kept: past it `append` throws LinkOutboxFullError. Undefined: bounded in frames only. */
  readonly maxBytes?: number;
  /** Keeps a message under the next seq and returns that seq. */
  append(message: Out): number;
  /** Drops every frame up to `upTo` (cumulative acknowledgement). */
  ack(upTo: number): void;
  /** Kept frames with a seq above `seq`, in order. */
  after(seq: number): OutboxEntry<Out>[];
  /**
   * Renumbers the kept frames from `firstSeq` on, in order, and continues numbering after them.
   * Used when the peer's numbering and ours disagree because one side lost its state.
   */
  rebase(firstSeq: number): void;
}

/** What an outbox holds: its numbering and the frames kept, in order. */
export interface OutboxState<Out> {
  lastSeq: number;
  ackedUpTo: number;
  /** Frames above `ackedUpTo`, in seq order, none above `lastSeq`. */
  entries: OutboxEntry<Out>[];
}

/** The default outbox: an ordered array in memory. */
export class MemoryOutbox<Out> implements LinkOutbox<Out> {
  #entries: OutboxEntry<Out>[];
  #lastSeq: number;
  #ackedUpTo: number;

  /** Starts empty, or from `initial`: what a store kept of an outbox across a restart. */
  constructor(initial?: OutboxState<Out>) {
    this.#entries = [...(initial?.entries ?? [])];
    this.#lastSeq = initial?.lastSeq ?? 0;
    this.#ackedUpTo = initial?.ackedUpTo ?? 0;
  }

  /** The numbering and a copy of the kept frames. */
  state(): OutboxState<Out> {
    return { lastSeq: this.#lastSeq, ackedUpTo: this.#ackedUpTo, entries: [...this.#entries] };
  }

  get size(): number {
    return this.#entries.length;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get ackedUpTo(): number {
    return this.#ackedUpTo;
  }

  append(message: Out): number {
    const seq = ++this.#lastSeq;
    this.#entries.push({ seq, message });
    return seq;
  }

  ack(upTo: number): void {
    const bounded = Math.min(upTo, this.#lastSeq);
    if (bounded <= this.#ackedUpTo) return;
    this.#ackedUpTo = bounded;
    let drop = 0;
    while (drop < this.#entries.length && this.#entries[drop]!.seq <= bounded) drop++;
    if (drop > 0) this.#entries.splice(0, drop);
  }

  after(seq: number): OutboxEntry<Out>[] {
    return this.#entries.filter((entry) => entry.seq > seq);
  }

  /** Puts `message` in place of the kept frame `seq`, under the same seq (the numbering stays whole). */
  replace(seq: number, message: Out): void {
    const index = this.#entries.findIndex((entry) => entry.seq === seq);
    if (index >= 0) this.#entries[index] = { seq, message };
  }

  rebase(firstSeq: number): void {
    let seq = firstSeq;
    this.#entries = this.#entries.map((entry) => ({ seq: seq++, message: entry.message }));
    this.#ackedUpTo = firstSeq - 1;
    this.#lastSeq = seq - 1;
  }
}
