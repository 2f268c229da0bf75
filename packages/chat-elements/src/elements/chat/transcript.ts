import type { AgentState, ThreadEvent, ThreadEventOf } from '@remote-chat/protocol';

/** Output kept per tool call; older output is dropped with a note (virtualisation comes later). */
export const MAX_OUTPUT_CHARS = 200_000;

export interface UserItem {
  type: 'user';
  key: string;
  seq: number;
  at: string;
  text: string;
  clientId: string;
}

export interface AgentItem {
  type: 'agent';
  key: string;
  seq: number;
  at: string;
  messageId: string;
  text: string;
  /** Deltas so far, no final message yet. */
  streaming: boolean;
}

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: string;
}

export interface ToolItem {
  type: 'tool';
  key: string;
  seq: number;
  at: string;
  callId: string;
  tool: string;
  title: string;
  input: Record<string, unknown> | undefined;
  output: OutputChunk[];
  outputChars: number;
  /** Characters dropped from the start of the output. */
  droppedChars: number;
  result: ThreadEventOf<'tool.result'> | undefined;
}

export interface FileItem {
  type: 'file';
  key: string;
  seq: number;
  at: string;
  event: ThreadEventOf<'file.write'>;
}

export interface ErrorItem {
  type: 'error';
  key: string;
  seq: number;
  at: string;
  message: string;
}

export type TranscriptItem = UserItem | AgentItem | ToolItem | FileItem | ErrorItem;

/**
 * A thread's events folded into what the chat shows: messages, tool cards (call, output, result),
 * file writes, errors, and the agent's state. Items are replaced, never changed in place, so that
 * a keyed `repeat` re-renders only what changed.
 */
export class Transcript {
  items: TranscriptItem[] = [];
  state: AgentState = 'idle';
  stateMessage = '';
  lastSeq = 0;
  private readonly index = new Map<string, number>();

  /** Applies events in seq order; ignores any at or below the last one applied. */
  apply(events: readonly ThreadEvent[]): void {
    const items = this.items.slice();
    for (const event of events) {
      if (event.seq <= this.lastSeq) continue;
      this.lastSeq = event.seq;
      this.applyOne(items, event);
    }
    this.items = items;
  }

  /** The user message sent with this client id, if the thread has it. */
  hasClientId(clientId: string): boolean {
    return this.index.has(`user:${clientId}`);
  }

  private applyOne(items: TranscriptItem[], event: ThreadEvent): void {
    const base = { seq: event.seq, at: event.at };
    switch (event.kind) {
      case 'message.user':
        this.add(items, {
          type: 'user',
          key: `user:${event.clientId}`,
          ...base,
          text: event.text,
          clientId: event.clientId,
        });
        break;
      case 'message.delta': {
        const key = `agent:${event.messageId}`;
        const current = this.get<AgentItem>(items, key);
        if (current) this.replace(items, { ...current, text: current.text + event.text });
        else {
          this.add(items, { type: 'agent', key, ...base, messageId: event.messageId, text: event.text, streaming: true });
        }
        break;
      }
      case 'message.agent': {
        const key = `agent:${event.messageId}`;
        const current = this.get<AgentItem>(items, key);
        if (current) this.replace(items, { ...current, text: event.text, streaming: false });
        else {
          this.add(items, { type: 'agent', key, ...base, messageId: event.messageId, text: event.text, streaming: false });
        }
        break;
      }
      case 'tool.call':
        this.add(items, {
          type: 'tool',
          key: `tool:${event.callId}`,
          ...base,
          callId: event.callId,
          tool: event.tool,
          title: event.title,
          input: event.input,
          output: [],
          outputChars: 0,
          droppedChars: 0,
          result: undefined,
        });
        break;
      case 'tool.output': {
        const current = this.get<ToolItem>(items, `tool:${event.callId}`);
        if (current) this.replace(items, appendOutput(current, { stream: event.stream, data: event.data }));
        break;
      }
      case 'tool.result': {
        const current = this.get<ToolItem>(items, `tool:${event.callId}`);
        if (current) this.replace(items, { ...current, result: event });
        break;
      }
      case 'file.write':
        this.add(items, { type: 'file', key: `file:${event.seq}`, ...base, event });
        break;
      case 'status':
        this.state = event.state;
        this.stateMessage = event.message ?? '';
        if (event.state === 'error') {
          this.add(items, {
            type: 'error',
            key: `error:${event.seq}`,
            ...base,
            message: event.message || 'The agent stopped with an error.',
          });
        }
        break;
    }
  }

  private get<T extends TranscriptItem>(items: TranscriptItem[], key: string): T | undefined {
    const at = this.index.get(key);
    return at === undefined ? undefined : (items[at] as T | undefined);
  }

  private add(items: TranscriptItem[], item: TranscriptItem): void {
    // A key seen before (a replayed call id, say) replaces the old item rather than duplicating it.
    if (this.index.has(item.key)) return this.replace(items, item);
    this.index.set(item.key, items.length);
    items.push(item);
  }

  private replace(items: TranscriptItem[], item: TranscriptItem): void {
    const at = this.index.get(item.key);
    if (at !== undefined) items[at] = item;
  }
}

function appendOutput(item: ToolItem, chunk: OutputChunk): ToolItem {
  const output = item.output.slice();
  const last = output[output.length - 1];
  if (last && last.stream === chunk.stream) output[output.length - 1] = { ...last, data: last.data + chunk.data };
  else output.push(chunk);
  let outputChars = item.outputChars + chunk.data.length;
  let droppedChars = item.droppedChars;
  while (outputChars > MAX_OUTPUT_CHARS && output.length > 0) {
    const first = output[0]!;
    const excess = outputChars - MAX_OUTPUT_CHARS;
    if (first.data.length <= excess) {
      output.shift();
      outputChars -= first.data.length;
      droppedChars += first.data.length;
    } else {
      output[0] = { ...first, data: first.data.slice(excess) };
      outputChars -= excess;
      droppedChars += excess;
    }
  }
  return { ...item, output, outputChars, droppedChars };
}
