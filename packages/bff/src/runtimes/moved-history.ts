import { HISTORY_EVENT_KINDS, LIMITS, type EventBody, type ThreadEvent } from '@remote-chat/protocol';

/** The kinds a moved thread's history carries: what was said and done, not how it streamed. */
const CARRIED_KINDS: ReadonlySet<EventBody['kind']> = new Set(HISTORY_EVENT_KINDS);

/** Of one tool call's output, the first and the last this many characters are carried over. */
const OUTPUT_END_CHARS = 4 * 1024;

export interface MovedHistory {
  /** The conversation, oldest first, at most `maxBytes` of JSON. */
  history: EventBody[];
  /** Older turns were left out to stay under `maxBytes`. */
  truncated: boolean;
}

/**
 * The conversation a thread's new runtime is handed when the thread moves (`thread.continue`):
 * user and agent messages, tool calls with the head and tail of their output, results and file
 * writes, without deltas or statuses. Past `maxBytes` the newest whole turns are kept (a kept
 * part starts at a user message, so no tool result is left without its call).
 */
export function movedHistory(
  events: readonly ThreadEvent[],
  maxBytes: number = LIMITS.maxMovedHistoryBytes,
): MovedHistory {
  const bodies = compactOutput(
    events
      .filter((event) => CARRIED_KINDS.has(event.kind))
      .map(({ threadId: _t, seq: _s, at: _a, ...body }) => body as EventBody),
  );
  let bytes = 0;
  let start = bodies.length;
  let cut = bodies.length;
  for (let index = bodies.length - 1; index >= 0; index--) {
    bytes += Buffer.byteLength(JSON.stringify(bodies[index])) + 1;
    if (bytes > maxBytes) break;
    start = index;
    if (bodies[index]!.kind === 'message.user') cut = index;
  }
  // Everything fits: keep it all, even what precedes the first user message.
  if (start === 0) return { history: bodies, truncated: false };
  return { history: bodies.slice(cut), truncated: true };
}

/** Each tool call's output as one event, its middle replaced by a note when long. */
function compactOutput(bodies: readonly EventBody[]): EventBody[] {
  const outputs = new Map<string, string>();
  for (const body of bodies)
    if (body.kind === 'tool.output') outputs.set(body.callId, (outputs.get(body.callId) ?? '') + body.data);
  const compacted: EventBody[] = [];
  for (const body of bodies) {
    if (body.kind !== 'tool.output') {
      compacted.push(body);
      continue;
    }
    const whole = outputs.get(body.callId);
    // The call's output goes where its first piece was, once.
    if (whole === undefined) continue;
    outputs.delete(body.callId);
    const dropped = whole.length - 2 * OUTPUT_END_CHARS;
    const data =
      dropped > 0
        ? `${whole.slice(0, OUTPUT_END_CHARS)}\n[… ${dropped} characters of output not carried over …]\n${whole.slice(-OUTPUT_END_CHARS)}`
        : whole;
    compacted.push({ kind: 'tool.output', callId: body.callId, stream: body.stream, data });
  }
  return compacted;
}
