import { mkdir } from 'node:fs/promises';
import { FromRuntimeMessageSchema, type FromRuntimeMessage } from '@remote-chat/protocol';
import { EXIT_CODES, RuntimeStartError } from '../exit-codes.js';
import { FileOutbox } from './file-outbox.js';
import { StateLockedError, acquireStateLock } from './state-lock.js';
import { endLeftoverCommands, type CommandTracker } from '../tools/leftover-commands.js';
import { ThreadHistory } from './thread-history.js';
import { TurnJournal } from './turn-journal.js';

/** A runtime's durable state in one folder: the outbox, the turn journal, the threads' histories and the lock on all. */
export interface RuntimeState {
  outbox: FileOutbox<FromRuntimeMessage>;
  journal: TurnJournal;
  /** What the runtime's agents see of each thread's earlier turns. */
  history: ThreadHistory;
  /** Records running commands in the journal; give it to the agents that run commands. */
  commands: CommandTracker;
  /** Flushes and closes both files and releases the lock. Idempotent. */
  close(): Promise<void>;
}

export interface RuntimeStateOptions {
  /** Overrides for tests and tuning. */
  outbox?: { maxBytes?: number; compactAfterBytes?: number };
  /** @default console.error */
  log?: (line: string) => void;
}

/**
 * Opens (creating the folder if needed) the state a runtime keeps across restarts, and ends the
 * commands a killed previous process left running (it holds the lock, so that process is gone).
 * Throws a RuntimeStartError (exit code `workspace`) when the folder is unusable or another
 * process holds it.
 */
export async function openRuntimeState(dir: string, options: RuntimeStateOptions = {}): Promise<RuntimeState> {
  const log = options.log ?? ((line: string) => console.error(line));
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: Error) => {
    throw new RuntimeStartError(`cannot create the state folder ${dir}: ${error.message}`, EXIT_CODES.workspace);
  });
  let release: () => void;
  try {
    release = acquireStateLock(dir);
  } catch (error) {
    const reason =
      error instanceof StateLockedError ? error.message : `cannot lock ${dir}: ${(error as Error).message}`;
    throw new RuntimeStartError(reason, EXIT_CODES.workspace);
  }
  let outbox: FileOutbox<FromRuntimeMessage> | undefined;
  try {
    outbox = FileOutbox.open({ dir, schema: FromRuntimeMessageSchema, log, ...options.outbox });
    const journal = TurnJournal.open({ dir, log });
    const history = new ThreadHistory({ dir, log });
    const leftovers = journal.leftoverCommands();
    await endLeftoverCommands(leftovers, { log });
    for (const id of leftovers) journal.commandEnded(id);
    const record = (write: () => void): void => {
      try {
        write();
      } catch (error) {
        // The command still runs; only a kill of this process before it ends would leave it behind.
        log(`cannot record a command in the turn journal: ${(error as Error).message}`);
      }
    };
    let closing: Promise<void> | undefined;
    const opened = outbox;
    return {
      outbox: opened,
      journal,
      history,
      commands: {
        starting: (id) => record(() => journal.commandStarting(id)),
        ended: (id) => record(() => journal.commandEnded(id)),
      },
      close: () =>
        (closing ??= (async () => {
          await Promise.all([opened.close(), journal.close(), history.close()]);
          release();
        })()),
    };
  } catch (error) {
    await outbox?.close();
    release();
    throw new RuntimeStartError(
      `cannot open the runtime state in ${dir}: ${(error as Error).message}`,
      EXIT_CODES.workspace,
    );
  }
}
