import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  EventBodySchema,
  FromRuntimeMessageSchema,
  GatewayToRuntimeFrameSchema,
  LIMITS,
  linkFrameSchema,
  parseFast,
  safeParseFast,
  shortcutOf,
} from './index.js';

const long = (n: number) => 'a'.repeat(n);

/** Values the shortcuts are for: each must be taken by its shortcut, and be what the schema makes of it. */
const events = [
  { kind: 'message.delta', messageId: 'llm-3-1', text: 'Hello' },
  { kind: 'message.delta', messageId: long(128), text: '' },
  { kind: 'message.delta', messageId: 'm', text: long(LIMITS.maxOutputChunkChars) },
  { kind: 'tool.output', callId: 'call_1', stream: 'stdout', data: 'a\n' },
  { kind: 'tool.output', callId: 'c', stream: 'stderr', data: '\u001b[31mred\u001b[0m' },
  { kind: 'status', state: 'running' },
  { kind: 'status', state: 'error', message: 'The model is rate-limiting.' },
  { kind: 'status', state: 'idle', message: long(4096) },
];
const messages = events.map((event) => ({ type: 'thread.event', threadId: 'th_0123456789abcdef', event }));
const dataFrames = messages.map((message, index) => ({ type: 'data', seq: index + 1, message }));
const notifications = [
  { type: 'executionGateway.notification', requestId: 'gw_1', payload: { choices: [{ delta: { content: 'Hi' } }] } },
  { type: 'executionGateway.notification', requestId: 'a.b:c-d_e', payload: null },
  { type: 'executionGateway.notification', requestId: long(128), payload: 'text' },
];

const cases: Array<{ name: string; schema: z.ZodType; values: unknown[] }> = [
  { name: 'EventBodySchema', schema: EventBodySchema, values: events },
  { name: 'FromRuntimeMessageSchema', schema: FromRuntimeMessageSchema, values: messages },
  { name: 'a data frame from a runtime', schema: linkFrameSchema(FromRuntimeMessageSchema), values: dataFrames },
  { name: 'GatewayToRuntimeFrameSchema', schema: GatewayToRuntimeFrameSchema, values: notifications },
];

/** What a field may be turned into: wrong types, edge numbers, strings at and past every bound the schemas use, ids with characters ids may not have. */
const replacements: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  Number.NaN,
  2 ** 53,
  true,
  [],
  {},
  ['a'],
  '',
  'a',
  'a b',
  'a.b:c',
  'é',
  'stdout',
  'stderr',
  'idle',
  'thinking',
  'nope',
  'message.delta',
  'message.agent',
  'tool.output',
  'status',
  'thread.event',
  'runtime.info',
  'data',
  'ack',
  'executionGateway.notification',
  'executionGateway.reply',
  ...[63, 64, 65, 127, 128, 129, 4095, 4096, 4097, LIMITS.maxOutputChunkChars, LIMITS.maxOutputChunkChars + 1].map(
    long,
  ),
];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every value one change away from `value`: each field replaced, removed, or a key added, at every depth. */
function* mutations(value: unknown): Generator<unknown> {
  if (!isObject(value)) return;
  for (const key of Object.keys(value)) {
    for (const replacement of replacements) yield { ...value, [key]: replacement };
    const { [key]: _removed, ...rest } = value;
    yield rest;
    for (const inner of mutations(value[key])) yield { ...value, [key]: inner };
  }
  yield { ...value, extra: 1 };
  yield { ...value, extra: undefined };
  // JSON.parse makes `__proto__` an own key, as a hostile peer's frame would have it.
  yield Object.assign(JSON.parse('{"__proto__": {"kind": "status"}}') as Json, value);
  yield [value];
}

describe('shortcuts past zod', () => {
  for (const { name, schema, values } of cases) {
    describe(name, () => {
      const shortcut = shortcutOf(schema)!;

      it('has a shortcut that takes the values it is for, as the schema makes them', () => {
        expect(shortcut).toBeTypeOf('function');
        for (const value of values) {
          expect(shortcut(value), JSON.stringify(value).slice(0, 200)).toBe(true);
          const parsed = schema.safeParse(value);
          expect(parsed.success).toBe(true);
          expect(parsed.data).toStrictEqual(value);
          // The shortcut was taken: the value itself, not zod's copy.
          const fast = safeParseFast(schema, value);
          expect(fast.success && fast.data).toBe(value);
        }
      });

      it('never takes a value the schema refuses or would change (every one-field mutation)', () => {
        let taken = 0;
        let refused = 0;
        let tried = 0;
        for (const value of values) {
          for (const mutated of mutations(value)) {
            tried++;
            const parsed = schema.safeParse(mutated);
            if (!parsed.success) refused++;
            if (!shortcut(mutated)) continue;
            taken++;
            const where = JSON.stringify(mutated)?.slice(0, 300);
            expect(parsed.success, `the shortcut took what the schema refuses: ${where}`).toBe(true);
            expect(parsed.data, `the schema changes what the shortcut took: ${where}`).toStrictEqual(mutated);
          }
        }
        // The mutations reach both sides: some the shortcut takes, many the schema refuses.
        expect(taken).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(tried / 4);
      });

      it('leaves what it does not take to the schema, with the schema’s answer', () => {
        for (const value of values) {
          for (const mutated of mutations(value)) {
            if (shortcut(mutated)) continue;
            const fast = safeParseFast(schema, mutated);
            const slow = schema.safeParse(mutated);
            expect(fast.success).toBe(slow.success);
            if (slow.success) expect(fast.data).toStrictEqual(slow.data);
          }
        }
      });
    });
  }

  it('parseFast throws what the schema throws', () => {
    expect(parseFast(EventBodySchema, events[0])).toBe(events[0]);
    expect(() => parseFast(EventBodySchema, { kind: 'message.delta', messageId: '', text: 'x' })).toThrow();
    expect(parseFast(EventBodySchema, { kind: 'message.delta', messageId: 'm', text: 'x', extra: 1 })).toStrictEqual({
      kind: 'message.delta',
      messageId: 'm',
      text: 'x',
    });
  });
});
