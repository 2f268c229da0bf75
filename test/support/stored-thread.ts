import type { TestBff } from './bff.js';

/**
 * A sandbox runtime row and a thread of the owner made straight in the store, for tests that need
 * no runtime process. Ids default to `rt_fixture` and `th_fixture`.
 */
export async function storedThread(
  bff: TestBff,
  ids: { runtimeId?: string; threadId?: string } = {},
): Promise<{ runtimeId: string; threadId: string }> {
  const { runtimeId = 'rt_fixture', threadId = 'th_fixture' } = ids;
  const store = bff.server.chat.store;
  const owner = await store.ensureOwner('Owner');
  await store.createRuntime({
    id: runtimeId,
    userId: owner.id,
    name: runtimeId,
    kind: 'sandbox',
    provider: 'process',
    repo: null,
    branch: null,
    agent: 'shell',
  });
  await store.createThread({ id: threadId, runtimeId, userId: owner.id, title: threadId, titled: true });
  return { runtimeId, threadId };
}
