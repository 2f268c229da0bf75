import path from 'node:path';
import { z } from 'zod';
import { IdSchema, SeqSchema } from '@remote-chat/protocol';
import { AppendLog, type AppendLogRecovery } from './append-log.js';

/** The journal's file in a state folder. */
export const TURN_JOURNAL_FILE_NAME = 'turns.jsonl';

/** A thread whose work had not finished when the journal was last written. */
export interface UnfinishedThread {
  threadId: string;
  /** The seqs of its user messages accepted and not finished, oldest (the running one) first. */
  turns: number[];
  /** Tool calls opened and not closed, with when they opened (ms since the epoch). */
  calls: { callId: string; at: number }[];
}

/** A tool call's id, as events carry it. */
const CallIdSchema = z.string().min(1).max(128);

/** A command's id, which its processes carry in their environment (see tools/leftover-commands.ts). */
const CommandIdSchema = z.string().min(1).max(128);

const ThreadSchema = z.object({
  threadId: IdSchema,
  turns: z.array(SeqSchema),
  calls: z.array(z.object({ callId: CallIdSchema, at: z.number() })),
});

/** One line of the journal. The first is always a `journal` snapshot. */
const RecordSchema = z.discriminatedUnion('type', [
  /** Everything at the time of writing; a compaction rewrites the file as this one line. */
  z.object({
    type: z.literal('journal'),
    version: z.literal(1),
    lastReceived: SeqSchema,
    threads: z.array(ThreadSchema),
    /** Commands started and not ended (absent in files written before commands were recorded). */
    commands: z.array(CommandIdSchema).default([]),
  }),
  /** A link message other than `message.send` was handled. */
  z.object({ type: z.literal('received'), seq: SeqSchema }),
  /** A `message.send` (link seq `seq`) was accepted into its thread's queue. */
  z.object({ type: z.literal('accepted'), seq: SeqSchema, threadId: IdSchema, turn: SeqSchema }),
  z.object({ type: z.literal('call'), threadId: IdSchema, callId: CallIdSchema, at: z.number() }),
  z.object({ type: z.literal('result'), threadId: IdSchema, callId: CallIdSchema }),
  /** The turn finished, was cancelled, or was dropped from the queue. */
  z.object({ type: z.literal('ended'), threadId: IdSchema, turn: SeqSchema }),
  /** A command is about to start: written before its process exists. */
  z.object({ type: z.literal('command'), id: CommandIdSchema }),
  /** The command ended: it exited, or was stopped and its process group is gone. */
  z.object({ type: z.literal('command.ended'), id: CommandIdSchema }),
]);
type JournalRecord = z.infer<typeof RecordSchema>;

export interface TurnJournalOptions {
  /** The folder the journal lives in (`turns.jsonl`); it must exist. */
  dir: string;
  /** Rewrite the file as one snapshot line once it is larger than this. @default 64 KiB */
  compactAfterBytes?: number;
  /** See AppendLogOptions.syncDelayMs. @default 10 */
  syncDelayMs?: number;
  /** @default console.error */
  log?: (line: string) => void;
}

/**
 * What the runtime has done with the BFF's messages, kept on disk next to the outbox:
 * the highest link seq handled (`lastReceived`, so a restarted runtime never runs a
 * `message.send` twice), the turns accepted but not finished with their open tool calls, and the
 * commands started and not ended (so a restarted runtime can end what the previous process left
 * running, in the chat and on the machine).
 *
 * `<dir>/turns.jsonl`: a `{"type":"journal",…}` snapshot line, then one line per change
 * (`received`, `accepted`, `call`, `result`, `ended`, `command`, `command.ended`). Same durability and crash tolerance as the
 * outbox; `accepted` is synced before it resolves, so a command never starts before its receipt is
 * on disk.
 */
export class TurnJournal {
  readonly recovery: AppendLogRecovery;
  readonly #log: AppendLog;
  readonly #compactAfterBytes: number;
  readonly #state: JournalState;

  private constructor(log: AppendLog, recovery: AppendLogRecovery, state: JournalState, compactAfterBytes: number) {
    this.#log = log;
    this.recovery = recovery;
    this.#state = state;
    this.#compactAfterBytes = compactAfterBytes;
  }

  /** Opens (or creates) the journal in `options.dir`, reading back what a previous process wrote. */
  static open(options: TurnJournalOptions): TurnJournal {
    const report = options.log ?? ((line: string) => console.error(line));
    const state: JournalState = { lastReceived: 0, threads: new Map(), commands: new Set() };
    let snapshot = false;
    const accept = (json: unknown): boolean => {
      const parsed = RecordSchema.safeParse(json);
      // The snapshot comes first and only first.
      if (!parsed.success || (parsed.data.type === 'journal') === snapshot) return false;
      if (parsed.data.type === 'journal') snapshot = true;
      apply(state, parsed.data);
      return true;
    };
    const file = path.join(options.dir, TURN_JOURNAL_FILE_NAME);
    const { log, recovery } = AppendLog.open(file, accept, { syncDelayMs: options.syncDelayMs, log: report });
    if (recovery.droppedBytes > 0) {
      report(
        snapshot
          ? `turn journal: dropped ${recovery.droppedBytes} bytes of an unfinished write at the end of ${file}`
          : `turn journal: ${file} was unreadable (${recovery.droppedBytes} bytes); starting afresh`,
      );
    }
    const journal = new TurnJournal(log, recovery, state, options.compactAfterBytes ?? 64 * 1024);
    if (!snapshot) journal.#compact();
    return journal;
  }

  /** The highest link seq handled. */
  get lastReceived(): number {
    return this.#state.lastReceived;
  }

  /** Threads with accepted turns that have not ended. */
  unfinished(): UnfinishedThread[] {
    return [...this.#state.threads.values()].map((thread) => ({
      ...thread,
      turns: [...thread.turns],
      calls: [...thread.calls],
    }));
  }

  /** Commands started and not ended: what a killed process may have left running. */
  leftoverCommands(): string[] {
    return [...this.#state.commands];
  }

  /**
   * A command is about to start. Call before its process exists: the line is written (not yet
   * synced) when this returns, so a process kill at any later moment leaves the id on disk.
   */
  commandStarting(id: string): void {
    this.#write({ type: 'command', id });
  }

  commandEnded(id: string): void {
    if (this.#state.commands.has(id)) this.#write({ type: 'command.ended', id });
  }

  /** A link message that starts no turn was handled. */
  received(seq: number): void {
    this.#write({ type: 'received', seq });
  }

  /** A `message.send` was accepted; resolves once that is durable, so the turn starts only after. */
  async accepted(seq: number, threadId: string, turn: number): Promise<void> {
    this.#write({ type: 'accepted', seq, threadId, turn });
    await this.#log.flush();
  }

  callOpened(threadId: string, callId: string): void {
    this.#write({ type: 'call', threadId, callId, at: Date.now() });
  }

  callClosed(threadId: string, callId: string): void {
    if (this.#state.threads.get(threadId)?.calls.some((call) => call.callId === callId)) {
      this.#write({ type: 'result', threadId, callId });
    }
  }

  ended(threadId: string, turn: number): void {
    if (this.#state.threads.get(threadId)?.turns.includes(turn)) this.#write({ type: 'ended', threadId, turn });
  }

  /** Makes every change so far durable. */
  flush(): Promise<void> {
    return this.#log.flush();
  }

  /** Flushes and closes the file; the journal must not be used after. */
  close(): Promise<void> {
    return this.#log.close();
  }

  /** The file's size in bytes. */
  get fileBytes(): number {
    return this.#log.size;
  }

  #write(record: JournalRecord): void {
    this.#log.append(record);
    apply(this.#state, record);
    if (this.#log.size > this.#compactAfterBytes) this.#compact();
  }

  #compact(): void {
    const { lastReceived } = this.#state;
    this.#log.rewrite([
      { type: 'journal', version: 1, lastReceived, threads: this.unfinished(), commands: this.leftoverCommands() },
    ]);
  }
}

interface JournalState {
  lastReceived: number;
  threads: Map<string, UnfinishedThread>;
  commands: Set<string>;
}

/** Applies one record, whether written now or read back. */
function apply(state: JournalState, record: JournalRecord): void {
  const thread = (threadId: string): UnfinishedThread => {
    let found = state.threads.get(threadId);
    if (!found) state.threads.set(threadId, (found = { threadId, turns: [], calls: [] }));
    return found;
  };
  switch (record.type) {
    case 'journal':
      state.lastReceived = record.lastReceived;
      state.threads.clear();
      for (const saved of record.threads) state.threads.set(saved.threadId, { ...saved });
      state.commands = new Set(record.commands);
      return;
    case 'received':
      state.lastReceived = Math.max(state.lastReceived, record.seq);
      return;
    case 'accepted':
      state.lastReceived = Math.max(state.lastReceived, record.seq);
      thread(record.threadId).turns.push(record.turn);
      return;
    case 'call':
      thread(record.threadId).calls.push({ callId: record.callId, at: record.at });
      return;
    case 'result': {
      const found = state.threads.get(record.threadId);
      if (found) found.calls = found.calls.filter((call) => call.callId !== record.callId);
      return;
    }
    case 'ended': {
      const found = state.threads.get(record.threadId);
      if (!found) return;
      // Open calls belong to the running turn, the oldest; a dropped queued turn had none.
      if (found.turns[0] === record.turn) found.calls = [];
      found.turns = found.turns.filter((turn) => turn !== record.turn);
      if (found.turns.length === 0) state.threads.delete(record.threadId);
      return;
    }
    case 'command':
      state.commands.add(record.id);
      return;
    case 'command.ended':
      state.commands.delete(record.id);
      return;
  }
}
