import { environmentValue, listProcesses, type ProcessEntry } from './processes.js';

/**
 * The environment variable that marks every process of a command with the command's id. A
 * process cannot be given someone else's: it is how a restarted runtime tells what its previous
 * process started from whatever now has a reused pid.
 */
export const COMMAND_ID_ENV = 'REMOTE_CHAT_COMMAND_ID';

/** Where a runtime records the commands it starts, so that its next start can end them (the turn journal). */
export interface CommandTracker {
  /** Before the command's process exists. Never throws. */
  starting(id: string): void;
  /** Once it ended. Never throws. */
  ended(id: string): void;
}

export interface EndLeftoversOptions {
  /** Between SIGTERM and SIGKILL. @default 2_000 */
  graceMs?: number;
  /** @default console.error */
  log?: (line: string) => void;
}

/**
 * Ends what the commands `ids` of a previous runtime process left running: every process group
 * that holds a process marked with one of the ids gets SIGTERM, and SIGKILL after `graceMs`.
 * Only marked processes count, so a pid or process group the system has since given to another
 * program is never signalled. Call it only while holding the state lock: the process that started
 * the commands is then gone. Resolves with how many process groups were ended.
 */
export async function endLeftoverCommands(ids: readonly string[], options: EndLeftoversOptions = {}): Promise<number> {
  if (ids.length === 0) return 0;
  const log = options.log ?? ((line: string) => console.error(line));
  const wanted = new Set(ids);
  const groups = (): Set<number> | undefined => {
    const processes = listProcesses();
    if (!processes) return undefined;
    return new Set(processes.filter((entry) => marked(entry, wanted)).map((entry) => entry.pgid));
  };
  const found = groups();
  if (!found) {
    log(`cannot look for commands the previous process left running (no /proc); ${ids.length} may still run`);
    return 0;
  }
  if (found.size === 0) return 0;
  log(`ending ${found.size} process group(s) the previous process left running`);
  for (const pgid of found) signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 2_000);
  let left = found;
  while (left.size > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    left = groups() ?? new Set();
  }
  for (const pgid of left) signalGroup(pgid, 'SIGKILL');
  return found.size;
}

function marked(entry: ProcessEntry, ids: Set<string>): boolean {
  if (entry.zombie || entry.pid === process.pid) return false;
  const id = environmentValue(entry.pid, COMMAND_ID_ENV);
  return id !== undefined && ids.has(id);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 1) return; // 0 and -1 would mean our own group and every process
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: gone meanwhile.
  }
}
