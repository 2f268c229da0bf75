import { readFileSync } from 'node:fs';
import type { LogEntry, Runtime, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff as startBff, type StreamClient } from './support/bff.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Subscribes to a thread and resolves once the replay is done. */
async function watchThread(stream: StreamClient, threadId: string, after = 0) {
  stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after });
  await stream.until(() => stream.frames.some((f) => f.type === 'caught-up' && f.topic === `thread:${threadId}`));
}

const resultOf = (events: ThreadEvent[]) => events.find((e) => e.kind === 'tool.result');
const output = (events: ThreadEvent[]) => events.flatMap((e) => (e.kind === 'tool.output' ? [e.data] : [])).join('');

describe.each(['sqlite', 'postgres'] as const)('a process runtime through the BFF on %s', (dialect) => {
  const startTestBff = (options: Parameters<typeof startBff>[0] = {}) => startBff({ dialect, ...options });
  it('streams the start-up steps in order and reaches ready', async () => {
    const bff = await startTestBff();
    const stream = await bff.stream();
    const started = performance.now();
    const created = await bff.api('/api/runtimes', { body: { provider: 'process', name: 'steps' } });
    expect(created.status).toBe(201);
    const runtime = (await created.json()) as Runtime;
    expect(runtime).toMatchObject({ status: 'starting', kind: 'sandbox', provider: 'process', name: 'steps' });

    stream.send({ type: 'subscribe', topic: `runtime-log:${runtime.id}` });
    const log = () => stream.frames.flatMap((f) => (f.type === 'log' ? [f.entry as LogEntry] : []));
    await stream.until(() => log().some((e) => e.kind === 'step' && e.step === 'ready' && e.state !== 'started'));
    const readyAfterMs = performance.now() - started;

    const steps = log().filter((e) => e.kind === 'step');
    expect(steps.map((e) => (e.kind === 'step' ? `${e.step}:${e.state}` : ''))).toEqual([
      'create:started',
      'create:ok',
      'clone:started',
      'clone:skipped',
      'install:started',
      'install:ok',
      'settings:started',
      'settings:ok',
      'start:started',
      'start:ok',
      'ready:started',
      'ready:ok',
    ]);
    expect(log().map((e) => e.seq)).toEqual(log().map((_, i) => i + 1));
    for (const step of steps)
      if (step.kind === 'step' && step.state !== 'started') expect(step.durationMs).toBeGreaterThanOrEqual(0);
    const current = (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime;
    expect(current).toMatchObject({ status: 'ready', link: 'open' });
    console.info(`[measure] New → ready: ${readyAfterMs.toFixed(0)} ms`);
  });

  it('runs a command and streams its output while it runs, with the exit code at the end', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const stream = await bff.stream();
    await watchThread(stream, threadId);

    const sent = performance.now();
    const response = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo hello && sleep 1 && echo world' },
    });
    expect(response.status).toBe(202);
    const arrivals = new Map<string, number>();
    await stream.until(() => {
      const text = output(stream.events(threadId));
      if (!arrivals.has('hello') && text.includes('hello')) arrivals.set('hello', performance.now());
      if (!arrivals.has('world') && text.includes('world')) arrivals.set('world', performance.now());
      return resultOf(stream.events(threadId)) !== undefined;
    });
    const events = stream.events(threadId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]).toMatchObject({
      kind: 'message.user',
      text: 'echo hello && sleep 1 && echo world',
      agent: 'shell',
    });
    const kinds = events.map((e) => e.kind);
    expect(kinds.indexOf('tool.call')).toBeLessThan(kinds.indexOf('tool.output'));
    expect(kinds.indexOf('tool.output')).toBeLessThan(kinds.indexOf('tool.result'));
    expect(output(events)).toBe('hello\nworld\n');
    expect(resultOf(events)).toMatchObject({ ok: true, exitCode: 0 });
    // "hello" was shown while the command still ran, not at the end.
    expect(arrivals.get('world')! - arrivals.get('hello')!).toBeGreaterThan(700);
    console.info(`[measure] send → first output byte: ${(arrivals.get('hello')! - sent).toFixed(0)} ms`);

    await stream.until(() => stream.events(threadId).some((e) => e.kind === 'status' && e.state === 'idle'));
    const page = (await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] };
    expect(page.events.map((e) => e.seq)).toEqual(stream.events(threadId).map((e) => e.seq));
  });

  it('reports a failing command with its exit code and stderr', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const stream = await bff.stream();
    await watchThread(stream, threadId);
    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo oops >&2; exit 3' },
    });
    await stream.until(() => resultOf(stream.events(threadId)) !== undefined);
    const events = stream.events(threadId);
    expect(events.find((e) => e.kind === 'tool.output')).toMatchObject({ stream: 'stderr', data: 'oops\n' });
    expect(resultOf(events)).toMatchObject({ ok: false, exitCode: 3 });
  });

  it('stops a long command when the user cancels it', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const stream = await bff.stream();
    await watchThread(stream, threadId);
    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo $$ > sleeper.pid; exec sleep 60' },
    });
    await stream.until(() => stream.events(threadId).some((e) => e.kind === 'tool.call'));
    // Wait until the shell wrote its pid, so we can check the process itself is gone afterwards.
    const runtime = ((await (await bff.api('/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes[0]!;
    const pidFile = `${bff.dataDir}/runtimes/${runtime.id}/workspace/sleeper.pid`;
    let pid = 0;
    await stream.until(() => {
      try {
        pid = Number(readFileSync(pidFile, 'utf8'));
      } catch {
        return false;
      }
      return pid > 0;
    });
    expect(processAlive(pid)).toBe(true);

    const cancelledAt = performance.now();
    expect((await bff.api(`/api/threads/${threadId}/cancel`, { method: 'POST' })).status).toBe(202);
    await stream.until(() => resultOf(stream.events(threadId)) !== undefined, 10_000);
    expect(performance.now() - cancelledAt).toBeLessThan(5000);
    expect(resultOf(stream.events(threadId))).toMatchObject({ ok: false, error: expect.stringMatching(/cancel/i) });
    expect(processAlive(pid)).toBe(false);
  });

  it('writes a file with /write, shows the diff, and /diff shows it too', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const stream = await bff.stream();
    await watchThread(stream, threadId);
    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: '/write notes.md\n# Notes\nfirst line\n' },
    });
    await stream.until(() => stream.events(threadId).some((e) => e.kind === 'file.write'));
    const write = stream.events(threadId).find((e) => e.kind === 'file.write');
    expect(write).toMatchObject({ path: 'notes.md', created: true });
    expect(write?.kind === 'file.write' && write.diff).toContain('+first line');

    await stream.until(() => stream.events(threadId).some((e) => e.kind === 'status' && e.state === 'idle'));
    const before = stream.events(threadId).length;
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: '/diff' } });
    await stream.until(() =>
      stream
        .events(threadId)
        .slice(before)
        .some((e) => e.kind === 'tool.result'),
    );
    // git colours its diff for the terminal block; compare the text.
    const plain = output(stream.events(threadId).slice(before)).replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toContain('+first line');
  });

  it('stores a message sent twice with the same client id once and runs it once', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const id = clientId();
    const first = await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: id, text: 'echo once' } });
    const again = await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: id, text: 'echo once' } });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { created: boolean }).created).toBe(false);
    // A message after it: the runtime handles a thread's messages in order, so once this one has
    // run, a second run of the first (had it been delivered twice) would be in the thread too.
    const sentinel = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo sentinel' },
    });
    expect(sentinel.status).toBe(202);
    const stream = await bff.stream();
    await watchThread(stream, threadId);
    await stream.until(() => {
      const events = stream.events(threadId);
      const call = events.find((e) => e.kind === 'tool.call' && e.title === 'echo sentinel');
      return events.some((e) => e.kind === 'tool.result' && call?.kind === 'tool.call' && e.callId === call.callId);
    });
    const events = stream.events(threadId);
    expect(events.filter((e) => e.kind === 'message.user')).toHaveLength(2);
    expect(events.filter((e) => e.kind === 'tool.call').map((e) => e.kind === 'tool.call' && e.title)).toEqual([
      'echo once',
      'echo sentinel',
    ]);
  });

  it('keeps the runtime, its log and its threads across a BFF restart, and the thread goes on', async () => {
    const first = await startTestBff();
    const { runtime, threadId } = await readyRuntime(first);
    const stream = await first.stream();
    await watchThread(stream, threadId);
    await first.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'echo before' } });
    await stream.until(() => stream.events(threadId).some((e) => e.kind === 'status' && e.state === 'idle'));
    const eventsBefore = stream.events(threadId);
    const runtimeFile = JSON.parse(
      readFileSync(`${first.dataDir}/runtimes/${runtime.id}/state/runtime.json`, 'utf8'),
    ) as { pid: number };
    await first.stop();
    expect(processAlive(runtimeFile.pid)).toBe(true);

    const second = await startTestBff({
      dataDir: first.dataDir,
      ...(first.databaseUrl && { databaseUrl: first.databaseUrl }),
    });
    const deadline = Date.now() + 15_000;
    let current: Runtime;
    do {
      current = (await (await second.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime;
      if (current.status === 'ready' && current.link === 'open') break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    expect(current).toMatchObject({ status: 'ready', link: 'open' });
    // Re-attached, not restarted: the same process.
    const after = JSON.parse(readFileSync(`${first.dataDir}/runtimes/${runtime.id}/state/runtime.json`, 'utf8')) as {
      pid: number;
    };
    expect(after.pid).toBe(runtimeFile.pid);

    const threads = (await (await second.api(`/api/runtimes/${runtime.id}/threads`)).json()) as {
      threads: { id: string; title: string }[];
    };
    expect(threads.threads.map((t) => t.id)).toEqual([threadId]);
    expect(threads.threads[0]?.title).toBe('echo before');

    const again = await second.stream();
    await watchThread(again, threadId);
    expect(again.events(threadId)).toEqual(eventsBefore);
    await second.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'echo after' } });
    await again.until(() => output(again.events(threadId)).includes('after'));
    const events = again.events(threadId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });
});
