import type { EventBody } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { parseStoredEvent, storedEventJson, withStoreFields } from './stored-event.js';

const bodies: EventBody[] = [
  { kind: 'tool.output', callId: 'c1', stream: 'stdout', data: 'a\n' },
  { kind: 'message.delta', messageId: 'm1', text: 'Hi' },
  { kind: 'status', state: 'error', message: 'The model is rate-limiting.' },
];
const at = '2026-12-07T04:00:00.000Z';

describe('an event with the store’s fields', () => {
  it('is the body, then threadId, seq and at: the same JSON text a replay sends for it', () => {
    for (const [index, body] of bodies.entries()) {
      const event = withStoreFields(body, 'th_1', index + 1, at);
      expect(Object.keys(event)).toEqual([...Object.keys(body), 'threadId', 'seq', 'at']);
      const stored = { threadId: 'th_1', seq: index + 1, at, bodyJson: JSON.stringify(body) };
      // A live event and the replay of the stored one reach the browser as the same text.
      expect(JSON.stringify(event)).toBe(storedEventJson(stored));
      expect(parseStoredEvent(stored)).toStrictEqual(event);
    }
  });

  it('lets the store’s fields win over keys of the same name, and leaves the body as it was', () => {
    const body = { kind: 'message.delta', messageId: 'm1', text: 'x', seq: 99, threadId: 'th_other' } as EventBody;
    const copy = structuredClone(body);
    const event = withStoreFields(body, 'th_1', 3, at);
    expect(event).toMatchObject({ threadId: 'th_1', seq: 3, at });
    expect(body).toStrictEqual(copy);
    expect(JSON.parse(storedEventJson({ threadId: 'th_1', seq: 3, at, bodyJson: JSON.stringify(body) }))).toStrictEqual(
      event,
    );
  });
});
