import type { RuntimeStatus } from '@remote-chat/protocol';
import type { TestBff } from './bff.js';

/**
 * A runtime row made straight in the store, owned by the owner: for tests that need a runtime to
 * name but no runtime process. It is not live, so it takes no messages.
 */
export async function storedRuntime(
  bff: TestBff,
  options: { id?: string; status?: RuntimeStatus } = {},
): Promise<string> {
  const store = bff.server.chat.store;
  const owner = await store.ensureOwner('Owner');
  const id = options.id ?? 'rt_stored';
  await store.createRuntime({
    id,
    userId: owner.id,
    name: 'stored',
    kind: 'sandbox',
    provider: 'process',
    repo: null,
    branch: null,
    agent: 'shell',
  });
  if (options.status) await store.updateRuntime(id, { status: options.status });
  return id;
}
