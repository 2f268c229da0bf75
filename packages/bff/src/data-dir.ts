import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The folder of runtime workspaces inside the data directory. */
export const RUNTIMES_FOLDER = 'runtimes';

/**
 * Makes the data directory (and its runtimes folder) private to the BFF's user, 0700, before
 * anything is written into it: the database, the server secret and workspaces live there.
 */
export function prepareDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const runtimes = join(dataDir, RUNTIMES_FOLDER);
  mkdirSync(runtimes, { recursive: true, mode: 0o700 });
  chmodSync(runtimes, 0o700);
}

/**
 * Makes every file directly in the data directory readable by the BFF's user only (0600): the
 * database (created 0644 by SQLite; its WAL and SHM files take the database file's mode), and
 * files an older version left readable.
 */
export function restrictDataFiles(dataDir: string): void {
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    if (entry.isFile()) chmodSync(join(dataDir, entry.name), 0o600);
  }
}
