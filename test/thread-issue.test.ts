import { ThreadSchema, type ThreadListResponse } from '@remote-chat/protocol';
import { describe, expect, test } from 'vitest';
import { readyRuntime, startTestBff } from './support/bff.js';

const ISSUE = { repo: 'acme/app', number: 7, title: 'Crash on start', htmlUrl: 'https://github.com/acme/app/issues/7' };

describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
  test('a thread started from an issue keeps it, named after it, across a restart', async () => {
    const bff = await startTestBff({ dialect });
    const { runtime } = await readyRuntime(bff);
    const created = await bff.api(`/api/runtimes/${runtime.id}/threads`, { body: { issue: ISSUE } });
    expect(created.status).toBe(201);
    const thread = ThreadSchema.parse(await created.json());
    expect(thread.issue).toEqual(ISSUE);
    expect(thread.title).toBe('#7 Crash on start');

    const plain = ThreadSchema.parse(await (await bff.api(`/api/runtimes/${runtime.id}/threads`, { body: {} })).json());
    expect(plain.issue).toBeNull();

    // Read back from the store by a new server on the same database.
    await bff.stop();
    const again = await startTestBff({
      dataDir: bff.dataDir,
      ...(bff.databaseUrl && { databaseUrl: bff.databaseUrl }),
    });
    const read = ThreadSchema.parse(await (await again.api(`/api/threads/${thread.id}`)).json());
    expect(read.issue).toEqual(ISSUE);
    const list = (await (await again.api(`/api/runtimes/${runtime.id}/threads`)).json()) as ThreadListResponse;
    expect(list.threads.find((t) => t.id === thread.id)?.issue).toEqual(ISSUE);
  });
});

test('an issue that is not one is refused and makes no thread', async () => {
  const bff = await startTestBff();
  const { runtime } = await readyRuntime(bff);
  const before = ((await (await bff.api(`/api/runtimes/${runtime.id}/threads`)).json()) as ThreadListResponse).threads;
  const refused = await bff.api(`/api/runtimes/${runtime.id}/threads`, {
    body: { issue: { ...ISSUE, repo: '../etc', number: -1 } },
  });
  expect(refused.status).toBe(400);
  const after = ((await (await bff.api(`/api/runtimes/${runtime.id}/threads`)).json()) as ThreadListResponse).threads;
  expect(after).toHaveLength(before.length);
});
