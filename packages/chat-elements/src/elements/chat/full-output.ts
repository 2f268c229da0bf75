import type { ThreadEvent } from '@remote-chat/protocol';
import { describeError } from '../../client/errors.js';
import { terminalText } from '../../util/ansi.js';
import { OUTPUT_PAGE_CHARS } from './tool-card.js';
import type { OutputChunk, ToolItem } from './transcript.js';

/** A page of a thread's events after a seq, as `GET /api/threads/:id/events` answers. */
export type EventPageReader = (after: number) => Promise<{ events: readonly ThreadEvent[]; lastSeq: number }>;

/**
 * Loaded on first use (a dynamic import: a file beside the one-file bundle).
 *
 * A tool call's whole output, read back from the thread's stored events on demand (the transcript
 * keeps only its last 200,000 characters): pages of events from the call on, its `tool.output`
 * gathered until its `tool.result` or the thread's last event.
 */
export class FullOutput {
  chunks: OutputChunk[] = [];
  chars = 0;
  /** Every stored output of the call is read (its result was reached, or the thread's end). */
  done = false;
  loading = false;
  error = '';
  /** How many characters the card shows: grows by a page at each "Show more". */
  shown: number;
  private after: number;

  constructor(
    private readonly item: Pick<ToolItem, 'seq' | 'callId'>,
    shown: number,
  ) {
    this.after = item.seq;
    this.shown = shown;
  }

  /** Reads on until at least `chars` characters are in (all of them when `Infinity`), or the end. */
  async readUntil(chars: number, readPage: EventPageReader): Promise<void> {
    while (!this.done && this.chars < chars) {
      const page = await readPage(this.after);
      for (const event of page.events) {
        this.after = event.seq;
        if (event.kind === 'tool.output' && event.callId === this.item.callId) {
          this.chunks.push({ stream: event.stream, data: event.data });
          this.chars += event.data.length;
        } else if (event.kind === 'tool.result' && event.callId === this.item.callId) this.done = true;
      }
      if (page.events.length === 0 || this.after >= page.lastSeq) this.done = true;
    }
  }

  /** Reads until `chars` characters are in, saying so through `changed`; false (with `error` set) if reading failed. */
  private async read(chars: number, readPage: EventPageReader, changed: () => void): Promise<boolean> {
    this.loading = true;
    this.error = '';
    changed();
    try {
      await this.readUntil(chars, readPage);
      return true;
    } catch (error) {
      this.error = `Could not read the output: ${describeError(error)}`;
      return false;
    } finally {
      this.loading = false;
      changed();
    }
  }

  /** Shows a page more: the output the transcript dropped is read back first. */
  async showMore(item: ToolItem, readPage: EventPageReader, changed: () => void): Promise<void> {
    if (await this.read(item.droppedChars, readPage, changed)) this.shown += OUTPUT_PAGE_CHARS;
    changed();
  }

  /** Reads the whole output and saves it. */
  async download(item: ToolItem, readPage: EventPageReader, changed: () => void): Promise<void> {
    if (await this.read(Number.POSITIVE_INFINITY, readPage, changed)) this.save(item.title);
  }

  /**
   * Saves what was read as a text file, colours and other escapes removed, named after the command
   * (`output-ls--la.txt`), through a temporary link.
   */
  save(command: string): void {
    const text = terminalText(this.chunks.map((chunk) => chunk.data).join(''));
    const stem = command
      .replace(/[^\w.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60);
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `output-${stem || 'command'}.txt`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /**
   * The output as the card shows it: what was read back from the store for the start (up to the
   * characters the transcript dropped), then what the transcript keeps.
   */
  combined(item: ToolItem): { chunks: OutputChunk[]; chars: number } {
    const prefix: OutputChunk[] = [];
    let room = Math.min(item.droppedChars, this.chars);
    for (const chunk of this.chunks) {
      if (room <= 0) break;
      prefix.push(chunk.data.length > room ? { ...chunk, data: chunk.data.slice(0, room) } : chunk);
      room -= chunk.data.length;
    }
    const prefixChars = Math.min(item.droppedChars, this.chars);
    // Output dropped by the transcript but not read back yet is a gap, counted as not shown.
    const gap = item.droppedChars - prefixChars;
    return gap > 0
      ? { chunks: item.output, chars: item.outputChars }
      : { chunks: [...prefix, ...item.output], chars: prefixChars + item.outputChars };
  }
}
