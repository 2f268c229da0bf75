// What the Runtimes page relies on: when each runtime was last used, and a delete that says
// what it tore down and can be asked for twice.
import { streamTopic, type LogEntry, type Runtime } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff } from './support/bff.js';

async function runtimeOf(bff: { api: (path: string) => Promise<Response> }, id: string): Promise<Runtime> {
  return (await (await bff.api(`/api/runtimes/${id}`)).json()) as Runtime;
}

describe('runtime management', () => {
  it('says when a runtime was last used, moves it on with a message, and keeps it across a restart', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff);
    const ready = await runtimeOf(bff, runtime.id);
    expect(ready.lastActivityAt).toEqual(expect.any(String));
    const before = Date.parse(ready.lastActivityAt!);

    await new Promise((resolve) => setTimeout(resolve, 20));
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'echo hi' } });
    const used = await runtimeOf(bff, runtime.id);
    expect(Date.parse(used.lastActivityAt!)).toBeGreaterThan(before);
    const listed = ((await (await bff.api('/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes;
    // The list says the same (the command's output may have moved it on since).
    const inList = listed.find((r) => r.id === runtime.id)?.lastActivityAt;
    expect(Date.parse(inList!)).toBeGreaterThanOrEqual(Date.parse(used.lastActivityAt!));

    // A stop lets the link go and writes the last use to the store: a restarted BFF knows it.
    await bff.stop();
    const again = await startTestBff({ dataDir: bff.dataDir });
    const stored = await again.server.chat.store.getRuntime(runtime.id);
    expect(Date.parse(stored!.lastActivityAt!)).toBeGreaterThanOrEqual(Date.parse(used.lastActivityAt!));
  });

  it('names a new runtime after its repository or with a short distinct name, and renames it', async () => {
    const bff = await startTestBff();
    const create = async (body: object) =>
      (await (await bff.api('/api/runtimes', { body: { provider: 'process', ...body } })).json()) as Runtime;
    const generated = await Promise.all([create({}), create({})]);
    for (const runtime of generated) expect(runtime.name).toMatch(/^[a-z]+-[a-z]+(-\d+)?$/);
    expect(generated[0]!.name).not.toBe(generated[1]!.name);
    expect((await create({ name: '  Mine  ' })).name).toBe('Mine');

    const stream = await bff.stream();
    stream.send({ type: 'subscribe', topic: streamTopic.runtimes });
    await stream.until(() => stream.frames.some((f) => f.type === 'runtimes'));
    const id = generated[0]!.id;
    const renamed = await bff.api(`/api/runtimes/${id}`, { method: 'PATCH', body: { name: '  Build box ' } });
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as Runtime).name).toBe('Build box');
    await stream.until(
      () => stream.frames.some((f) => f.type === 'runtime' && f.runtime.id === id && f.runtime.name === 'Build box'),
      5000,
      'the renamed runtime, live',
    );
    // Too long, empty or with more than a name: refused, and the name stays.
    for (const body of [{ name: 'x'.repeat(61) }, { name: '  ' }, { name: 'ok', status: 'ready' }, {}]) {
      const refused = await bff.api(`/api/runtimes/${id}`, { method: 'PATCH', body });
      expect(refused.status).toBe(400);
    }
    expect((await runtimeOf(bff, id)).name).toBe('Build box');
    expect((await bff.api('/api/runtimes/rt_nonesuch', { method: 'PATCH', body: { name: 'x' } })).status).toBe(404);
  });

  it('says in its log that a deleted runtime was torn down; deleting twice, even at once, is harmless', async () => {
    const bff = await startTestBff();
    const { runtime } = await readyRuntime(bff);
    const stream = await bff.stream();
    const topic = streamTopic.runtimeLog(runtime.id);
    stream.send({ type: 'subscribe', topic, after: 0 });
    await stream.until(() => stream.frames.some((f) => f.type === 'caught-up' && f.topic === topic));

    const [first, second] = await Promise.all([
      bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' }),
      bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' }),
    ]);
    expect([first.status, second.status]).toEqual([204, 204]);
    const said = () =>
      stream.frames.flatMap((f) =>
        f.type === 'log' && f.topic === topic && f.entry.kind === 'status' && f.entry.status !== 'ready'
          ? [f.entry as Extract<LogEntry, { kind: 'status' }>]
          : [],
      );
    await stream.until(() => said().some((e) => e.status === 'stopped'), 5000, 'the stopped entry');
    expect(said().map((e) => e.status)).toEqual(['stopping', 'stopped']);
    expect(said()[1]!.detail).toMatch(/^Deleted: the sandbox was torn down \(Local process\)/);

    const third = await bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' });
    expect(third.status).toBe(404);
    expect(((await (await bff.api('/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes).toEqual([]);
  });
});
