import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The lock file in a state folder. */
export const LOCK_FILE_NAME = 'lock';

/** Another live process holds the state folder. */
export class StateLockedError extends Error {
  override readonly name = 'StateLockedError';
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`process ${pid} is already using ${path.dirname(file)} (if it is not, delete ${file})`);
  }
}

/**
 * Makes sure one process at a time writes a state folder's outbox and journal: two would
 * interleave their records. `<dir>/lock` holds the owner's pid; a lock whose process is gone (a
 * SIGKILL, a reboot) is taken over. Returns the release function.
 */
export function acquireStateLock(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => releaseLock(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    // Our own pid in a lock we did not take in this process: a restarted container reuses pids.
    if (owner !== undefined && owner !== process.pid && processAlive(owner)) throw new StateLockedError(file, owner);
    rmSync(file, { force: true });
  }
  throw new Error(`cannot take the lock ${file}`);
}

function releaseLock(file: string): void {
  if (readOwner(file) === process.pid) rmSync(file, { force: true });
}

function readOwner(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
