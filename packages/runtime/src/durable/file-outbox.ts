import path from 'node:path';
import { z } from 'zod';
import { SeqSchema } from '@remote-chat/protocol';
import { type LinkOutbox, LinkOutboxFullError, type OutboxEntry } from '@remote-chat/link';
import { AppendLog, type AppendLogRecovery } from './append-log.js';

/** The outbox's file in a state folder. */
export const OUTBOX_FILE_NAME = 'outbox.jsonl';

export interface FileOutboxOptions<Out> {
  /** The folder the log lives in (`outbox.jsonl`); it must exist. */
  dir: string;
  /** Checks each kept message read back; a record that fails ends the log there. */
  schema: z.ZodType<Out>;
  /** Most bytes of unacknowledged frames kept; past it `append` throws LinkOutboxFullError. @default 64 MiB */
  maxBytes?: number;
  /** Rewrite the file once acknowledged records take more than this many bytes and more than the kept ones. @default 1 MiB */
  compactAfterBytes?: number;
  /** See AppendLogOptions.syncDelayMs. @default 10 */
  syncDelayMs?: number;
  /** Where recoveries (a torn tail dropped) and sync failures are reported. @default console.error */
  log?: (line: string) => void;
}

/** The first line: the log's format and what was acknowledged before its first kept frame. */
const HeaderSchema = z.strictObject({ outbox: z.literal(1), ackedUpTo: SeqSchema });
/** The peer acknowledged every frame up to `ack`. */
const AckSchema = z.strictObject({ ack: SeqSchema });

interface KeptEntry<Out> extends OutboxEntry<Out> {
  /** The length of its line in the file. */
  bytes: number;
}

/**
 * A LinkOutbox kept on disk, so that the frames the peer has not acknowledged, and the seq
 * numbering, survive a restart of the runtime.
 *
 * `<dir>/outbox.jsonl` holds one JSON record per line: a header
 * `{"outbox":1,"ackedUpTo":N}`, then `{"seq":N,"message":{…}}` for each frame in seq order
 * (contiguous), and `{"ack":N}` whenever the peer acknowledged up to N. Once acknowledged records
 * dominate the file it is compacted: rewritten as a header plus the kept frames, atomically.
 * Reading it back stops at the first line that is torn or does not fit (a crash mid-write) and
 * drops the rest, so the kept frames always stay contiguous. Durability is AppendLog's.
 *
 * @example
 * const outbox = FileOutbox.open({ dir: stateDir, schema: FromRuntimeMessageSchema });
 * const session = new LinkSession({ inbound, onMessage, outbox });
 */
export class FileOutbox<Out> implements LinkOutbox<Out> {
  /** What opening found: a torn tail dropped, records read. */
  readonly recovery: AppendLogRecovery;
  readonly #log: AppendLog;
  readonly #maxBytes: number;
  readonly #compactAfterBytes: number;
  #entries: KeptEntry<Out>[];
  #lastSeq: number;
  #ackedUpTo: number;
  /** Bytes of the kept frames' lines. */
  #liveBytes: number;

  private constructor(
    log: AppendLog,
    recovery: AppendLogRecovery,
    state: { entries: KeptEntry<Out>[]; lastSeq: number; ackedUpTo: number },
    options: FileOutboxOptions<Out>,
  ) {
    this.#log = log;
    this.recovery = recovery;
    this.#entries = state.entries;
    this.#lastSeq = state.lastSeq;
    this.#ackedUpTo = state.ackedUpTo;
    this.#liveBytes = state.entries.reduce((sum, entry) => sum + entry.bytes, 0);
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#compactAfterBytes = options.compactAfterBytes ?? 1024 * 1024;
  }

  /** Opens (or creates) the outbox in `options.dir`, reading back what a previous process kept. */
  static open<Out>(options: FileOutboxOptions<Out>): FileOutbox<Out> {
    const report = options.log ?? ((line: string) => console.error(line));
    const EntrySchema = z.strictObject({ seq: z.number().int().positive(), message: options.schema });
    const state = { entries: [] as KeptEntry<Out>[], lastSeq: 0, ackedUpTo: 0 };
    let header = false;
    const accept = (record: unknown, bytes: number): boolean => {
      if (!header) {
        const parsed = HeaderSchema.safeParse(record);
        if (!parsed.success) return false;
        header = true;
        state.ackedUpTo = state.lastSeq = parsed.data.ackedUpTo;
        return true;
      }
      const ack = AckSchema.safeParse(record);
      if (ack.success) {
        if (ack.data.ack > state.lastSeq) return false;
        if (ack.data.ack > state.ackedUpTo) {
          state.ackedUpTo = ack.data.ack;
          state.entries = state.entries.filter((entry) => entry.seq > ack.data.ack);
        }
        return true;
      }
      const entry = EntrySchema.safeParse(record);
      if (!entry.success || entry.data.seq !== state.lastSeq + 1) return false;
      state.entries.push({ seq: entry.data.seq, message: entry.data.message, bytes });
      state.lastSeq = entry.data.seq;
      return true;
    };
    const file = path.join(options.dir, OUTBOX_FILE_NAME);
    const { log, recovery } = AppendLog.open(file, accept, { syncDelayMs: options.syncDelayMs, log: report });
    if (recovery.droppedBytes > 0) {
      report(
        header
          ? `outbox: dropped ${recovery.droppedBytes} bytes of an unfinished write at the end of ${file}`
          : `outbox: ${file} was unreadable (${recovery.droppedBytes} bytes); starting an empty outbox`,
      );
    }
    const outbox = new FileOutbox<Out>(log, recovery, state, options);
    if (!header) outbox.#compact();
    else outbox.#compactIfWorthIt();
    return outbox;
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

  /** Bytes of the unacknowledged frames kept. */
  get keptBytes(): number {
    return this.#liveBytes;
  }

  /** The same as `keptBytes`; what LinkSession's back-pressure watches. */
  get bytes(): number {
    return this.#liveBytes;
  }

  /** The byte bound: `append` throws LinkOutboxFullError past it. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** The log file's size in bytes. */
  get fileBytes(): number {
    return this.#log.size;
  }

  append(message: Out): number {
    const seq = this.#lastSeq + 1;
    const record = { seq, message };
    const bytes = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (this.#liveBytes + bytes > this.#maxBytes) throw new LinkOutboxFullError(this.#maxBytes, 'bytes');
    this.#log.append(record);
    this.#entries.push({ seq, message, bytes });
    this.#lastSeq = seq;
    this.#liveBytes += bytes;
    return seq;
  }

  ack(upTo: number): void {
    const bounded = Math.min(upTo, this.#lastSeq);
    if (bounded <= this.#ackedUpTo) return;
    this.#ackedUpTo = bounded;
    let drop = 0;
    while (drop < this.#entries.length && this.#entries[drop]!.seq <= bounded)
      this.#liveBytes -= this.#entries[drop++]!.bytes;
    if (drop > 0) this.#entries.splice(0, drop);
    this.#log.append({ ack: bounded });
    this.#compactIfWorthIt();
  }

  after(seq: number): OutboxEntry<Out>[] {
    return this.#entries
      .filter((entry) => entry.seq > seq)
      .map(({ seq: entrySeq, message }) => ({ seq: entrySeq, message }));
  }

  rebase(firstSeq: number): void {
    let seq = firstSeq;
    this.#entries = this.#entries.map((entry) => ({ seq: seq++, message: entry.message, bytes: 0 }));
    this.#ackedUpTo = firstSeq - 1;
    this.#lastSeq = seq - 1;
    // Rare (one side lost its state): rewrite the file with the new numbers rather than log a renumbering.
    this.#compact();
  }

  /** Makes every change so far durable. */
  flush(): Promise<void> {
    return this.#log.flush();
  }

  /** Flushes and closes the file; the outbox must not be used after. */
  close(): Promise<void> {
    return this.#log.close();
  }

  #compactIfWorthIt(): void {
    const dead = this.#log.size - this.#liveBytes;
    if (dead > this.#compactAfterBytes && dead > this.#liveBytes) this.#compact();
  }

  #compact(): void {
    const records: unknown[] = [{ outbox: 1, ackedUpTo: this.#ackedUpTo }];
    let live = 0;
    for (const entry of this.#entries) {
      const record = { seq: entry.seq, message: entry.message };
      entry.bytes = Buffer.byteLength(JSON.stringify(record)) + 1;
      live += entry.bytes;
      records.push(record);
    }
    this.#liveBytes = live;
    this.#log.rewrite(records);
  }
}
