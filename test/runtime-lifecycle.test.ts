import { existsSync, readFileSync } from 'node:fs';
import type { LogEntry, Runtime, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { ProcessProvider, type ProviderState, type StartContext, type StartedRuntime } from '@remote-chat/bff';
import { clientId, readyRuntime, startTestBff, type TestBff } from './support/bff.js';
import { tempDir } from './support/temp-dir.js';

/** Whether a process runs (a zombie waiting to be reaped does not count). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const runtimePid = (bff: TestBff, id: string) =>
  (JSON.parse(readFileSync(`${bff.dataDir}/runtimes/${id}/state/runtime.json`, 'utf8')) as { pid: number }).pid;

/** The runtime's process id, or `fallback` while a restart has not written it yet. */
function runtimePidOr(bff: TestBff, id: string, fallback: number): number {
  try {
    return runtimePid(bff, id);
  } catch {
    return fallback;
  }
}

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
    // Its thread says what was lost, since a process runtime cannot pause.
    const events = (await (await bff.api(`/api/threads/${threads.threads[0]!.id}/events`)).json()) as {
      events: ThreadEvent[];
    };
    expect(
      events.events.some(
        (e) =>
          e.kind === 'status' &&
          /stopped after .* without activity: commands that were still running ended/.test(e.message ?? ''),
      ),
    ).toBe(true);
  });

  it('starts an idle-stopped runtime again on request, in the same workspace, and its thread goes on', async () => {
    const bff = await startTestBff({ idleTimeoutMs: 2500, idleCheckMs: 100 });
    const { runtime, threadId } = await readyRuntime(bff);
    const events = async () =>
      (await (await bff.api(`/api/threads/${threadId}/events`)).json()) as {
        events: { kind: string; data?: string }[];
      };
    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo before-the-stop > kept.txt' },
    });
    await waitFor(events, (page) => page.events.some((e) => e.kind === 'tool.result'));
    const read = async () => (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime;
    await waitFor(read, (r) => r.status === 'stopped');

    const started = await bff.api(`/api/runtimes/${runtime.id}/start`, { body: {} });
    expect(started.status).toBe(202);
    expect(((await started.json()) as Runtime).status).toBe('starting');
    // Asked again while it starts: refused, and nothing starts twice.
    const twice = await bff.api(`/api/runtimes/${runtime.id}/start`, { body: {} });
    expect(twice.status).toBe(409);
    await waitFor(read, (r) => r.status === 'ready' && r.link === 'open');

    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'cat kept.txt' } });
    const page = await waitFor(events, (p) => p.events.filter((e) => e.kind === 'tool.result').length === 2);
    expect(
      page.events
        .filter((e) => e.kind === 'tool.output')
        .map((e) => e.data)
        .join(''),
    ).toContain('before-the-stop');
    const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    expect(log.entries.some((e) => e.kind === 'status' && /Starting again on request/.test(e.detail ?? ''))).toBe(true);
  });

  it('keeps a runtime that is at work running past the idle window', async () => {
    const bff = await startTestBff({ idleTimeoutMs: 1000, idleCheckMs: 100 });
    const { runtime, threadId } = await readyRuntime(bff);
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'sleep 3; echo done' } });
    // Three idle windows long: a stop meanwhile would end the command before its result.
    const outcome = await waitFor(
      async () => ({
        runtime: ((await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status,
        result: (
          (await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }
        ).events.find((e) => e.kind === 'tool.result'),
      }),
      ({ runtime: status, result }) => result !== undefined || status !== 'ready',
    );
    expect(outcome).toMatchObject({ runtime: 'ready', result: { ok: true } });
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
      async () => runtimePidOr(bff, runtime.id, pid),
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

  it('deletes a sandbox runtime: its process and the command it ran end, its workspace goes, and so does it', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff);
    const dir = `${bff.dataDir}/runtimes/${runtime.id}`;
    const pid = runtimePid(bff, runtime.id);
    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo $$ > sleeper.pid; exec sleep 300' },
    });
    const sleeper = await waitFor(
      async () =>
        Number(existsSync(`${dir}/workspace/sleeper.pid`) && readFileSync(`${dir}/workspace/sleeper.pid`, 'utf8')),
      (p) => p > 0 && alive(p),
    );
    const stream = await bff.stream();
    stream.send({ type: 'subscribe', topic: 'runtimes' });
    await stream.until(() => stream.frames.some((f) => f.type === 'runtimes'));

    expect((await bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' })).status).toBe(204);
    // Done when DELETE answers: no process left, no files left.
    expect({ runtime: alive(pid), command: alive(sleeper), workspace: existsSync(dir) }).toEqual({
      runtime: false,
      command: false,
      workspace: false,
    });
    for (const path of [
      `/api/runtimes/${runtime.id}`,
      `/api/runtimes/${runtime.id}/threads`,
      `/api/threads/${threadId}`,
    ])
      expect({ path, status: (await bff.api(path)).status }).toEqual({ path, status: 404 });
    expect(((await (await bff.api('/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes).toEqual([]);
    await stream.until(() => stream.frames.some((f) => f.type === 'runtime-removed' && f.id === runtime.id));
  });

  it('restarts a runtime whose process keeps dying at most three times, then marks it failed', {
    timeout: 120_000,
  }, async () => {
    const bff = await startTestBff();
    const { runtime } = await readyRuntime(bff);
    const current = async () => (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime;
    const killed: number[] = [];
    for (let death = 1; death <= 4; death++) {
      const pid = runtimePid(bff, runtime.id);
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
      // Either it comes back in a new process, or it is given up on.
      const after = await waitFor(
        async () => ({ runtime: await current(), pid: runtimePidOr(bff, runtime.id, pid) }),
        ({ runtime: r, pid: now }) =>
          r.status === 'failed' || (now !== pid && alive(now) && r.status === 'ready' && r.link === 'open'),
        60_000,
      );
      expect({ death, status: after.runtime.status }).toEqual({ death, status: death <= 3 ? 'ready' : 'failed' });
    }
    const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    const errors = log.entries.flatMap((e) => (e.kind === 'error' ? [e.message] : []));
    expect(errors.filter((m) => /process is gone/.test(m))).toHaveLength(3);
    expect(errors.at(-1)).toMatch(/died 3 times in 10 minutes/);
    // Given up: the last process it ran is the one that died, and nothing runs in its place.
    expect(runtimePid(bff, runtime.id)).toBe(killed.at(-1));
    expect(killed.some(alive)).toBe(false);
  });

  it('pauses an idle runtime whose provider can, keeps it paused across a BFF restart, and a message resumes it', async () => {
    const dataDir = tempDir('rc-pause-');
    const options = { dataDir, idleTimeoutMs: 800, idleCheckMs: 100 };
    let bff = await startTestBff({ ...options, providers: [new PausingProvider({ dataDir })] });
    const { runtime, threadId } = await readyRuntime(bff, 'pausing');
    const pid = runtimePid(bff, runtime.id);
    await waitFor(
      async () => ((await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status,
      (status) => status === 'paused',
    );
    await waitFor(
      async () => alive(pid),
      (a) => !a,
      5000,
    );
    await bff.stop();
    bff = await startTestBff({ ...options, providers: [new PausingProvider({ dataDir })] });
    const after = (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime;
    expect(after.status).toBe('paused');

    const sent = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo back-from-pause' },
    });
    expect(sent.status).toBe(202);
    const output = await waitFor(
      async () =>
        ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }).events,
      (events) => events.some((e) => e.kind === 'tool.output' && e.data.includes('back-from-pause')),
    );
    expect(output.length).toBeGreaterThan(0);
    expect(((await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status).toBe('ready');
    const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    const lifecycle = log.entries.flatMap((e) =>
      e.kind === 'step' && (e.step === 'pause' || e.step === 'resume') && e.state !== 'started' ? [e] : [],
    );
    expect(lifecycle.map((e) => `${e.step}:${e.state}`)).toEqual(['pause:ok', 'resume:ok']);
    expect(lifecycle[1]!.durationMs).toBeGreaterThan(0);
    expect(runtimePid(bff, runtime.id)).not.toBe(pid);
  });
});

/** A process runtime that "pauses" as Daytona's stop does: its process ends, its files stay. */
class PausingProvider extends ProcessProvider {
  override readonly id = 'pausing';
  override readonly label = 'Pausing process';

  constructor(options: { dataDir: string }) {
    super({ ...options, audience: 'all' });
  }

  async pause(state: ProviderState): Promise<ProviderState> {
    await this.stop(state);
    return state;
  }

  resume(context: StartContext, state: ProviderState): Promise<StartedRuntime> {
    return this.start(context, state);
  }
}
