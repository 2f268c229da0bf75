import type { Store, ThreadRecord } from '@remote-chat/bff';

/** The owner, a sandbox runtime of theirs and a thread on it, in a fresh store. */
export async function ownedThread(
  store: Store,
  { runtimeId = 'rt_1', threadId = 'th_1' }: { runtimeId?: string; threadId?: string } = {},
): Promise<ThreadRecord> {
  const owner = await store.ensureOwner('Owner');
  await store.createRuntime({
    id: runtimeId,
    userId: owner.id,
    name: 'r',
    kind: 'sandbox',
    provider: 'process',
    repo: null,
    branch: null,
    agent: 'shell',
  });
  return store.createThread({ id: threadId, runtimeId, userId: owner.id, title: 't', titled: true });
}
