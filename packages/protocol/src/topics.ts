// Which topics the browser stream has, how their names are made and read, and which frames each
// family of topics carries: the one place both sides learn it from. No zod here, so that the
// browser bundle can import it through `lite.ts`; the zod `TopicSchema` accepts exactly the names
// `parseTopic` reads (a test holds them together).
import type { ServerFrame, ServerFrameOf, Topic } from './stream.js';

/**
 * The families of stream topics.
 * - `runtimes`: the user's runtimes (a snapshot, then updates).
 * - `threads:RUNTIME_ID`: a runtime's threads (a snapshot, then updates).
 * - `runtime-log:RUNTIME_ID`: a runtime's log entries after a seq.
 * - `thread:THREAD_ID`: a thread's events after a seq.
 */
export const TOPIC_FAMILIES = ['runtimes', 'threads', 'runtime-log', 'thread'] as const;
export type TopicFamily = (typeof TOPIC_FAMILIES)[number];

/** The families whose topics carry entries with a seq, resumable after one. */
export const SEQ_TOPIC_FAMILIES = ['runtime-log', 'thread'] as const;

/** The frames each family's topics carry, and no others. */
export const TOPIC_FRAME_TYPES = {
  runtimes: ['runtimes', 'runtime', 'runtime-removed', 'error'],
  threads: ['threads', 'thread', 'thread-removed', 'error'],
  'runtime-log': ['log', 'caught-up', 'error'],
  thread: ['event', 'events', 'caught-up', 'error'],
} as const satisfies Record<TopicFamily, readonly ServerFrame['type'][]>;

/** The family of topic `T`, as a type: `thread` for `thread:${string}`. */
export type TopicFamilyOf<T extends Topic> = T extends `${infer F}:${string}` ? F : T;

/**
 * The frames a subscriber of topic `T` receives. Distributive over `T`, so that code generic in a
 * set of topics (the snapshot topics, `runtimes` and `threads:ID`) sees the frames of each.
 */
export type TopicFrame<T extends Topic> = T extends Topic
  ? ServerFrameOf<(typeof TOPIC_FRAME_TYPES)[TopicFamilyOf<T> & TopicFamily][number]>
  : never;

/** A topic read into its family and, for all but `runtimes`, the id it names. */
export type ParsedTopic = { family: 'runtimes' } | { family: Exclude<TopicFamily, 'runtimes'>; id: string };

/** The topic names, made from ids. */
export const streamTopic = {
  runtimes: 'runtimes',
  threads: (runtimeId: string): `threads:${string}` => `threads:${runtimeId}`,
  runtimeLog: (runtimeId: string): `runtime-log:${string}` => `runtime-log:${runtimeId}`,
  thread: (threadId: string): `thread:${string}` => `thread:${threadId}`,
} as const;

/**
 * An id in a topic, as `TopicSchema` checks it: IdSchema's characters. (Its template literal does
 * not carry IdSchema's 64-character bound, so neither does this: the two accept the same names.)
 */
const TOPIC_ID = /^[A-Za-z0-9_-]+$/;
const ID_FAMILIES = TOPIC_FAMILIES.filter((family) => family !== 'runtimes');

/** Reads a topic name into its family and id; null for a string that names no topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  if (topic === 'runtimes') return { family: 'runtimes' };
  for (const family of ID_FAMILIES) {
    const prefix = `${family}:`;
    if (!topic.startsWith(prefix)) continue;
    const id = topic.slice(prefix.length);
    return TOPIC_ID.test(id) ? { family, id } : null;
  }
  return null;
}

/**
 * The family of a topic the type system already vouches for, read from its prefix alone (its id
 * is the server's to judge). A string that is no topic at all counts as a snapshot topic.
 */
export function topicFamily(topic: Topic): TopicFamily {
  return TOPIC_FAMILIES.find((family) => topic === family || topic.startsWith(`${family}:`)) ?? 'runtimes';
}

/** Whether a frame is one that this family's topics carry (a server bug must not reach a listener). */
export function frameFits(family: TopicFamily, frame: ServerFrame): boolean {
  return (TOPIC_FRAME_TYPES[family] as readonly string[]).includes(frame.type);
}

/** Seq topics resume after a seq; the others send a snapshot and then updates. */
export function isSeqFamily(family: TopicFamily): family is (typeof SEQ_TOPIC_FAMILIES)[number] {
  return (SEQ_TOPIC_FAMILIES as readonly string[]).includes(family);
}
