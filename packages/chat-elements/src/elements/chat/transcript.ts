import type { AgentState, ThreadEvent, ThreadEventOf, TokenUsage } from '@remote-chat/protocol';

/** Output kept per tool call; older output is dropped with a note. */
export const MAX_OUTPUT_CHARS = 200_000;

export interface UserItem {
  type: 'user';
  key: string;
  seq: number;
  at: string;
  text: string;
  clientId: string;
  agent: string;
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
  /** The configured model that answered (`llm` agents). */
  model?: string | undefined;
  /** The tokens the answer took. */
  usage?: TokenUsage | undefined;
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

/** Something a screen reader should hear as it happens. */
export interface Announcement {
  key: string;
  text: string;
}

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
  /** The keys of the tool and file cards, in order (the newest is shown open). */
  lastCardKey = '';
  /** The tokens of every agent message so far, summed as they arrive. Replaced, never changed in place. */
  tokens: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  private readonly index = new Map<string, number>();
  /** Items made during the current `apply`: no one has seen them, so they may change in place. */
  private fresh = new Set<string>();

  /**
   * Applies events in seq order; ignores any at or below the last one applied. Returns what a
   * screen reader should announce: finished agent messages, finished commands, errors.
   */
  apply(events: readonly ThreadEvent[]): Announcement[] {
    const items = this.items.slice();
    const said: Announcement[] = [];
    this.fresh = new Set();
    for (const event of events) {
      if (event.seq <= this.lastSeq) continue;
      this.lastSeq = event.seq;
      this.applyOne(items, event, said);
    }
    this.fresh.clear();
    this.items = items;
    return said;
  }

  /** The user message sent with this client id, if the thread has it. */
  hasClientId(clientId: string): boolean {
    return this.index.has(`user:${clientId}`);
  }

  private applyOne(items: TranscriptItem[], event: ThreadEvent, said: Announcement[]): void {
    const base = { seq: event.seq, at: event.at };
    switch (event.kind) {
      case 'message.user':
        this.add(items, {
          type: 'user',
          key: `user:${event.clientId}`,
          ...base,
          text: event.text,
          clientId: event.clientId,
          agent: event.agent,
        });
        break;
      case 'message.delta': {
        const key = `agent:${event.messageId}`;
        const current = this.get<AgentItem>(items, key);
        if (current) this.update(items, current, { text: current.text + event.text });
        else {
          this.add(items, {
            type: 'agent',
            key,
            ...base,
            messageId: event.messageId,
            text: event.text,
            streaming: true,
          });
        }
        break;
      }
      case 'message.agent': {
        const key = `agent:${event.messageId}`;
        const current = this.get<AgentItem>(items, key);
        const answer = { text: event.text, streaming: false, model: event.model, usage: event.usage };
        // A message stored again under its id counts once: its earlier usage goes out of the sum.
        this.countTokens(event.usage, current?.usage);
        if (current) this.update(items, current, answer);
        else this.add(items, { type: 'agent', key, ...base, messageId: event.messageId, ...answer });
        said.push({ key, text: `Agent: ${event.text}` });
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
        this.lastCardKey = `tool:${event.callId}`;
        break;
      case 'tool.output': {
        const current = this.get<ToolItem>(items, `tool:${event.callId}`);
        if (current)
          this.update(
            items,
            current,
            appendOutput(current, { stream: event.stream, data: event.data }, this.fresh.has(current.key)),
          );
        break;
      }
      case 'tool.result': {
        const current = this.get<ToolItem>(items, `tool:${event.callId}`);
        if (current) {
          this.update(items, current, { result: event });
          const how = event.signal
            ? `stopped by ${event.signal}`
            : event.exitCode != null
              ? `exit code ${event.exitCode}`
              : event.ok
                ? 'done'
                : 'failed';
          said.push({ key: current.key, text: `${current.title}: ${how}` });
        }
        break;
      }
      case 'file.write':
        this.add(items, { type: 'file', key: `file:${event.seq}`, ...base, event });
        this.lastCardKey = `file:${event.seq}`;
        break;
      case 'status':
        this.state = event.state;
        this.stateMessage = event.message ?? '';
        if (event.state === 'error') {
          const message = event.message || 'The agent stopped with an error.';
          this.add(items, { type: 'error', key: `error:${event.seq}`, ...base, message });
          said.push({ key: `error:${event.seq}`, text: message });
        }
        break;
    }
  }

  private countTokens(added: TokenUsage | undefined, removed: TokenUsage | undefined): void {
    if (!added && !removed) return;
    const { inputTokens, outputTokens } = this.tokens;
    this.tokens = {
      inputTokens: inputTokens + (added?.inputTokens ?? 0) - (removed?.inputTokens ?? 0),
      outputTokens: outputTokens + (added?.outputTokens ?? 0) - (removed?.outputTokens ?? 0),
    };
  }

  private get<T extends TranscriptItem>(items: TranscriptItem[], key: string): T | undefined {
    const at = this.index.get(key);
    return at === undefined ? undefined : (items[at] as T | undefined);
  }

  private add(items: TranscriptItem[], item: TranscriptItem): void {
    // A key seen before (a replayed call id, say) replaces the old item rather than duplicating it.
    if (this.index.has(item.key)) {
      this.replace(items, item);
      return;
    }
    this.index.set(item.key, items.length);
    this.fresh.add(item.key);
    items.push(item);
  }

  /** Changes an item: in place if it was made in this `apply`, else as a new object. */
  private update<T extends TranscriptItem>(items: TranscriptItem[], current: T, patch: Partial<T>): void {
    if (this.fresh.has(current.key)) Object.assign(current, patch);
    else this.replace(items, { ...current, ...patch });
  }

  private replace(items: TranscriptItem[], item: TranscriptItem): void {
    const at = this.index.get(item.key);
    if (at !== undefined) items[at] = item;
  }
}

function appendOutput(
  item: ToolItem,
  chunk: OutputChunk,
  inPlace: boolean,
): Pick<ToolItem, 'output' | 'outputChars' | 'droppedChars'> {
  const output = inPlace ? item.output : item.output.slice();
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
  return { output, outputChars, droppedChars };
}
