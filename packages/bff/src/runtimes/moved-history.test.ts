import type { EventBody, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { movedHistory } from './moved-history.js';

/** The bodies as a thread stores them, numbered from 1. */
function stored(bodies: EventBody[]): ThreadEvent[] {
  return bodies.map((body, index) => ({ ...body, threadId: 'th_1', seq: index + 1, at: '2026-01-01T00:00:00.000Z' }));
}

const turn = (n: number, answer = `answer ${n}`): EventBody[] => [
  { kind: 'message.user', clientId: `c${n}`, text: `question ${n}`, agent: 'llm' },
  { kind: 'status', state: 'thinking' },
  { kind: 'message.delta', messageId: `m${n}`, text: 'ans' },
  { kind: 'message.agent', messageId: `m${n}`, text: answer, agent: 'llm' },
  { kind: 'status', state: 'idle' },
];

describe("a moved thread's history", () => {
  it('carries what was said and done, without deltas or statuses', () => {
    const { history, truncated } = movedHistory(stored([...turn(1), ...turn(2)]));
    expect(truncated).toBe(false);
    expect(history.map((e) => (e.kind === 'message.user' || e.kind === 'message.agent' ? e.text : e.kind))).toEqual([
      'question 1',
      'answer 1',
      'question 2',
      'answer 2',
    ]);
  });

  it("keeps a tool call's output as one event, its head and tail, with a note of what it left out", () => {
    const long = 'a'.repeat(5000) + 'b'.repeat(10_000) + 'c'.repeat(5000);
    const { history } = movedHistory(
      stored([
        { kind: 'tool.call', callId: 'k1', tool: 'terminal', title: 'build' },
        { kind: 'tool.output', callId: 'k1', stream: 'stdout', data: long.slice(0, 10_000) },
        { kind: 'tool.output', callId: 'k1', stream: 'stdout', data: long.slice(10_000) },
        { kind: 'tool.result', callId: 'k1', ok: true, durationMs: 5 },
      ]),
    );
    expect(history.map((e) => e.kind)).toEqual(['tool.call', 'tool.output', 'tool.result']);
    const data = history[1]?.kind === 'tool.output' ? history[1].data : '';
    expect(data.startsWith('a'.repeat(4096))).toBe(true);
    expect(data.endsWith('c'.repeat(4096))).toBe(true);
    expect(data).toContain('[… 11808 characters of output not carried over …]');
  });

  it('keeps the newest whole turns under the cap and says it cut', () => {
    const big = 'x'.repeat(400);
    const bodies = Array.from({ length: 10 }, (_, n) => turn(n, big)).flat();
    const { history, truncated } = movedHistory(stored(bodies), 2000);
    expect(truncated).toBe(true);
    expect(JSON.stringify(history).length).toBeLessThanOrEqual(2000);
    expect(history[0]).toMatchObject({ kind: 'message.user' });
    expect(history.at(-1)).toMatchObject({ kind: 'message.agent', messageId: 'm9' });
    expect(history.length).toBeGreaterThan(2);
  });
});
