import { createStore, del, get, set, type UseStore } from 'idb-keyval';

// Drafts and unsent messages, kept in IndexedDB so that a reload (or a crashed tab) loses neither.
// One database of our own, so that nothing is mixed with the host page's data. Storage can be
// unavailable (private modes, sandboxed frames): then nothing is kept, and nothing breaks.

let store: UseStore | undefined;

function db(): UseStore | undefined {
  if (store) return store;
  if (typeof indexedDB === 'undefined') return undefined;
  try {
    store = createStore('remote-chat', 'keyval');
  } catch {
    return undefined;
  }
  return store;
}

/** The value kept under `key`, or undefined. */
export async function readKept<T>(key: string): Promise<T | undefined> {
  const s = db();
  if (!s) return undefined;
  try {
    return await get<T>(key, s);
  } catch {
    return undefined;
  }
}

/** Keeps `value` under `key`; undefined (or an empty string) deletes it. */
export async function keep(key: string, value: unknown): Promise<void> {
  const s = db();
  if (!s) return;
  try {
    if (value === undefined || value === '') await del(key, s);
    else await set(key, value, s);
  } catch {
    // Not kept: quota or a closed database. The text is still on screen.
  }
}

/** Where the composer keeps a thread's draft (and where a thread started from an issue finds its first message). */
export function draftKey(bffUrl: string | undefined, threadId: string): string {
  return `draft:${bffUrl ?? 'local'}:${threadId}`;
}
