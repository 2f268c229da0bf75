import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ServerFrameSchema,
  TOPIC_FAMILIES,
  TOPIC_FRAME_TYPES,
  TopicSchema,
  frameFits,
  isSeqFamily,
  parseTopic,
  streamTopic,
  topicFamily,
  type ServerFrame,
  type ServerFrameOf,
  type TopicFrame,
} from './index.js';
import * as lite from './lite.js';

describe('stream topics', () => {
  it('reads back every topic it makes', () => {
    expect(parseTopic(streamTopic.runtimes)).toEqual({ family: 'runtimes' });
    expect(parseTopic(streamTopic.threads('rt_1'))).toEqual({ family: 'threads', id: 'rt_1' });
    expect(parseTopic(streamTopic.runtimeLog('rt_1'))).toEqual({ family: 'runtime-log', id: 'rt_1' });
    expect(parseTopic(streamTopic.thread('th_1'))).toEqual({ family: 'thread', id: 'th_1' });
    expect(streamTopic.thread('th_1')).toBe('thread:th_1');
    expect(streamTopic.threads('rt_1')).toBe('threads:rt_1');
    expect(streamTopic.runtimeLog('rt_1')).toBe('runtime-log:rt_1');
  });

  it('reads exactly the names the schemas accept, and nothing else', () => {
    const names = [
      'runtimes',
      'threads:rt_1',
      'runtime-log:rt-1',
      'thread:th_1',
      `thread:${'a'.repeat(64)}`,
      `thread:${'a'.repeat(65)}`,
      'thread:',
      'thread',
      'threads',
      'runtimes:rt_1',
      'thread:../x',
      'thread:th_1:x',
      'thread:th 1',
      'Thread:th_1',
      'users:u_1',
      '__proto__',
      '',
    ];
    for (const name of names) {
      const accepted = TopicSchema.safeParse(name).success;
      expect({ name, parsed: parseTopic(name) !== null }).toEqual({ name, parsed: accepted });
      expect({ name, lite: lite.parseTopic(name) !== null }).toEqual({ name, lite: accepted });
    }
  });

  it('names the family of a typed topic from its prefix', () => {
    expect(TOPIC_FAMILIES.map((family) => topicFamily(family === 'runtimes' ? family : `${family}:x`))).toEqual(
      TOPIC_FAMILIES,
    );
    expect(topicFamily('thread:th_1')).toBe('thread');
    expect(topicFamily('threads:rt_1')).toBe('threads');
  });

  it('gives every topic frame exactly the families that carry it', () => {
    const all = ServerFrameSchema.options.map((option) => option.shape.type.value);
    const carried = new Set<string>(Object.values(TOPIC_FRAME_TYPES).flat());
    // Every frame but the connection's own (welcome, pong) belongs to some family.
    expect(all.filter((type) => !carried.has(type))).toEqual(['welcome', 'pong']);
    const removed: ServerFrame = { type: 'runtime-removed', topic: 'runtimes', id: 'rt_1' };
    const caughtUp: ServerFrame = { type: 'caught-up', topic: 'thread:th_1', seq: 1 };
    const pong: ServerFrame = { type: 'pong' };
    expect(TOPIC_FAMILIES.filter((family) => frameFits(family, removed))).toEqual(['runtimes']);
    expect(TOPIC_FAMILIES.filter((family) => frameFits(family, caughtUp))).toEqual(['runtime-log', 'thread']);
    expect(TOPIC_FAMILIES.filter((family) => frameFits(family, pong))).toEqual([]);
    expect(TOPIC_FAMILIES.filter(isSeqFamily)).toEqual(['runtime-log', 'thread']);
    expectTypeOf<TopicFrame<'thread:th_1'>>().toEqualTypeOf<
      ServerFrameOf<'event' | 'events' | 'caught-up' | 'error'>
    >();
    expectTypeOf<TopicFrame<'runtimes'>>().toEqualTypeOf<
      ServerFrameOf<'runtimes' | 'runtime' | 'runtime-removed' | 'error'>
    >();
  });
});
