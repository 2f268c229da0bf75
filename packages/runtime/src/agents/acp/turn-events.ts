import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as acp from '@agentclientprotocol/sdk';
import { LIMITS } from '@remote-chat/protocol';
import { unifiedDiff } from '../../tools/files.js';
import { splitText, truncateText } from '../../tools/text-chunks.js';
import type { AgentTurn } from '../agent.js';

/** A tool call of the turn as the chat has been told of it. */
interface CallState {
  callId: string;
  started: number;
  /** Content already shown (text, diffs), so a repeated update shows nothing twice. */
  shown: Set<string>;
  ended: boolean;
}

/**
 * One prompt turn of an ACP agent, as thread events: message chunks stream as `message.delta`
 * and end as one `message.agent` (`finish`); tool calls and their updates become `tool.call`,
 * `tool.output` (text content) and `tool.result` (on `completed` / `failed`); diff content and
 * files the agent writes through the client become `file.write`; plans become `plan`.
 */
export class AcpTurnEvents {
  readonly #turn: AgentTurn;
  readonly #agentId: string;
  readonly #workspace: string;
  readonly #messageId: string;
  readonly #calls = new Map<string, CallState>();
  /** `path\0content` of every file the turn reported written, so a diff and its write show once. */
  readonly #written = new Set<string>();
  #text = '';
  /** The tool call updated last, to which a file written through the client belongs. */
  #current: CallState | undefined;

  constructor(turn: AgentTurn, agentId: string, workspace: string) {
    this.#turn = turn;
    this.#agentId = agentId;
    this.#workspace = workspace;
    this.#messageId = `acp-${turn.message.seq}`;
  }

  /** Applies one `session/update`. */
  update(update: acp.SessionUpdate): void {
    switch (update.sessionUpdate) {
      case 'agent_message_chunk':
        if (update.content.type === 'text') this.#say(update.content.text);
        return;
      case 'tool_call': {
        const call = this.#open(update.toolCallId, update.title, update.kind, update.rawInput);
        this.#apply(call, update.content, update.status);
        return;
      }
      case 'tool_call_update': {
        const call = this.#open(update.toolCallId, update.title ?? 'tool call', update.kind, update.rawInput);
        this.#apply(call, update.content ?? undefined, update.status ?? undefined);
        return;
      }
      case 'plan':
        this.#turn.emit({
          kind: 'plan',
          entries: update.entries.slice(0, 200).map(({ content, status, priority }) => ({
            content: truncateText(content, 4096),
            status,
            priority,
          })),
        });
        return;
      default:
        // Thoughts, mode and command lists, usage: nothing the chat shows yet.
        return;
    }
  }

  /** The thread's id for an ACP tool call of this turn, when the chat was told of it. */
  callIdOf(toolCallId: string): string | undefined {
    return this.#calls.get(toolCallId)?.callId;
  }

  /** The agent wrote a file through the client (`fs/write_text_file`): a `file.write`, unless its diff was shown. */
  wrote(absolute: string, content: string, result: { created: boolean; bytes: number; diff: string }): void {
    const key = this.#writeKey(absolute, content);
    if (this.#written.has(key)) return;
    this.#written.add(key);
    this.#fileWrite(absolute, result, this.#current && !this.#current.ended ? this.#current.callId : undefined);
  }

  /**
   * Ends the turn: tool calls left open end as failed (`unfinished`, or `cancelled` after a Stop),
   * and the text becomes one `message.agent`, followed by `note` when there is one.
   */
  finish(note?: string, stopped = false): void {
    for (const call of this.#calls.values()) {
      if (call.ended) continue;
      this.#end(call, false, stopped ? 'cancelled' : 'unfinished: the agent ended its turn without a result');
    }
    if (note) this.#say(`${this.#text ? '\n\n' : ''}${note}`);
    if (!this.#text) return;
    this.#turn.emit({
      kind: 'message.agent',
      messageId: this.#messageId,
      text: truncateText(this.#text, LIMITS.maxMessageChars * 4, '\n\n[message truncated]'),
      agent: this.#agentId,
    });
  }

  #say(text: string): void {
    if (!text) return;
    this.#text += text;
    for (const piece of splitText(text, LIMITS.maxOutputChunkChars))
      this.#turn.emit({ kind: 'message.delta', messageId: this.#messageId, text: piece });
  }

  #open(toolCallId: string, title: string, kind: acp.ToolKind | null | undefined, rawInput: unknown): CallState {
    let call = this.#calls.get(toolCallId);
    if (!call) {
      call = { callId: this.#newCallId(toolCallId), started: performance.now(), shown: new Set(), ended: false };
      this.#calls.set(toolCallId, call);
      this.#turn.emit({
        kind: 'tool.call',
        callId: call.callId,
        tool: kind ?? 'other',
        title: truncateText(title, 4096),
        ...(isRecord(rawInput) && { input: rawInput }),
      });
    }
    this.#current = call;
    return call;
  }

  #apply(
    call: CallState,
    content: readonly acp.ToolCallContent[] | undefined,
    status: acp.ToolCallStatus | undefined,
  ): void {
    for (const item of content ?? []) {
      if (item.type === 'content' && item.content.type === 'text') {
        const key = `text\0${item.content.text}`;
        if (call.shown.has(key)) continue;
        call.shown.add(key);
        for (const data of splitText(item.content.text, LIMITS.maxOutputChunkChars))
          this.#turn.emit({ kind: 'tool.output', callId: call.callId, stream: 'stdout', data });
      } else if (item.type === 'diff') {
        const key = this.#writeKey(item.path, item.newText);
        if (call.shown.has(key) || this.#written.has(key)) continue;
        call.shown.add(key);
        this.#written.add(key);
        const before = item.oldText == null ? undefined : Buffer.from(item.oldText);
        const shown = this.#shownPath(item.path);
        this.#fileWrite(
          item.path,
          {
            created: item.oldText == null,
            bytes: Buffer.byteLength(item.newText),
            diff: unifiedDiff(shown, before, item.newText),
          },
          call.callId,
        );
      }
      // A terminal's output streams under its own tool call (see AcpTerminals).
    }
    if (status === 'completed' || status === 'failed') this.#end(call, status === 'completed');
  }

  #end(call: CallState, ok: boolean, error?: string): void {
    if (call.ended) return;
    call.ended = true;
    this.#turn.emit({
      kind: 'tool.result',
      callId: call.callId,
      ok,
      durationMs: Math.round(performance.now() - call.started),
      ...(!ok && { error: error ?? 'failed' }),
    });
  }

  #fileWrite(absolute: string, result: { created: boolean; bytes: number; diff: string }, callId?: string): void {
    this.#turn.emit({
      kind: 'file.write',
      ...(callId !== undefined && { callId }),
      path: truncateText(this.#shownPath(absolute), 4096),
      diff: truncateText(result.diff, LIMITS.maxMessageChars * 4, '\n[diff truncated]\n'),
      created: result.created,
      bytes: result.bytes,
    });
  }

  /** A path as people see it: relative to the workspace when inside it. */
  #shownPath(absolute: string): string {
    const relative = path.relative(this.#workspace, path.resolve(this.#workspace, absolute));
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
  }

  #writeKey(file: string, content: string): string {
    return `${path.resolve(this.#workspace, file)}\0${createHash('sha256').update(content).digest('base64')}`;
  }

  /** `acp-<message seq>-<tool call id>`, hashed when the agent's id would make it too long. */
  #newCallId(toolCallId: string): string {
    const prefix = `acp-${this.#turn.message.seq}-`;
    const safe = /^[\w.:-]{1,96}$/.test(toolCallId)
      ? toolCallId
      : createHash('sha256').update(toolCallId).digest('hex').slice(0, 32);
    return `${prefix}${safe}`;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
