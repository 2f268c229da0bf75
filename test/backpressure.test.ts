import type { ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { StreamClient, clientId, readyRuntime, startTestBff, type TestBff } from './support/bff.js';

const BYTES = 8 * 1024 * 1024;

type Paused = { _socket: { pause(): void; resume(): void } };

/** Subscribes a browser to the thread, then has it stop reading while the agent writes BYTES. */
async function stallWhileWriting(bff: TestBff, threadId: string) {
  const slow = await bff.stream();
  slow.send({ type: 'subscribe', topic: `thread:${threadId}` });
  await slow.until(() => slow.frames.some((f) => f.type === 'caught-up'));
  // The browser stops reading: its TCP window fills and the BFF's send queue grows.
  (slow.socket as unknown as Paused)._socket.pause();
  const closed = new Promise<number>((resolve) => slow.socket.on('close', (code) => resolve(code)));
  await bff.api(`/api/threads/${threadId}/messages`, {
    body: { clientId: clientId(), text: `yes 0123456789abcdef | head -c ${BYTES}` },
  });
  return { slow, closed };
}

/** Waits until the thread's last event is the agent's idle status. */
async function agentDone(bff: TestBff, threadId: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    // The last event: a page holds at most LIMITS.maxPageBytes, so the first one may not reach it.
    const { lastSeq } = (await (await bff.api(`/api/threads/${threadId}`)).json()) as { lastSeq: number };
    const page = (await (
      await bff.api(`/api/threads/${threadId}/events?after=${Math.max(0, lastSeq - 1)}`)
    ).json()) as {
      events: ThreadEvent[];
    };
    if (page.events.some((e) => e.kind === 'status' && e.state === 'idle')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the agent did not finish');
}

/** Every event once, in order, with all the output. */
function expectWhole(events: ThreadEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const output = events.flatMap((e) => (e.kind === 'tool.output' ? [e.data] : [])).join('');
  expect(output.length).toBe(BYTES);
}

describe('back-pressure', () => {
  it('stops sending a browser that stops reading, and replays what it missed once it reads again, on the same connection', {
    timeout: 90_000,
  }, async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const { slow, closed } = await stallWhileWriting(bff, threadId);
    let code: number | null = null;
    void closed.then((c) => (code = c));
    await agentDone(bff, threadId);
    (slow.socket as unknown as Paused)._socket.resume();
    await slow.until(() => slow.events(threadId).some((e) => e.kind === 'status' && e.state === 'idle'), 60_000);
    expect(code).toBeNull();
    expectWhole(slow.events(threadId));
  });

  it('lets go of a browser that stops reading for good (4430), and it resumes from its seq', {
    timeout: 90_000,
  }, async () => {
    const bff = await startTestBff({ stream: { maxStallMs: 2000 } });
    const { threadId } = await readyRuntime(bff);
    const { slow, closed } = await stallWhileWriting(bff, threadId);
    await agentDone(bff, threadId);
    // Longer than maxStallMs without reading; then it reads what reached it, and the close.
    await new Promise((r) => setTimeout(r, 3000));
    (slow.socket as unknown as Paused)._socket.resume();
    // 4430 when the close frame got out; 1006 when the BFF had to cut a socket that never drained.
    expect([4430, 1006]).toContain(await closed);

    // It comes back and resumes from the last seq it saw: nothing lost, nothing twice.
    const seen = slow.events(threadId);
    const again = await StreamClient.open(bff.url, bff.cookie);
    again.send({ type: 'subscribe', topic: `thread:${threadId}`, after: seen.at(-1)?.seq ?? 0 });
    await again.until(() => again.events(threadId).some((e) => e.kind === 'status' && e.state === 'idle'), 60_000);
    expectWhole([...seen, ...again.events(threadId)]);
  });
});
