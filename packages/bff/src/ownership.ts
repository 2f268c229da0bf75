import { notFound } from './errors.js';
import type { RuntimeRecord, RuntimeStore, ThreadRecord, ThreadStore } from './store/store.js';

/** What ownership reads: a runtime or a thread by id. */
export type OwnedLookup = Pick<RuntimeStore, 'getRuntime'> & Pick<ThreadStore, 'getThread'>;

/*
 * Whether a runtime or a thread belongs to a user, answered here for the REST routes and the
 * stream alike. Someone else's id answers exactly like an id that does not exist (null here,
 * `not_found` from the `require` forms), so no answer tells whether another user's id exists.
 */

/** Whether a record read by id (null: there is none) is the user's: the rule everything here applies. */
export function isOwnedBy<T extends { userId: string }>(record: T | null | undefined, userId: string): record is T {
  return record?.userId === userId;
}

/** The user's runtime with this id, or null if there is none or it is someone else's. */
export async function ownedRuntime(store: OwnedLookup, userId: string, id: string): Promise<RuntimeRecord | null> {
  const runtime = await store.getRuntime(id);
  return isOwnedBy(runtime, userId) ? runtime : null;
}

/** The user's thread with this id, or null if there is none or it is someone else's. */
export async function ownedThread(store: OwnedLookup, userId: string, id: string): Promise<ThreadRecord | null> {
  const thread = await store.getThread(id);
  return isOwnedBy(thread, userId) ? thread : null;
}

/** The user's runtime with this id, or the `not_found` error. */
export async function requireRuntime(store: OwnedLookup, userId: string, id: string): Promise<RuntimeRecord> {
  const runtime = await ownedRuntime(store, userId, id);
  if (!runtime) throw notFound('runtime');
  return runtime;
}

/** The user's thread with this id, or the `not_found` error. */
export async function requireThread(store: OwnedLookup, userId: string, id: string): Promise<ThreadRecord> {
  const thread = await ownedThread(store, userId, id);
  if (!thread) throw notFound('thread');
  return thread;
}
