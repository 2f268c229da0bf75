import { join } from 'node:path';
import type { ToRuntimeMessage } from '@remote-chat/protocol';
import { expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/temp-dir.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { StoredOutbox } from './stored-outbox.js';

const cancel = (threadId: string): ToRuntimeMessage => ({ type: 'thread.cancel', threadId });

it('keeps in the store what the session keeps: appends, acknowledgements and a renumbering', async () => {
  const store = await openSqliteStore({ file: join(tempDir(), 'store.db') });
  const owner = await store.ensureOwner('Owner');
  const runtime = await store.createRuntime({
    id: 'rt_outbox',
    userId: owner.id,
    name: 'test',
    kind: 'machine',
    provider: 'machine',
    repo: null,
    branch: null,
    agent: 'shell',
  });
  const failures: unknown[] = [];
  const outbox = await StoredOutbox.load(store, runtime.id, (error) => failures.push(error));
  const reloaded = async () => (await StoredOutbox.load(store, runtime.id, () => {})).after(0);

  expect([outbox.append(cancel('th_a')), outbox.append(cancel('th_b')), outbox.append(cancel('th_c'))]).toEqual([
    1, 2, 3,
  ]);
  outbox.ack(2);
  await outbox.written();
  expect(await reloaded()).toEqual([{ seq: 3, message: cancel('th_c') }]);

  // The runtime lost its state: the session renumbers what it keeps to follow it.
  outbox.rebase(10);
  expect(outbox.append(cancel('th_d'))).toBe(11);
  await outbox.written();
  const again = await StoredOutbox.load(store, runtime.id, () => {});
  expect([again.lastSeq, again.ackedUpTo]).toEqual([11, 9]);
  expect(again.after(0)).toEqual([
    { seq: 10, message: cancel('th_c') },
    { seq: 11, message: cancel('th_d') },
  ]);
  expect(failures).toEqual([]);
  await store.close();
});
