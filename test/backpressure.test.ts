import type { ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { StreamClient, clientId, readyRuntime, startTestBff } from './support/bff.js';

const BYTES = 8 * 1024 * 1024;

describe('back-pressure', () => {
  it('drops a browser that stops reading instead of buffering without bound, and it resumes from its seq', {
    timeout: 90_000,
  }, async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const slow = await bff.stream();
    slow.send({ type: 'subscribe', topic: `thread:${threadId}` });
    await slow.until(() => slow.frames.some((f) => f.type === 'caught-up'));
    // The browser stops reading: its TCP window fills and the BFF's send queue grows.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const closed = new Promise<number>((resolve) => slow.socket.on('close', (code) => resolve(code)));

    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: `yes 0123456789abcdef | head -c ${BYTES}` },
    });
    // The agent finishes while the browser is stuck; the BFF has let go of it meanwhile.
    for (let i = 0; i < 600; i++) {
      // The last event: a page holds at most LIMITS.maxPageBytes, so the first one may not reach it.
      const { lastSeq } = (await (await bff.api(`/api/threads/${threadId}`)).json()) as { lastSeq: number };
      const page = (await (
        await bff.api(`/api/threads/${threadId}/events?after=${Math.max(0, lastSeq - 1)}`)
      ).json()) as {
        events: ThreadEvent[];
      };
      if (page.events.some((e) => e.kind === 'status' && e.state === 'idle')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    // 4430 when the close frame got out; 1006 when the BFF had to cut a socket that never drained.
    expect([4430, 1006]).toContain(await closed);

    // It comes back and resumes from the last seq it saw: nothing lost, nothing twice.
    const seen = slow.events(threadId);
    const again = await StreamClient.open(bff.url, bff.cookie);
    again.send({ type: 'subscribe', topic: `thread:${threadId}`, after: seen.at(-1)?.seq ?? 0 });
    await again.until(() => again.events(threadId).some((e) => e.kind === 'status' && e.state === 'idle'), 60_000);
    const all: ThreadEvent[] = [...seen, ...again.events(threadId)];
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    const output = all.flatMap((e) => (e.kind === 'tool.output' ? [e.data] : [])).join('');
    expect(output.length).toBe(BYTES);
  });
});
