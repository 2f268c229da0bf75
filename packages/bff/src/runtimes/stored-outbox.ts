import { MemoryOutbox, type LinkOutbox, type OutboxEntry } from '@remote-chat/link';
import type { ThreadEvent, ToRuntimeMessage } from '@remote-chat/protocol';
import type { Store } from '../store/store.js';

/** A change of the outbox, to be written to the store in order. */
type Change =
  | { kind: 'append'; entries: OutboxEntry<ToRuntimeMessage>[] }
  | { kind: 'ack'; upTo: number }
  /** The link renumbered the kept frames: write the whole outbox as it is when the change is written. */
  | { kind: 'replace' };

/**
 * The BFF's link outbox to one runtime, kept in the store (table `outbound`): what the BFF sends
 * a runtime (user messages, cancels, uploads, shutdowns) stays there under its link seq until the
 * runtime acknowledges it, and a restarted BFF loads it back, so the session resends it above what
 * the runtime says it has; the runtime drops what it already handled. The numbering and the frames
 * are also held in memory, where the session reads them; every change is written to the store in
 * order in the background (appends batched, acknowledgements coalesced), and `written()` waits
 * for it.
 */
export class StoredOutbox implements LinkOutbox<ToRuntimeMessage> {
  readonly #memory: MemoryOutbox<ToRuntimeMessage>;
  readonly #store: Store;
  readonly #runtimeId: string;
  readonly #log: (error: unknown) => void;
  #changes: Change[] = [];
  /** The write of the changes queued so far (settles once they are in the store). */
  #writing: Promise<void> = Promise.resolve();
  /** Whether a write is already scheduled to take `#changes`. */
  #scheduled = false;

  private constructor(
    store: Store,
    runtimeId: string,
    memory: MemoryOutbox<ToRuntimeMessage>,
    log: (error: unknown) => void,
  ) {
    this.#store = store;
    this.#runtimeId = runtimeId;
    this.#memory = memory;
    this.#log = log;
  }

  /** The runtime's outbox as the store kept it. `log` hears writes that fail in the background. */
  static async load(store: Store, runtimeId: string, log: (error: unknown) => void): Promise<StoredOutbox> {
    return new StoredOutbox(store, runtimeId, new MemoryOutbox(await store.loadOutbound(runtimeId)), log);
  }

  get size(): number {
    return this.#memory.size;
  }

  get lastSeq(): number {
    return this.#memory.lastSeq;
  }

  get ackedUpTo(): number {
    return this.#memory.ackedUpTo;
  }

  append(message: ToRuntimeMessage): number {
    const seq = this.#memory.append(message);
    this.#change({ kind: 'append', entries: [{ seq, message }] });
    return seq;
  }

  ack(upTo: number): void {
    const before = this.#memory.ackedUpTo;
    this.#memory.ack(upTo);
    if (this.#memory.ackedUpTo > before) this.#change({ kind: 'ack', upTo: this.#memory.ackedUpTo });
  }

  after(seq: number): OutboxEntry<ToRuntimeMessage>[] {
    return this.#memory.after(seq);
  }

  rebase(firstSeq: number): void {
    this.#memory.rebase(firstSeq);
    this.#change({ kind: 'replace' });
  }

  /**
   * Takes the kept messages of a thread that moved to another runtime out of this outbox: each is
   * replaced, under its seq, by `thread.cancel` of the thread (nothing to stop there any more; the
   * numbering stays whole). Returns what they were, in order.
   */
  takeThread(threadId: string): ToRuntimeMessage[] {
    const taken = this.#memory.after(0).filter((entry) => threadOf(entry.message) === threadId);
    for (const entry of taken) this.#memory.replace(entry.seq, { type: 'thread.cancel', threadId });
    if (taken.length > 0) this.rewrite();
    return taken.map((entry) => entry.message);
  }

  /** Writes the whole outbox again: a message stored under a seq that a renumbering then moved. */
  rewrite(): void {
    this.#change({ kind: 'replace' });
  }

  /** Resolves once every change so far is in the store; rejects if the write that holds them failed. */
  written(): Promise<void> {
    return this.#writing;
  }

  #change(change: Change): void {
    this.#changes.push(change);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // After the write in flight: changes are written in the order they were made.
    const write = this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#scheduled = false;
        return this.#write(this.#changes.splice(0));
      });
    write.catch((error: unknown) => this.#log(error));
    this.#writing = write;
  }

  async #write(changes: Change[]): Promise<void> {
    let failure: unknown;
    for (const change of coalesce(changes)) {
      try {
        if (change.kind === 'append') await this.#store.queueOutbound(this.#runtimeId, change.entries);
        else if (change.kind === 'ack') await this.#store.ackOutbound(this.#runtimeId, change.upTo);
        else await this.#store.replaceOutbound(this.#runtimeId, this.#memory.state());
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

/** Merges runs of appends into one and runs of acknowledgements into the last. */
function coalesce(changes: readonly Change[]): Change[] {
  const merged: Change[] = [];
  for (const change of changes) {
    const last = merged.at(-1);
    if (last?.kind === 'append' && change.kind === 'append') last.entries.push(...change.entries);
    else if (last?.kind === 'ack' && change.kind === 'ack') last.upTo = change.upTo;
    else merged.push(change.kind === 'append' ? { kind: 'append', entries: [...change.entries] } : { ...change });
  }
  return merged;
}

/** The thread a message to a runtime is about, if any. */
export function threadOf(message: ToRuntimeMessage): string | null {
  return 'threadId' in message ? message.threadId : null;
}

/** The `message.send` that carries a stored user message to its runtime's agent. */
export function messageSendOf(threadId: string, event: ThreadEvent): ToRuntimeMessage {
  if (event.kind !== 'message.user') throw new Error(`not a user message: ${event.kind}`);
  return {
    type: 'message.send',
    threadId,
    seq: event.seq,
    clientId: event.clientId,
    text: event.text,
    agent: event.agent,
  };
}
