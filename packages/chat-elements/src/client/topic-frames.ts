import type { ServerFrame, ServerFrameOf, Topic } from '@remote-chat/protocol';

/** The frames a subscriber of topic `T` receives. */
export type TopicFrame<T extends Topic> = T extends 'runtimes'
  ? ServerFrameOf<'runtimes' | 'runtime' | 'runtime-removed' | 'error'>
  : T extends `threads:${string}`
    ? ServerFrameOf<'threads' | 'thread' | 'error'>
    : T extends `runtime-log:${string}`
      ? ServerFrameOf<'log' | 'caught-up' | 'error'>
      : T extends `thread:${string}`
        ? ServerFrameOf<'event' | 'caught-up' | 'error'>
        : never;

export type TopicFamily = 'runtimes' | 'threads' | 'runtime-log' | 'thread';

const FRAME_TYPES: Record<TopicFamily, readonly ServerFrame['type'][]> = {
  runtimes: ['runtimes', 'runtime', 'runtime-removed', 'error'],
  threads: ['threads', 'thread', 'error'],
  'runtime-log': ['log', 'caught-up', 'error'],
  thread: ['event', 'caught-up', 'error'],
};

export function familyOf(topic: Topic): TopicFamily {
  const colon = topic.indexOf(':');
  return (colon < 0 ? topic : topic.slice(0, colon)) as TopicFamily;
}

/** Whether a frame is one that topics of this family carry (a server bug must not reach a listener). */
export function frameFits(family: TopicFamily, frame: ServerFrame): boolean {
  return FRAME_TYPES[family].includes(frame.type);
}

/** Seq topics resume after a seq; the others send a snapshot and then updates. */
export function isSeqFamily(family: TopicFamily): boolean {
  return family === 'runtime-log' || family === 'thread';
}

/** The seq of a frame of a seq topic, or undefined for frames that carry none. */
export function seqOf(frame: ServerFrame): number | undefined {
  if (frame.type === 'event') return frame.event.seq;
  if (frame.type === 'log') return frame.entry.seq;
  return undefined;
}

/** A snapshot topic's last snapshot with every later update applied, as a fresh snapshot frame. */
export function applyToSnapshot(snapshot: ServerFrame | undefined, frame: ServerFrame): ServerFrame | undefined {
  switch (frame.type) {
    case 'runtimes':
    case 'threads':
      return frame;
    case 'runtime':
      if (snapshot?.type !== 'runtimes') return snapshot;
      return { ...snapshot, runtimes: upsert(snapshot.runtimes, frame.runtime) };
    case 'runtime-removed':
      if (snapshot?.type !== 'runtimes') return snapshot;
      return { ...snapshot, runtimes: snapshot.runtimes.filter((r) => r.id !== frame.id) };
    case 'thread':
      if (snapshot?.type !== 'threads') return snapshot;
      return { ...snapshot, threads: upsert(snapshot.threads, frame.thread) };
    default:
      return snapshot;
  }
}

/** Replaces the item with the same id, or appends it. */
export function upsert<T extends { id: string }>(items: readonly T[], item: T): T[] {
  const index = items.findIndex((i) => i.id === item.id);
  if (index < 0) return [...items, item];
  const next = items.slice();
  next[index] = item;
  return next;
}
