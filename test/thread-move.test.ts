// A thread continues on another runtime (`POST /api/threads/:id/move`): same id and events, the new
// runtime is handed the conversation so far, the old one's later events are dropped, and what the
// old runtime never received goes to the new one instead, once, across a BFF restart.
import type { Runtime, Thread, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff, type TestBff } from './support/bff.js';
import { MACHINE_INFO, MachineLink, type LinkFrame } from './support/machine-link.js';
import { gatewayBff, keyedStub } from './support/model-gateway.js';
import { apiToken, clientToken } from './support/tokens.js';
import { tempDir } from './support/temp-dir.js';

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function eventsOf(bff: Pick<TestBff, 'api'>, threadId: string): Promise<ThreadEvent[]> {
  return ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }).events;
}

const move = (bff: Pick<TestBff, 'api'>, threadId: string, runtimeId: string) =>
  bff.api(`/api/threads/${threadId}/move`, { body: { runtimeId } });

/** A machine runtime spoken for by hand (`MachineLink`), ready once it said what it serves. */
async function machine(bff: TestBff, token: string, runtimeId: string, lastReceived = 0): Promise<MachineLink> {
  const link = await MachineLink.open(bff.url, { token, runtimeId, lastReceived });
  link.send({ type: 'data', seq: 1, message: { ...MACHINE_INFO, project: runtimeId } });
  await until(
    async () => ((await (await bff.api(`/api/runtimes/${runtimeId}`)).json()) as Runtime).status === 'ready',
    `${runtimeId} to be ready`,
  );
  return link;
}

/**
 * Two machine runtimes and a thread on the first, whose turn it answered (so the BFF knows the
 * thread as its own); then both go offline and a message waits in the first one's outbox.
 */
async function threadWithAWaitingMessage(bff: TestBff, token: string) {
  const old = await machine(bff, token, 'rt_move_old');
  const next = await machine(bff, token, 'rt_move_next');
  const thread = (await (await bff.api('/api/runtimes/rt_move_old/threads', { body: {} })).json()) as Thread;
  const answered = clientId();
  await bff.api(`/api/threads/${thread.id}/messages`, { body: { clientId: answered, text: 'echo one' } });
  await old.until(() => old.messages('message.send').length === 1, 'the first message');
  const event = (seq: number, body: unknown) =>
    ({ type: 'data', seq, message: { type: 'thread.event', threadId: thread.id, event: body } }) as const;
  old.send(event(2, { kind: 'message.agent', messageId: 'm1', text: 'one', agent: 'shell' }));
  old.send(event(3, { kind: 'status', state: 'idle' }));
  old.send({ type: 'ack', upTo: lastData(old) });
  await until(async () => (await eventsOf(bff, thread.id)).length === 3, 'the answer to be stored');

  await old.close();
  await next.close();
  const waiting = clientId();
  expect(
    (await bff.api(`/api/threads/${thread.id}/messages`, { body: { clientId: waiting, text: 'echo two' } })).status,
  ).toBe(202);
  return { old, next, thread, answered, waiting, event };
}

/** A machine runtime dialling in again, once it received what the BFF kept for it. */
async function dialAgain(bff: TestBff, token: string, runtimeId: string, lastReceived: number): Promise<MachineLink> {
  const link = await MachineLink.open(bff.url, { token, runtimeId, lastReceived });
  await link.roundTrip();
  return link;
}

/** The link messages about a thread, as the runtime received them (model lists aside). */
const aboutThread = (link: MachineLink, threadId: string): LinkFrame['message'][] =>
  link.frames.flatMap((f) => (f.type === 'data' && f.message?.['threadId'] === threadId ? [f.message] : []));

describe('a thread that continues on another runtime', () => {
  it("keeps its id and events, and the new runtime's llm agent answers with the conversation from before", async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const first = await readyRuntime(bff, 'process', { agent: 'llm' });
    const second = await readyRuntime(bff, 'process', { agent: 'llm' });
    const stream = await bff.stream();
    for (const runtime of [first.runtime, second.runtime])
      stream.send({ type: 'subscribe', topic: `threads:${runtime.id}` });
    stream.send({ type: 'subscribe', topic: `thread:${first.threadId}`, after: 0 });
    await stream.until(() => stream.frames.filter((f) => f.type === 'threads').length === 2);

    // A turn on the first runtime: a command, then an answer.
    stub.script(
      { toolCalls: [{ name: 'run_command', arguments: { command: 'echo output-from-the-first-workspace' } }] },
      { text: 'The secret word is PELICAN.' },
    );
    const sent = await bff.api(`/api/threads/${first.threadId}/messages`, {
      body: { clientId: clientId(), text: 'Remember a secret word for me.' },
    });
    expect(sent.status).toBe(202);
    await stream.until(
      () => stream.events(first.threadId).some((e) => e.kind === 'status' && e.state === 'idle'),
      20_000,
      'the first turn to end',
    );

    const moved = await move(bff, first.threadId, second.runtime.id);
    expect(moved.status).toBe(200);
    expect((await moved.json()) as Thread).toMatchObject({ id: first.threadId, runtimeId: second.runtime.id });
    // The first runtime's list loses it, the second's gains it; the thread says where it went.
    await stream.until(() =>
      stream.frames.some(
        (f) => f.type === 'thread-removed' && f.topic === `threads:${first.runtime.id}` && f.id === first.threadId,
      ),
    );
    await stream.until(() =>
      stream.frames.some(
        (f) =>
          f.type === 'thread' &&
          f.topic === `threads:${second.runtime.id}` &&
          f.thread.id === first.threadId &&
          f.thread.runtimeId === second.runtime.id,
      ),
    );
    const listed = (await (await bff.api(`/api/runtimes/${second.runtime.id}/threads`)).json()) as {
      threads: Thread[];
    };
    expect(listed.threads.map((t) => t.id)).toContain(first.threadId);
    await stream.until(() =>
      stream
        .events(first.threadId)
        .some(
          (e) =>
            e.kind === 'status' &&
            e.message === `Continued on ${second.runtime.name}; files of the previous workspace were not carried over.`,
        ),
    );

    // The next message is answered on the second runtime, which sent the model what came before.
    stub.script({ text: 'It was PELICAN.' });
    const before = stub.requests.length;
    const asked = await bff.api(`/api/threads/${first.threadId}/messages`, {
      body: { clientId: clientId(), text: 'What was the word?' },
    });
    expect(asked.status).toBe(202);
    const request = await stub.waitForRequest(before + 1);
    expect(request.texts.join('\n')).toContain('Remember a secret word for me.');
    expect(request.texts.join('\n')).toContain('output-from-the-first-workspace');
    expect(request.texts.join('\n')).toContain('The secret word is PELICAN.');
    expect(request.texts.at(-1)).toContain('What was the word?');
    await stream.until(() =>
      stream.events(first.threadId).some((e) => e.kind === 'message.agent' && e.text === 'It was PELICAN.'),
    );
    // One thread, its events numbered on without a gap.
    const events = await eventsOf(bff, first.threadId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, index) => index + 1));
  });

  it("refuses another user's thread or runtime as missing ones, the thread's own runtime, and a turn at work", async () => {
    const bff = await startTestBff({ allowedOrigins: ['http://host.example'], processProviderFor: 'all' });
    const { token } = await apiToken(bff);
    const mine = await machine(bff, token, 'rt_move_mine');
    const other = await machine(bff, token, 'rt_move_other');
    const thread = (await (await bff.api('/api/runtimes/rt_move_mine/threads', { body: {} })).json()) as Thread;

    // Bob's runtime and thread, made through the API as Bob.
    const bob = { authorization: `Bearer ${await clientToken(bff, token, 'bob', 'http://host.example')}` };
    const asBob = (path: string, body?: unknown) =>
      fetch(`${bff.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ...bob, origin: 'http://host.example', 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    const bobs = (await (await asBob('/api/runtimes', { provider: 'process' })).json()) as Runtime;
    const bobsThread = (await (await asBob(`/api/runtimes/${bobs.id}/threads`, {})).json()) as Thread;

    const missingRuntime = await move(bff, thread.id, 'rt_nonesuch');
    const foreignRuntime = await move(bff, thread.id, bobs.id);
    expect(foreignRuntime.status).toBe(404);
    expect(await foreignRuntime.json()).toEqual(await missingRuntime.json());
    const missingThread = await move(bff, 'th_nonesuch', 'rt_move_other');
    const foreignThread = await move(bff, bobsThread.id, 'rt_move_other');
    expect(foreignThread.status).toBe(404);
    expect(await foreignThread.json()).toEqual(await missingThread.json());
    // Bob cannot move his thread onto the owner's runtime either.
    expect((await asBob(`/api/threads/${bobsThread.id}/move`, { runtimeId: 'rt_move_other' })).status).toBe(404);

    const same = await move(bff, thread.id, 'rt_move_mine');
    expect(same.status).toBe(400);
    expect(((await same.json()) as { error: { message: string } }).error.message).toMatch(/on this runtime already/);
    expect(
      (await bff.api(`/api/threads/${thread.id}/move`, { body: { runtimeId: 'rt_move_other', x: 1 } })).status,
    ).toBe(400);

    // The agent at work: 409, and nothing moved.
    await bff.api(`/api/threads/${thread.id}/messages`, { body: { clientId: clientId(), text: 'sleep 10' } });
    await mine.until(() => mine.messages('message.send').length === 1, 'the message');
    mine.send({
      type: 'data',
      seq: 2,
      message: { type: 'thread.event', threadId: thread.id, event: { kind: 'status', state: 'running' } },
    });
    mine.send({ type: 'ack', upTo: lastData(mine) });
    await until(async () => (await eventsOf(bff, thread.id)).at(-1)?.kind === 'status', 'the running status');
    const running = await move(bff, thread.id, 'rt_move_other');
    expect(running.status).toBe(409);
    expect(((await (await bff.api(`/api/threads/${thread.id}`)).json()) as Thread).runtimeId).toBe('rt_move_mine');
    expect(aboutThread(other, thread.id)).toEqual([]);
  });

  it("drops the old runtime's later events for the thread and re-addresses what it never received, once across a BFF restart", async () => {
    const dataDir = tempDir('rc-bff-');
    const bff = await startTestBff({ dataDir });
    const { token } = await apiToken(bff);
    // Both go offline; a message waits for the old runtime; the thread moves.
    const { old, next, thread, answered, waiting, event } = await threadWithAWaitingMessage(bff, token);
    expect((await move(bff, thread.id, 'rt_move_next')).status).toBe(200);
    const stored = (await eventsOf(bff, thread.id)).length;

    // The old runtime comes back: the message it never received is not delivered to it (a Stop of
    // the thread takes its place), and what it still writes to the thread is dropped.
    const oldAgain = await MachineLink.open(bff.url, { token, runtimeId: 'rt_move_old', lastReceived: lastData(old) });
    await oldAgain.roundTrip();
    expect(aboutThread(oldAgain, thread.id).map((m) => m?.type)).toEqual(['thread.cancel']);
    oldAgain.send(event(4, { kind: 'message.agent', messageId: 'm2', text: 'too late', agent: 'shell' }));
    await oldAgain.until(
      () => oldAgain.frames.some((f) => f.type === 'ack' && (f as { upTo?: number }).upTo === 4),
      'the stale event to be handled',
    );
    expect(await eventsOf(bff, thread.id)).toHaveLength(stored);

    // The BFF restarts before the new runtime dials in: it gets the conversation, then the
    // message, once.
    await bff.stop();
    const again = await startTestBff({ dataDir });
    const nextAgain = await dialAgain(again, token, 'rt_move_next', lastData(next));
    const handed = aboutThread(nextAgain, thread.id);
    expect(handed.map((m) => m?.type)).toEqual(['thread.continue', 'message.send']);
    expect(handed[0]).toEqual({
      type: 'thread.continue',
      threadId: thread.id,
      truncated: false,
      history: [
        { kind: 'message.user', clientId: answered, text: 'echo one', agent: 'shell' },
        { kind: 'message.agent', messageId: 'm1', text: 'one', agent: 'shell' },
      ],
    });
    expect(handed[1]).toMatchObject({ clientId: waiting, text: 'echo two' });
    nextAgain.send({ type: 'ack', upTo: lastData(nextAgain) });
    await nextAgain.roundTrip();
    await nextAgain.close();
    // Acknowledged: never sent again.
    const nextThird = await MachineLink.open(again.url, {
      token,
      runtimeId: 'rt_move_next',
      lastReceived: lastData(nextAgain),
    });
    await nextThird.roundTrip();
    expect(aboutThread(nextThird, thread.id)).toEqual([]);
    expect((await eventsOf(again, thread.id)).filter((e) => e.kind === 'message.user')).toHaveLength(2);
  });

  it('cancels what the old runtime never received in the move itself: a crash before it commits cancels nothing, and after it the cancelled message is never sent again', async () => {
    const dataDir = tempDir('rc-bff-');
    const bff = await startTestBff({ dataDir });
    const { token } = await apiToken(bff);
    const { old, next, thread, waiting } = await threadWithAWaitingMessage(bff, token);
    const keptFor = async (store: TestBff['server']['chat']['store'], runtimeId: string) =>
      (await store.loadOutbound(runtimeId)).entries.flatMap(({ message }) =>
        'threadId' in message && message.threadId === thread.id ? [message] : [],
      );

    // The BFF dies as the move's transaction is about to commit: nothing of the move is kept.
    const store = bff.server.chat.store;
    const appendEvents = store.appendEvents.bind(store);
    store.appendEvents = (threadId, items) =>
      items.some((item) => item.moveTo)
        ? Promise.reject(new Error('the BFF died here'))
        : appendEvents(threadId, items);
    expect((await move(bff, thread.id, 'rt_move_next')).status).toBe(500);
    await bff.stop();
    const restarted = await startTestBff({ dataDir });
    expect(((await (await restarted.api(`/api/threads/${thread.id}`)).json()) as Thread).runtimeId).toBe('rt_move_old');
    // The waiting message is still the old runtime's to receive, not cancelled and lost.
    expect((await keptFor(restarted.server.chat.store, 'rt_move_old')).map((m) => m.type)).toEqual(['message.send']);

    // The move again, and the BFF dies right after it: the cancel is what was kept.
    expect((await move(restarted, thread.id, 'rt_move_next')).status).toBe(200);
    await restarted.stop();
    const again = await startTestBff({ dataDir });
    const oldAgain = await dialAgain(again, token, 'rt_move_old', lastData(old));
    expect(aboutThread(oldAgain, thread.id).map((m) => m?.type)).toEqual(['thread.cancel']);
    const nextAgain = await dialAgain(again, token, 'rt_move_next', lastData(next));
    const handed = aboutThread(nextAgain, thread.id);
    expect(handed.map((m) => m?.type)).toEqual(['thread.continue', 'message.send']);
    expect(handed[1]).toMatchObject({ clientId: waiting, text: 'echo two' });
  });
});

/** The highest link seq of a data frame the machine received. */
function lastData(link: MachineLink): number {
  return Math.max(0, ...link.frames.flatMap((f) => (f.type === 'data' ? [f.seq ?? 0] : [])));
}
