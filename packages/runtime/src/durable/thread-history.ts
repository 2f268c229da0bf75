import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { EventBodySchema, HISTORY_EVENT_KINDS, type EventBody } from '@remote-chat/protocol';
import { AppendLog } from './append-log.js';

/** The folder of thread histories in a state folder: one `<thread id>.jsonl` per thread. */
export const THREAD_HISTORY_FOLDER = 'threads';

export interface ThreadHistoryOptions {
  /** The state folder; histories go in its `threads/` folder, made if missing. @default none: kept in memory, for this process's life */
  dir?: string;
  /** Histories kept open (file and events in memory) at once; older ones are closed and read again when needed. @default 8 */
  maxOpen?: number;
  /** Of one tool call's output, the first this many characters are kept… @default 16_384 */
  outputHeadChars?: number;
  /** …and the last this many; what lies between is replaced by a note saying how much. @default 16_384 */
  outputTailChars?: number;
  /** @default console.error */
  log?: (line: string) => void;
}

/** The events a thread's history keeps: what was said and done, not how it streamed. */
const KEPT_KINDS: ReadonlySet<EventBody['kind']> = new Set(HISTORY_EVENT_KINDS);

/**
 * What a runtime remembers of each thread for its agents: the user messages it answered and the
 * events its agents produced, so that an agent sees the thread's earlier turns after a restart of
 * the runtime, and after the thread switched agents (a `shell` turn, then an `llm` one).
 *
 * The BFF's store holds the thread itself; this is the runtime's own record of the same events,
 * kept beside the outbox in the state folder (`threads/<thread id>.jsonl`, one `{"event": …}` per
 * line, a torn last line dropped on reading, like the outbox). Streamed deltas and statuses are
 * left out (a `message.agent` holds the whole text), and of a tool call's output only the first
 * and last 16 KiB are kept: the rest is what a model would not be shown anyway.
 */
export class ThreadHistory {
  readonly #dir: string | undefined;
  readonly #maxOpen: number;
  readonly #headChars: number;
  readonly #tailChars: number;
  readonly #log: (line: string) => void;
  /** Open histories, least recently used first. */
  readonly #open = new Map<string, OpenHistory>();
  readonly #closing = new Set<Promise<void>>();

  constructor(options: ThreadHistoryOptions = {}) {
    this.#dir = options.dir === undefined ? undefined : path.join(options.dir, THREAD_HISTORY_FOLDER);
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    // In memory, a history closed would be a history lost.
    this.#maxOpen = this.#dir === undefined ? Number.POSITIVE_INFINITY : (options.maxOpen ?? 8);
    this.#headChars = options.outputHeadChars ?? 16_384;
    this.#tailChars = options.outputTailChars ?? 16_384;
    this.#log = options.log ?? ((line) => console.error(line));
  }

  /** The thread's events so far, oldest first (empty for a thread this runtime never saw). */
  events(threadId: string): EventBody[] {
    return [...this.#history(threadId).events];
  }

  /** Adds one event to the thread's history (ignored if it is of a kind histories leave out). */
  record(threadId: string, event: EventBody): void {
    if (!KEPT_KINDS.has(event.kind)) return;
    const history = this.#history(threadId);
    for (const kept of this.#keep(history, event)) {
      history.log?.append({ event: kept });
      history.events.push(kept);
    }
  }

  /**
   * Replaces the thread's history with `events`, on disk at once: a thread that moved here from
   * another runtime (`thread.continue`), whose conversation the BFF handed over.
   */
  replace(threadId: string, events: readonly EventBody[]): void {
    const history = this.#history(threadId);
    history.events.length = 0;
    history.outputs.clear();
    for (const event of events) if (KEPT_KINDS.has(event.kind)) history.events.push(...this.#keep(history, event));
    history.log?.rewrite(history.events.map((event) => ({ event })));
  }

  /** Closes every open file. */
  async close(): Promise<void> {
    for (const threadId of [...this.#open.keys()]) this.#evict(threadId);
    await Promise.all(this.#closing);
  }

  /** What of `event` goes into the history: a tool call's output is kept as its head, then its tail at the result. */
  #keep(history: OpenHistory, event: EventBody): EventBody[] {
    if (event.kind === 'tool.output') {
      const kept = history.outputs.get(event.callId) ?? { chars: 0, tail: [], tailChars: 0, dropped: 0 };
      history.outputs.set(event.callId, kept);
      const room = this.#headChars - kept.chars;
      if (room >= event.data.length) {
        kept.chars += event.data.length;
        return [event];
      }
      const head = room > 0 ? [{ ...event, data: event.data.slice(0, room) }] : [];
      kept.chars = this.#headChars;
      keepTail(kept, { stream: event.stream, data: event.data.slice(Math.max(room, 0)) }, this.#tailChars);
      return head;
    }
    if (event.kind === 'tool.result') {
      const kept = history.outputs.get(event.callId);
      history.outputs.delete(event.callId);
      if (!kept || kept.tail.length === 0) return [event];
      const note = `\n[… ${kept.dropped} characters of output not kept …]\n`;
      const tail = kept.tail.map((piece): EventBody => ({ kind: 'tool.output', callId: event.callId, ...piece }));
      const noteEvent: EventBody = { kind: 'tool.output', callId: event.callId, stream: 'stderr', data: note };
      return [...(kept.dropped > 0 ? [noteEvent] : []), ...tail, event];
    }
    return [event];
  }

  #history(threadId: string): OpenHistory {
    const open = this.#open.get(threadId);
    if (open) {
      // Most recently used last.
      this.#open.delete(threadId);
      this.#open.set(threadId, open);
      return open;
    }
    const events: EventBody[] = [];
    const log = this.#dir === undefined ? undefined : this.#read(path.join(this.#dir, `${threadId}.jsonl`), events);
    const history: OpenHistory = { log, events, outputs: new Map() };
    this.#open.set(threadId, history);
    while (this.#open.size > this.#maxOpen) this.#evict(this.#open.keys().next().value as string);
    return history;
  }

  /** Opens a history's file, reading its events into `events`. */
  #read(file: string, events: EventBody[]): AppendLog {
    const accept = (json: unknown): boolean => {
      const parsed = EventBodySchema.safeParse((json as { event?: unknown } | null)?.event);
      if (parsed.success) events.push(parsed.data);
      return parsed.success;
    };
    const { log, recovery } = AppendLog.open(file, accept, { log: this.#log });
    if (recovery.droppedBytes > 0) {
      this.#log(`thread history: dropped ${recovery.droppedBytes} unreadable bytes at the end of ${file}`);
    }
    return log;
  }

  #evict(threadId: string): void {
    const history = this.#open.get(threadId);
    if (!history) return;
    this.#open.delete(threadId);
    if (!history.log) return;
    const closing = history.log.close().catch((error: unknown) => this.#log(`thread history: ${String(error)}`));
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }
}

interface OpenHistory {
  /** Undefined in memory. */
  log: AppendLog | undefined;
  events: EventBody[];
  /** Output kept so far of each open tool call. */
  outputs: Map<string, KeptOutput>;
}

interface KeptOutput {
  /** Characters of the head written. */
  chars: number;
  /** The latest output past the head, at most `tailChars` of it. */
  tail: { stream: 'stdout' | 'stderr'; data: string }[];
  tailChars: number;
  /** Characters between the head and the tail that are not kept. */
  dropped: number;
}

function keepTail(kept: KeptOutput, piece: KeptOutput['tail'][number], maxChars: number): void {
  kept.tail.push(piece);
  kept.tailChars += piece.data.length;
  while (kept.tailChars > maxChars) {
    const first = kept.tail[0] as KeptOutput['tail'][number];
    const excess = kept.tailChars - maxChars;
    if (first.data.length <= excess) {
      kept.tail.shift();
      kept.tailChars -= first.data.length;
      kept.dropped += first.data.length;
    } else {
      first.data = first.data.slice(excess);
      kept.tailChars -= excess;
      kept.dropped += excess;
    }
  }
}
