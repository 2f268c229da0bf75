import type { EventBody } from '@remote-chat/protocol';
import { truncateText } from '../../tools/text-chunks.js';

// A model's conversation, made from thread events. The llm agent makes every request from events:
// the thread's history, the user's message and what it emitted during this turn. So the
// conversation it has after a runtime restart (rebuilt from the thread's history) is the one it
// would have had without the restart, and turns of other agents (a shell command) are in it too.

/** A tool call as the model made it. */
export interface ToolUse {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/** One entry of a conversation, in no API's dialect yet. */
export type ConversationItem =
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; toolUses: ToolUse[] }
  | { role: 'tool'; toolUseId: string; text: string; isError: boolean };

/** An item and the index of the first event it was made from (where a summary may cut). */
export interface SourcedItem {
  item: ConversationItem;
  from: number;
}

/** Ids of the llm agent's messages and calls: `llm-<user message seq>-<step>[-<call>]`. */
const LLM_ID = /^llm-(\d+)-(\d+)/;

/** The model's tool names of the thread events' tools: the chat's names are the shell agent's. */
const MODEL_TOOL_NAMES: Record<string, string> = {
  terminal: 'run_command',
  read: 'read_file',
  write: 'write_file',
  edit: 'edit_file',
  list: 'list_files',
  search: 'search_files',
};

/** Characters of one tool result a model is shown: the start and the end, the middle cut. */
export const MAX_RESULT_CHARS = 40_000;

/** A message is the llm agent's when its agent id is `llm` or `llm:<model>`. */
export function isLlmAgent(agent: string): boolean {
  return agent === 'llm' || agent.startsWith('llm:');
}

/**
 * The conversation in `events` (from index `start` on: what a summary does not cover). A user
 * message to the llm agent is a user item; its steps are assistant items (text and tool calls,
 * grouped by the step in their ids) followed by tool items; a turn of another agent (the shell)
 * becomes one user item that tells what was run and what came out.
 */
export function conversationOf(events: readonly EventBody[], start = 0): SourcedItem[] {
  const items: SourcedItem[] = [];
  const calls = collectCalls(events);
  /** The agent of the turn being read, from its user message. */
  let turnAgent: string | undefined;
  let foreign: { from: number; lines: string[] } | undefined;
  let step: { key: string; item: Extract<ConversationItem, { role: 'assistant' }>; results: SourcedItem[] } | undefined;

  const closeStep = (): void => {
    if (!step) return;
    items.push(...step.results);
    step = undefined;
  };
  const closeForeign = (): void => {
    if (!foreign) return;
    items.push({ item: { role: 'user', text: foreign.lines.join('\n') }, from: foreign.from });
    foreign = undefined;
  };

  for (let index = start; index < events.length; index++) {
    const event = events[index] as EventBody;
    if (event.kind === 'message.user') {
      closeStep();
      closeForeign();
      turnAgent = event.agent;
      if (isLlmAgent(event.agent)) items.push({ item: { role: 'user', text: event.text }, from: index });
      else foreign = { from: index, lines: [`(Run with the ${event.agent} agent, not by you:)`, `$ ${event.text}`] };
      continue;
    }
    if (foreign) {
      foreign.lines.push(...foreignLines(event, calls));
      continue;
    }
    if (turnAgent === undefined || !isLlmAgent(turnAgent)) continue;
    const id = event.kind === 'message.agent' ? event.messageId : event.kind === 'tool.call' ? event.callId : undefined;
    if (id === undefined) continue;
    const key = LLM_ID.exec(id)?.slice(1, 3).join('-') ?? id;
    if (step?.key !== key) {
      closeStep();
      const item: Extract<ConversationItem, { role: 'assistant' }> = { role: 'assistant', text: '', toolUses: [] };
      step = { key, item, results: [] };
      items.push({ item, from: index });
    }
    if (event.kind === 'message.agent') {
      step.item.text = step.item.text ? `${step.item.text}\n\n${event.text}` : event.text;
    } else if (event.kind === 'tool.call') {
      const call = calls.get(event.callId);
      step.item.toolUses.push(modelCallOf(event));
      step.results.push({ item: resultOf(event.callId, call), from: index });
    }
  }
  closeStep();
  closeForeign();
  return items;
}

/** A tool call's events, gathered by call id. */
interface CallEvents {
  call: Extract<EventBody, { kind: 'tool.call' }>;
  output: string[];
  result: Extract<EventBody, { kind: 'tool.result' }> | undefined;
  writes: Extract<EventBody, { kind: 'file.write' }>[];
}

function collectCalls(events: readonly EventBody[]): Map<string, CallEvents> {
  const calls = new Map<string, CallEvents>();
  for (const event of events) {
    if (event.kind === 'tool.call') calls.set(event.callId, { call: event, output: [], result: undefined, writes: [] });
    else if (event.kind === 'tool.output') calls.get(event.callId)?.output.push(event.data);
    else if (event.kind === 'tool.result') {
      const call = calls.get(event.callId);
      if (call) call.result = event;
    } else if (event.kind === 'file.write' && event.callId !== undefined) calls.get(event.callId)?.writes.push(event);
  }
  return calls;
}

/** The tool call as the model made it, from its `tool.call` event. */
function modelCallOf(event: Extract<EventBody, { kind: 'tool.call' }>): ToolUse {
  const input = event.input ?? {};
  const name = MODEL_TOOL_NAMES[event.tool] ?? event.tool;
  if (name === 'write_file') {
    // The content is not in the event (it can be large); the result shows the diff it made.
    const bytes = typeof input.bytes === 'number' ? input.bytes : 0;
    return {
      id: event.callId,
      name,
      input: { path: input.path, content: `[${bytes} bytes; the result shows the diff]` },
    };
  }
  return { id: event.callId, name, input };
}

/** What the model is told a call did: its output (colours removed, the middle cut if long), the diffs it made, how it ended. */
function resultOf(callId: string, call: CallEvents | undefined): ConversationItem {
  if (!call?.result)
    return { role: 'tool', toolUseId: callId, text: 'No result: the call was interrupted.', isError: true };
  const { result } = call;
  const parts: string[] = [];
  const output = middleCut(stripAnsi(call.output.join('')), MAX_RESULT_CHARS);
  if (output) parts.push(output.replace(/\n$/, ''));
  for (const write of call.writes)
    if (write.diff) parts.push(middleCut(write.diff, MAX_RESULT_CHARS / 2).replace(/\n$/, ''));
  if (call.call.tool === 'terminal') {
    if (result.error !== undefined) parts.push(`[stopped: ${result.error}]`);
    else parts.push(`[exit code ${result.exitCode ?? 'none'}${result.signal ? `, ${result.signal}` : ''}]`);
  } else if (result.error !== undefined) parts.push(`Error: ${result.error}`);
  return { role: 'tool', toolUseId: callId, text: parts.join('\n') || '(no output)', isError: !result.ok };
}

/** A turn of another agent, told in lines: its tool calls with their results, and what it said. */
function foreignLines(event: EventBody, calls: Map<string, CallEvents>): string[] {
  if (event.kind === 'message.agent') return [event.text];
  if (event.kind !== 'tool.call') return [];
  const result = resultOf(event.callId, calls.get(event.callId));
  const text = result.role === 'tool' ? result.text : '';
  return [`[${event.tool}: ${event.title}]`, middleCut(text, MAX_RESULT_CHARS / 4)];
}

/** Keeps the start and the end of a long text, with a note of what was cut. */
export function middleCut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const half = Math.floor(maxChars / 2);
  const cut = text.length - 2 * half;
  return `${truncateText(text, half, '')}\n[… ${cut} characters cut …]\n${text.slice(text.length - half)}`;
}

/** Removes ANSI escape sequences (colours, cursor moves): the chat renders them, a model only reads them. */
export function stripAnsi(text: string): string {
  // CSI sequences, OSC sequences (ended by BEL or ST), and two-character escapes.
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '');
}

/** A conversation told as plain text, for a model asked to summarise it. */
export function transcriptOf(items: readonly ConversationItem[]): string {
  return items
    .map((item) => {
      if (item.role === 'user') return `USER: ${item.text}`;
      if (item.role === 'tool') return `TOOL RESULT${item.isError ? ' (error)' : ''}: ${middleCut(item.text, 4_000)}`;
      const calls = item.toolUses.map((use) => `CALL ${use.name} ${truncateText(JSON.stringify(use.input), 2_000)}`);
      return [item.text ? `ASSISTANT: ${item.text}` : '', ...calls].filter(Boolean).join('\n');
    })
    .join('\n\n');
}
