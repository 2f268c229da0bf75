import { EventBodySchema, type EventBody } from '@remote-chat/protocol';
import type { Agent, AgentTurn } from '../agents/agent.js';
import { NO_BACKPRESSURE, type Backpressure } from '../backpressure.js';
import type { ModelAccess } from '../model-endpoint/model-access.js';

/** An event as a test saw it, with the time it arrived. */
export type SeenEvent = EventBody & { at: number };

let nextSeq = 1;

/**
 * Runs one message through an agent and returns every event it emitted. Each event is checked
 * against EventBodySchema on arrival, so an invalid event fails the test.
 */
export async function runTurn(
  agent: Agent,
  text: string,
  options: {
    signal?: AbortSignal;
    onEvent?: (event: SeenEvent) => void;
    seq?: number;
    backpressure?: Backpressure;
    /** The message's agent id. @default agent.id */
    agentId?: string;
    threadId?: string;
    history?: readonly EventBody[];
    model?: ModelAccess;
    /** @default denies every request at once, as a timeout would */
    askPermission?: AgentTurn['askPermission'];
  } = {},
): Promise<SeenEvent[]> {
  const events: SeenEvent[] = [];
  const seq = options.seq ?? nextSeq++;
  await agent.handle({
    message: {
      threadId: options.threadId ?? 'th_1',
      seq,
      clientId: `client-${seq}`,
      text,
      agent: options.agentId ?? agent.id,
    },
    signal: options.signal ?? new AbortController().signal,
    backpressure: options.backpressure ?? NO_BACKPRESSURE,
    ...(options.history ? { history: options.history } : {}),
    ...(options.model ? { model: options.model } : {}),
    askPermission: options.askPermission ?? (async () => ({ outcome: 'denied', by: 'timeout' })),
    emit: (event) => {
      const parsed = EventBodySchema.parse(event);
      const seen = { ...parsed, at: Date.now() };
      events.push(seen);
      options.onEvent?.(seen);
    },
  });
  return events;
}

/** The events of one kind. */
export function ofKind<K extends EventBody['kind']>(events: SeenEvent[], kind: K): Extract<SeenEvent, { kind: K }>[] {
  return events.filter((event): event is Extract<SeenEvent, { kind: K }> => event.kind === kind);
}

/** All output of one stream, joined. */
export function outputOf(events: SeenEvent[], stream: 'stdout' | 'stderr' = 'stdout'): string {
  return ofKind(events, 'tool.output')
    .filter((event) => event.stream === stream)
    .map((event) => event.data)
    .join('');
}

/** The one tool.result of a turn. */
export function resultOf(events: SeenEvent[]): Extract<SeenEvent, { kind: 'tool.result' }> {
  const results = ofKind(events, 'tool.result');
  if (results.length !== 1) throw new Error(`expected one tool.result, got ${results.length}`);
  return results[0]!;
}
