import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

export interface AppendLogOptions {
  /**
   * Appends are written at once (they survive the process being killed) and made durable with
   * one `fdatasync` for every burst, at most this long after the first append of the burst.
   * @default 10
   */
  syncDelayMs?: number;
  /** Where a failed background `fdatasync` is reported. @default console.error */
  log?: (line: string) => void;
}

/** What `AppendLog.open` found in an existing file. */
export interface AppendLogRecovery {
  /** Whether the file existed. */
  existed: boolean;
  /** Records accepted. */
  records: number;
  /** Bytes dropped from the end: a line torn by a crash, or everything from the first bad line on. */
  droppedBytes: number;
}

/**
 * Decides whether a record read back belongs in the log (and applies it to the caller's state).
 * `bytes` is the record's line length. Returning false ends the log there: that record and
 * everything after it are dropped, so the log is always a prefix of what was written.
 */
export type AcceptRecord = (record: unknown, bytes: number) => boolean;

const FILE_MODE = 0o600;

/**
 * A JSON-lines file that is only ever appended to, or atomically replaced as a whole (compaction).
 * Shared by the outbox and the turn journal.
 *
 * Durability: `append` writes the line with `write(2)` before it returns, so it is in the kernel
 * and survives the process being killed (SIGKILL, a crash, OOM). `fdatasync(2)` follows within
 * `syncDelayMs` for a burst of appends, or at once with `flush()`; only a power loss or a kernel
 * crash inside that window can lose appended lines, and then only the newest ones. A torn last line
 * is dropped when the file is read back.
 */
export class AppendLog {
  readonly file: string;
  readonly #syncDelayMs: number;
  readonly #log: (line: string) => void;
  #fd: number;
  #size: number;
  #dirty = false;
  #syncTimer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;
  #closed = false;

  private constructor(file: string, fd: number, size: number, options: AppendLogOptions) {
    this.file = file;
    this.#fd = fd;
    this.#size = size;
    this.#syncDelayMs = options.syncDelayMs ?? 10;
    this.#log = options.log ?? ((line) => console.error(line));
  }

  /**
   * Reads `file` line by line through `accept`, cuts off what follows the last accepted line, and
   * opens it for appending. A missing file is created empty.
   */
  static open(
    file: string,
    accept: AcceptRecord,
    options: AppendLogOptions = {},
  ): { log: AppendLog; recovery: AppendLogRecovery } {
    let content: Buffer | undefined;
    try {
      content = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let good = 0;
    let records = 0;
    if (content) {
      for (;;) {
        const newline = content.indexOf(0x0a, good);
        // No newline: the last write was torn by a crash. The newline is part of the record.
        if (newline === -1) break;
        const bytes = newline + 1 - good;
        const record = parseRecord(content.subarray(good, newline).toString('utf8'));
        if (record === undefined || !accept(record, bytes)) break;
        good = newline + 1;
        records++;
      }
    }
    const fd = openSync(file, 'a', FILE_MODE);
    const droppedBytes = (content?.length ?? 0) - good;
    if (droppedBytes > 0) {
      ftruncateSync(fd, good);
      fdatasyncSync(fd);
    }
    return {
      log: new AppendLog(file, fd, good, options),
      recovery: { existed: content !== undefined, records, droppedBytes },
    };
  }

  /** The file's size in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Appends one record as a line; returns its length in bytes. Throws if the write fails (the log is then unchanged). */
  append(record: unknown): number {
    this.#assertOpen();
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    try {
      writeFully(this.#fd, line);
    } catch (error) {
      // A partial line would end the log at the next start, and hide every line after it.
      try {
        ftruncateSync(this.#fd, this.#size);
      } catch {
        // The write failed already; that is the error to report.
      }
      throw error;
    }
    this.#size += line.length;
    this.#dirty = true;
    this.#syncTimer ??= setTimeout(() => {
      this.flush().catch((error: unknown) => this.#log(`cannot sync ${this.file}: ${(error as Error).message}`));
    }, this.#syncDelayMs);
    return line.length;
  }

  /**
   * Replaces the whole file with `records`: written to a temporary file, synced, renamed over
   * the log, and the folder synced. A crash at any point leaves either the old or the new file.
   */
  rewrite(records: readonly unknown[]): void {
    this.#assertOpen();
    const temporary = `${this.file}.tmp`;
    const content = Buffer.from(records.map((record) => `${JSON.stringify(record)}\n`).join(''), 'utf8');
    const fd = openSync(temporary, 'w', FILE_MODE);
    try {
      writeFully(fd, content);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    syncFolder(path.dirname(this.file));
    const previous = this.#fd;
    this.#fd = openSync(this.file, 'a', FILE_MODE);
    this.#size = content.length;
    // Whatever was not synced in the old file is in the new one, synced.
    this.#dirty = false;
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    // A background sync may still be using the old descriptor.
    void (this.#syncing ?? Promise.resolve()).finally(() => closeSync(previous));
  }

  /** Makes every append so far durable (fdatasync); resolves when it is. */
  flush(): Promise<void> {
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    const previous = this.#syncing ?? Promise.resolve();
    if (!this.#dirty || this.#closed) return previous;
    this.#dirty = false;
    const fd = this.#fd;
    const run: Promise<void> = previous
      .catch(() => {})
      .then(
        () => new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
      );
    this.#syncing = run;
    void run.then(
      () => this.#settled(run),
      () => this.#settled(run),
    );
    return run;
  }

  /** Flushes and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush().catch((error: unknown) => this.#log(`cannot sync ${this.file}: ${(error as Error).message}`));
    await this.#syncing?.catch(() => {});
    this.#closed = true;
    closeSync(this.#fd);
  }

  #settled(run: Promise<void>): void {
    if (this.#syncing === run) this.#syncing = undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`${this.file} is closed`);
  }
}

function writeFully(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/** Makes a rename durable. Not every platform can open a folder (Windows cannot); there the rename is as durable as the OS makes it. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Best effort, see above.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** One line's JSON, or undefined for a torn or garbled line. */
function parseRecord(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
