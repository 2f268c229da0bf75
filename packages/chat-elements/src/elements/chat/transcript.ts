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

/** What the runtime's host said about the thread's runtime (it was stopped, what was lost). */
export interface NoticeItem {
  type: 'notice';
  key: string;
  seq: number;
  at: string;
  message: string;
}

export interface ErrorItem {
  type: 'error';
  key: string;
  seq: number;
  at: string;
  message: string;
}

/** The agent's plan as it stands: the latest `plan` event of the turn replaces the last. */
export interface PlanItem {
  type: 'plan';
  key: string;
  seq: number;
  at: string;
  entries: ThreadEventOf<'plan'>['entries'];
}

/** A permission request and, once it is settled, its answer. */
export interface PermissionItem {
  type: 'permission';
  key: string;
  seq: number;
  at: string;
  request: ThreadEventOf<'permission.request'>;
  answer: ThreadEventOf<'permission.answer'> | undefined;
}

export type TranscriptItem =
  | UserItem
  | AgentItem
  | ToolItem
  | FileItem
  | ErrorItem
  | NoticeItem
  | PlanItem
  | PermissionItem;

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
  /** The key of the plan of the current turn (each user message starts a turn). */
  private planKey = 'plan:0';
  /** Answers that came before their request (not expected, but nothing a peer sends may be lost). */
  private readonly earlyAnswers = new Map<string, ThreadEventOf<'permission.answer'>>();
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
        this.planKey = `plan:${event.seq}`;
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
        } else if (event.message) {
          this.add(items, { type: 'notice', key: `notice:${event.seq}`, ...base, message: event.message });
          said.push({ key: `notice:${event.seq}`, text: event.message });
        }
        break;
      case 'plan': {
        // One plan per turn, where the turn's first plan appeared; each replaces the last.
        const current = this.get<PlanItem>(items, this.planKey);
        if (current) this.update(items, current, { entries: event.entries });
        else this.add(items, { type: 'plan', key: this.planKey, ...base, entries: event.entries });
        break;
      }
      case 'permission.request': {
        const key = `permission:${event.requestId}`;
        const answer = this.earlyAnswers.get(event.requestId);
        this.earlyAnswers.delete(event.requestId);
        this.add(items, { type: 'permission', key, ...base, request: event, answer });
        if (!answer) said.push({ key, text: `The agent asks permission: ${event.title}` });
        break;
      }
      case 'permission.answer': {
        const current = this.get<PermissionItem>(items, `permission:${event.requestId}`);
        // The first answer is the one that counts, as in the store.
        if (!current) {
          if (!this.earlyAnswers.has(event.requestId)) this.earlyAnswers.set(event.requestId, event);
        } else if (!current.answer) {
          this.update(items, current, { answer: event });
          said.push({ key: current.key, text: permissionOutcome(current.request, event) });
        }
        break;
      }
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

/** A settled permission request, in words: who settled it and how. */
export function permissionOutcome(
  request: ThreadEventOf<'permission.request'>,
  answer: ThreadEventOf<'permission.answer'>,
): string {
  if (answer.by === 'timeout') {
    const waited = Date.parse(answer.at) - Date.parse(request.at);
    return Number.isFinite(waited) && waited > 0
      ? `Denied: no one answered within ${formatWait(waited)}.`
      : 'Denied: no one answered in time.';
  }
  if (answer.by === 'stop') return 'Denied: the agent was stopped.';
  const option = request.options.find((o) => o.optionId === answer.optionId);
  if (!option) return answer.denied ? 'Denied.' : 'Answered.';
  return `${option.kind.startsWith('allow') ? 'Allowed' : 'Denied'}: ${option.name}.`;
}

/** A wait of about this long, for people: "45 seconds", "5 minutes". */
function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  return `${minutes} minutes`;
}
