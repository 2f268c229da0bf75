import type { Store, ThreadRecord } from '../store/store.js';

/** The owner, a sandbox runtime `rt_1` of theirs and its thread `th_1`, in a fresh store. */
export async function ownedThread(store: Store): Promise<ThreadRecord> {
  const owner = await store.ensureOwner('Owner');
  await store.createRuntime({
    id: 'rt_1',
    userId: owner.id,
    name: 'r',
    kind: 'sandbox',
    provider: 'process',
    repo: null,
    branch: null,
    agent: 'shell',
  });
  return store.createThread({ id: 'th_1', runtimeId: 'rt_1', userId: owner.id, title: 't', titled: true });
}
