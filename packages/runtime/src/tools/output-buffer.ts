import { StringDecoder } from 'node:string_decoder';
import { LIMITS } from '@remote-chat/protocol';
import { splitText } from './text-chunks.js';

export type OutputStream = 'stdout' | 'stderr';

export interface OutputBufferOptions {
  /** Longest time output waits before it goes out. @default 25 */
  flushMs?: number;
  /** Buffered characters that make it go out at once. @default 16 * 1024 */
  flushChars?: number;
  /** Largest piece handed to `emit`. @default LIMITS.maxOutputChunkChars */
  maxChunkChars?: number;
}

/**
 * Coalesces a process's output into few, bounded pieces: a command that prints a line at a time
 * does not become one event per line, and a burst does not become one huge event. Keeps the
 * arrival order across stdout and stderr, and decodes UTF-8 across chunk boundaries.
 */
export class OutputBuffer {
  readonly #emit: (stream: OutputStream, data: string) => void;
  readonly #flushMs: number;
  readonly #flushChars: number;
  readonly #maxChunkChars: number;
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  #segments: { stream: OutputStream; text: string }[] = [];
  #buffered = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(emit: (stream: OutputStream, data: string) => void, options: OutputBufferOptions = {}) {
    this.#emit = emit;
    this.#flushMs = options.flushMs ?? 25;
    this.#flushChars = options.flushChars ?? 16 * 1024;
    this.#maxChunkChars = options.maxChunkChars ?? LIMITS.maxOutputChunkChars;
  }

  /** Adds raw bytes from one stream. */
  write(stream: OutputStream, chunk: Buffer): void {
    this.#append(stream, this.#decoders[stream].write(chunk));
  }

  /** Adds text that did not come from the process, such as a note that output was dropped. */
  writeText(stream: OutputStream, text: string): void {
    this.#append(stream, text);
  }

  /** Decodes what is left and sends everything now. */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) this.#append(stream, this.#decoders[stream].end());
    this.flush();
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const segments = this.#segments;
    this.#segments = [];
    this.#buffered = 0;
    for (const segment of segments) {
      for (const piece of splitText(segment.text, this.#maxChunkChars)) this.#emit(segment.stream, piece);
    }
  }

  #append(stream: OutputStream, text: string): void {
    if (!text) return;
    const last = this.#segments.at(-1);
    if (last && last.stream === stream) last.text += text;
    else this.#segments.push({ stream, text });
    this.#buffered += text.length;
    if (this.#buffered >= this.#flushChars) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
  }
}
