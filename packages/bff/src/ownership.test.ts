import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp-dir.js';
import { RemoteChatError } from './errors.js';
import { ownedRuntime, ownedThread, requireRuntime, requireThread } from './ownership.js';
import { openSqliteStore } from './store/sqlite-store.js';

describe('ownership', () => {
  it("answers someone else's runtime and thread exactly like ones that do not exist", async () => {
    const store = await openSqliteStore({ file: join(tempDir(), 'ownership.db') });
    const alice = await store.ensureExternalUser('host:alice', 'Alice');
    const bob = await store.ensureExternalUser('host:bob', 'Bob');
    const runtime = await store.createRuntime({
      id: 'rt_alice',
      userId: alice.id,
      name: 'laptop',
      kind: 'machine',
      provider: 'machine',
      repo: null,
      branch: null,
      agent: 'shell',
    });
    const thread = await store.createThread({
      id: 'th_alice',
      runtimeId: runtime.id,
      userId: alice.id,
      title: 'mine',
      titled: true,
    });

    expect((await ownedRuntime(store, alice.id, runtime.id))?.id).toBe(runtime.id);
    expect((await ownedThread(store, alice.id, thread.id))?.id).toBe(thread.id);
    expect(await ownedRuntime(store, bob.id, runtime.id)).toBeNull();
    expect(await ownedThread(store, bob.id, thread.id)).toBeNull();

    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => null,
        (error: unknown) => (error instanceof RemoteChatError ? error.toBody() : error),
      );
    expect(await refusal(requireRuntime(store, bob.id, runtime.id))).toEqual(
      await refusal(requireRuntime(store, bob.id, 'rt_nonesuch')),
    );
    expect(await refusal(requireThread(store, bob.id, thread.id))).toEqual(
      await refusal(requireThread(store, bob.id, 'th_nonesuch')),
    );
    expect(await refusal(requireThread(store, bob.id, thread.id))).toMatchObject({ error: { code: 'not_found' } });
    await store.close();
  });
});
