import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { REDACTED_PATHS } from '@remote-chat/bff';
import pino, { type Logger } from 'pino';

// Where a secret (a model key, a GitHub token) could have been left behind: the files under a
// folder (databases and their WAL, workspaces with .git, logs), the environments of a process
// and everything it started, and what a BFF logged.

/** A BFF logger at trace level, redacting as the BFF's own does, and every line it wrote. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, capture);
  return { logger, lines };
}

/** Every file under `root` that holds one of `secrets`, as "PATH holds PREFIX…". */
export function filesHolding(root: string, secrets: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name));
      return;
    }
    if (!stat.isFile()) return; // A socket or a FIFO.
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return; // Removed meanwhile.
    }
    for (const secret of secrets) if (bytes.includes(secret)) found.push(`${path} holds ${secret.slice(0, 12)}…`);
  };
  walk(root);
  return found;
}

/** A process and all its descendants, from /proc. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, parent] of parents) if (parent === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

/** The processes of `root`'s tree whose environment holds one of `secrets`. */
export function processesHolding(root: number, secrets: readonly string[]): number[] {
  return processTree(root).filter((pid) => {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`);
      return secrets.some((secret) => environ.includes(secret));
    } catch {
      return false; // Gone meanwhile.
    }
  });
}
