import type { Runtime, ServerFrame, Thread, TopicFrame } from '@remote-chat/protocol';

// Which topics exist and which frames each family carries live in `@remote-chat/protocol`.
export type { TopicFrame } from '@remote-chat/protocol';

/** The entries with a seq that a frame of a seq topic carries (a batch's, in order), or undefined for frames that carry none. */
export function seqEntriesOf(frame: ServerFrame): readonly { seq: number }[] | undefined {
  if (frame.type === 'event') return [frame.event];
  if (frame.type === 'events') return frame.events;
  if (frame.type === 'log') return [frame.entry];
  return undefined;
}

/**
 * The frame with only its first `count` entries after `skip`: what a listener has not seen yet of
 * a batch. A frame of one entry is only ever passed whole (`skip` 0, `count` 1).
 */
export function sliceEntries(frame: ServerFrame, skip: number, count: number): ServerFrame {
  if (frame.type !== 'events' || (skip === 0 && count === frame.events.length)) return frame;
  return { ...frame, events: frame.events.slice(skip, skip + count) };
}

/** The topics that answer with the whole list, then its changes. */
export type SnapshotTopic = 'runtimes' | `threads:${string}`;

/** What the list of a snapshot topic holds. */
export type SnapshotItem<T extends SnapshotTopic> = T extends 'runtimes' ? Runtime : Thread;

/**
 * The list a frame of a snapshot topic leaves: a snapshot replaces it, an update puts one item in
 * or takes one out; undefined for a frame that changes no list (an error). The one place a
 * snapshot folds into a list: `SnapshotListController` keeps the elements' lists with it, and the
 * stream its copy for listeners that join late.
 */
export function foldSnapshot<T extends SnapshotTopic>(
  items: readonly SnapshotItem<T>[],
  frame: TopicFrame<T>,
): SnapshotItem<T>[] | undefined {
  // The frame's family matches the items' (the stream checks frames against their topic).
  return foldList(items, frame) as SnapshotItem<T>[] | undefined;
}

function foldList(items: readonly (Runtime | Thread)[], frame: ServerFrame): (Runtime | Thread)[] | undefined {
  switch (frame.type) {
    case 'runtimes':
      return frame.runtimes;
    case 'threads':
      return frame.threads;
    case 'runtime':
      return upsert(items, frame.runtime);
    case 'thread':
      return upsert(items, frame.thread);
    case 'runtime-removed':
    case 'thread-removed':
      return items.filter((item) => item.id !== frame.id);
    default:
      return undefined;
  }
}

/** A snapshot topic's last snapshot with every later update applied, as a fresh snapshot frame. */
export function applyToSnapshot(snapshot: ServerFrame | undefined, frame: ServerFrame): ServerFrame | undefined {
  if (frame.type === 'runtimes' || frame.type === 'threads') return frame;
  if (snapshot?.type === 'runtimes' && (frame.type === 'runtime' || frame.type === 'runtime-removed'))
    return { ...snapshot, runtimes: foldSnapshot<'runtimes'>(snapshot.runtimes, frame) ?? snapshot.runtimes };
  if (snapshot?.type === 'threads' && (frame.type === 'thread' || frame.type === 'thread-removed'))
    return { ...snapshot, threads: foldSnapshot<`threads:${string}`>(snapshot.threads, frame) ?? snapshot.threads };
  return snapshot;
}

/** Replaces the item with the same id, or appends it. */
export function upsert<T extends { id: string }>(items: readonly T[], item: T): T[] {
  const index = items.findIndex((i) => i.id === item.id);
  if (index < 0) return [...items, item];
  const next = items.slice();
  next[index] = item;
  return next;
}
