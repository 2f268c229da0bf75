import { closeSync, fdatasync, fstatSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

const DONE = Promise.resolve();

/**
 * Makes commits that SQLite wrote without a sync (`synchronous = NORMAL`) durable, off the event
 * loop: an `fdatasync` of the write-ahead log on libuv's thread pool. Syncs are grouped: a
 * caller waits for the sync in flight if it covers its commit, else for the next one, which
 * covers every commit made before it starts. So a busy writer pays one sync per group of commits,
 * and never blocks the loop on one.
 *
 * The log is one file for as long as the database is open (SQLite only deletes it when the last
 * connection closes), so one descriptor syncs every later commit. A failed sync is final: Linux
 * may have dropped the pages it could not write, so no later sync could vouch for them.
 */
export class WalSync {
  readonly #fd: number;
  /** Commits made, and commits known to be on disk. */
  #committed = 0;
  #synced = 0;
  #running: Promise<void> | null = null;
  #failed: Error | null = null;

  /**
   * Opens the log of `databaseFile` (it must exist: the database is open in WAL mode and written).
   * `onSynced` hears the log's size each sync covered (tests simulate a power loss with it).
   */
  constructor(
    databaseFile: string,
    private readonly onSynced?: (walBytes: number) => void,
  ) {
    this.#fd = openSync(`${databaseFile}-wal`, 'r');
    // The log's name in its folder must survive a power loss too.
    const folder = openSync(dirname(databaseFile), 'r');
    try {
      fsyncSync(this.#fd);
      fsyncSync(folder);
    } finally {
      closeSync(folder);
    }
  }

  /** Notes a commit written without a sync. */
  committed(): void {
    this.#committed++;
  }

  /** Resolves once every commit noted so far is on disk; rejects if a sync failed. */
  durable(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const target = this.#committed;
    return this.#synced >= target ? DONE : this.#syncTo(target);
  }

  async #syncTo(target: number): Promise<void> {
    while (this.#synced < target) {
      this.#running ??= this.#syncOnce().finally(() => {
        this.#running = null;
      });
      await this.#running;
    }
  }

  async #syncOnce(): Promise<void> {
    if (this.#failed) throw this.#failed;
    const upTo = this.#committed;
    // Only a listener needs the size (a stat per sync otherwise).
    const bytes = this.onSynced ? fstatSync(this.#fd).size : 0;
    try {
      await new Promise<void>((resolve, reject) => fdatasync(this.#fd, (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      this.#failed = new Error(`syncing the database's write-ahead log failed: ${(error as Error).message}`);
      throw this.#failed;
    }
    this.#synced = Math.max(this.#synced, upTo);
    this.onSynced?.(bytes);
  }

  /** Waits for a sync in flight, then closes the log's descriptor. */
  async close(): Promise<void> {
    await this.#running?.catch(() => undefined);
    closeSync(this.#fd);
  }
}
