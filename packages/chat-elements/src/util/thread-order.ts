import type { Thread } from '@remote-chat/protocol';

/** Most recently active first (the last message, agent turn or rename), then newest. */
export function sortByActivity(threads: readonly Thread[]): Thread[] {
  return threads.toSorted(
    (a, b) =>
      b.updatedAt.localeCompare(a.updatedAt) || b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id),
  );
}

/** A thread with nothing in it yet, not archived and not started from an issue: New thread reuses it. */
export function isEmptyThread(thread: Thread): boolean {
  return thread.lastSeq === 0 && !thread.archivedAt && !thread.issue;
}
