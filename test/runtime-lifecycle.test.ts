import { readFileSync } from 'node:fs';
import type { LogEntry, Runtime } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff, type TestBff } from './support/bff.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const runtimePid = (bff: TestBff, id: string) =>
  (JSON.parse(readFileSync(`${bff.dataDir}/runtimes/${id}/state/runtime.json`, 'utf8')) as { pid: number }).pid;

async function waitFor<T>(read: () => Promise<T>, check: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('runtime lifecycle', () => {
  it('stops an idle sandbox runtime, releases its process and says why in the log', async () => {
    const bff = await startTestBff({ idleTimeoutMs: 600, idleCheckMs: 100 });
    const { runtime } = await readyRuntime(bff);
    const pid = runtimePid(bff, runtime.id);
    const stopped = await waitFor(
      async () => (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime,
      (r) => r.status === 'stopped',
    );
    expect(stopped.status).toBe('stopped');
    await waitFor(
      async () => alive(pid),
      (a) => !a,
      5000,
    );
    const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    expect(
      log.entries.some((e) => e.kind === 'status' && e.status === 'stopped' && /No activity/.test(e.detail ?? '')),
    ).toBe(true);
    // Its threads stay readable, but it takes no more work.
    const threads = (await (await bff.api(`/api/runtimes/${runtime.id}/threads`)).json()) as {
      threads: { id: string }[];
    };
    const send = await bff.api(`/api/threads/${threads.threads[0]!.id}/messages`, {
      body: { clientId: clientId(), text: 'ls' },
    });
    expect(send.status).toBe(503);
  });

  it('keeps a runtime that is at work running past the idle window', async () => {
    const bff = await startTestBff({ idleTimeoutMs: 1000, idleCheckMs: 100 });
    const { runtime, threadId } = await readyRuntime(bff);
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'sleep 3; echo done' } });
    await new Promise((r) => setTimeout(r, 2200));
    const during = (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime;
    expect(during.status).toBe('ready');
    const events = await waitFor(
      async () =>
        (await (await bff.api(`/api/threads/${threadId}/events`)).json()) as {
          events: { kind: string; ok?: boolean }[];
        },
      (page) => page.events.some((e) => e.kind === 'tool.result'),
    );
    expect(events.events.find((e) => e.kind === 'tool.result')?.ok).toBe(true);
  });

  it('restarts a runtime whose process died, in the same workspace, and the thread goes on', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff);
    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo kept > kept.txt' },
    });
    await waitFor(
      async () => (await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: { kind: string }[] },
      (page) => page.events.some((e) => e.kind === 'tool.result'),
    );
    const pid = runtimePid(bff, runtime.id);
    process.kill(pid, 'SIGKILL');

    await waitFor(
      async () => {
        try {
          return runtimePid(bff, runtime.id);
        } catch {
          return pid;
        }
      },
      (p) => p !== pid && alive(p),
    );
    const back = await waitFor(
      async () => (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime,
      (r) => r.status === 'ready' && r.link === 'open',
    );
    expect(back.status).toBe('ready');
    const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    expect(log.entries.some((e) => e.kind === 'error' && /process is gone/.test(e.message))).toBe(true);

    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'cat kept.txt' } });
    const page = await waitFor(
      async () =>
        (await (await bff.api(`/api/threads/${threadId}/events`)).json()) as {
          events: { kind: string; data?: string }[];
        },
      (p) => p.events.filter((e) => e.kind === 'tool.result').length === 2,
    );
    expect(
      page.events
        .filter((e) => e.kind === 'tool.output')
        .map((e) => e.data)
        .join(''),
    ).toContain('kept');
  });
});
