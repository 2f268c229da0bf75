import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { groupAlive, runCommand, type CommandResult, type RunCommandOptions } from './terminal.js';
import { tempDirs } from '../test-support/temp.js';
import { sleep, waitFor } from '../../../../test/support/wait.js';

const temp = tempDirs();
let cwd: string;

beforeEach(async () => {
  cwd = await temp.make('rc-terminal-');
});
afterEach(() => temp.cleanup());

/** Back-pressure a test turns on and off by hand. */
function valve(paused: boolean) {
  const listeners = new Set<(paused: boolean) => void>();
  return {
    paused,
    onChange(listener: (paused: boolean) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next: boolean) {
      this.paused = next;
      for (const listener of [...listeners]) listener(next);
    },
    get listeners() {
      return listeners.size;
    },
  };
}

/** Runs a command, collecting its output; `settled` says whether it has resolved yet. */
function start(command: string, options: Partial<RunCommandOptions> = {}) {
  const chunks: string[] = [];
  const run = {
    output: () => chunks.join(''),
    settled: false,
    result: undefined as CommandResult | undefined,
    done: undefined as unknown as Promise<CommandResult>,
  };
  run.done = runCommand({ command, cwd, onOutput: (_stream, data) => chunks.push(data), ...options }).then((result) => {
    run.settled = true;
    run.result = result;
    return result;
  });
  return run;
}

const numbers = (n: number): string => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');

describe('runCommand under back-pressure', () => {
  it('stops reading while paused, so the command blocks on its output, and loses nothing when resumed', async () => {
    const pressure = valve(true);
    const run = start('seq 1 300000', { backpressure: pressure });
    await sleep(1_000);
    // ~2 MB cannot fit in a pipe: seq is blocked writing, and nothing was read.
    expect(run.settled).toBe(false);
    expect(run.output()).toBe('');
    pressure.set(false);
    const result = await run.done;
    expect(result).toMatchObject({ exitCode: 0, signal: null });
    expect(result.error).toBeUndefined();
    expect(run.output()).toBe(numbers(300000));
    expect(pressure.listeners).toBe(0);
  });

  it('pauses and resumes mid-stream, over and over, and keeps every byte in order', async () => {
    const pressure = valve(true);
    const run = start('seq 1 400000', { backpressure: pressure });
    let flips = 0;
    // Mostly paused, with reading allowed for one turn of the event loop at a time, so the
    // command cannot finish within a few flips however fast or loaded the machine is.
    while (!run.settled && flips < 2000) {
      pressure.set(false);
      await new Promise((resolve) => setImmediate(resolve));
      pressure.set(true);
      await sleep(2);
      flips += 2;
    }
    pressure.set(false);
    await run.done;
    expect(flips).toBeGreaterThan(4);
    expect(run.output()).toBe(numbers(400000));
  });

  it('does not take output held in the pipe after the command exited for a background child’s, and does not drop it', async () => {
    const pressure = valve(true);
    // Fits in the pipe: bash exits at once, its output still unread.
    const run = start('seq 1 5000', { backpressure: pressure });
    await sleep(800); // well past the 300 ms allowed for background children holding the pipes
    expect(run.settled).toBe(false);
    pressure.set(false);
    const result = await run.done;
    expect(result).toMatchObject({ exitCode: 0 });
    expect(run.output()).toBe(numbers(5000));
  });

  it('still stops waiting for a background child that holds the pipes, once reading resumes', async () => {
    const pressure = valve(true);
    const pidFile = path.join(cwd, 'pid');
    const run = start(`echo $$ > ${pidFile}; yes background & echo done`, {
      backpressure: pressure,
      maxOutputBytes: 256 * 1024,
    });
    const pgid = Number(
      await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim(), 'the pid file'),
    );
    await sleep(600);
    expect(run.settled).toBe(false);
    const resumed = Date.now();
    pressure.set(false);
    const result = await run.done;
    expect(Date.now() - resumed).toBeLessThan(2_000);
    expect(result).toMatchObject({ exitCode: 0 });
    expect(run.output()).toContain('done\n');
    // The background yes dies of SIGPIPE on its next write.
    await waitFor(() => !groupAlive(pgid), 'the background child to go');
  });

  it('a cancel while paused kills the process group and reads what it left in the pipe', async () => {
    const pressure = valve(true);
    const controller = new AbortController();
    const pidFile = path.join(cwd, 'pid');
    const run = start(`echo $$ > ${pidFile}; yes line`, {
      backpressure: pressure,
      signal: controller.signal,
      killGraceMs: 500,
    });
    const pid = Number(
      await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim(), 'the pid file'),
    );
    await sleep(300);
    expect(groupAlive(pid)).toBe(true);
    const stopped = Date.now();
    controller.abort();
    const result = await run.done;
    // Still paused: the stop did not wait for room.
    expect(pressure.paused).toBe(true);
    expect(Date.now() - stopped).toBeLessThan(3_000);
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGTERM', error: 'cancelled' });
    expect(groupAlive(pid)).toBe(false);
    const output = run.output();
    // What the pipe held, whole lines up to where yes was cut off.
    expect(output.length).toBeGreaterThan(0);
    expect(
      output
        .split('\n')
        .slice(0, -1)
        .every((line) => line === 'line'),
    ).toBe(true);
  });

  it('a cancel after the command exited with its output held reads the rest and keeps the exit code', async () => {
    const pressure = valve(true);
    const controller = new AbortController();
    const run = start('seq 1 5000; exit 3', { backpressure: pressure, signal: controller.signal });
    await sleep(400);
    expect(run.settled).toBe(false);
    controller.abort();
    const result = await run.done;
    expect(result).toMatchObject({ exitCode: 3 });
    expect(result.error).toBeUndefined();
    expect(run.output()).toBe(numbers(5000));
  });

  it('counts time spent paused towards the time limit', async () => {
    const pressure = valve(true);
    const run = start('seq 1 1000000', { backpressure: pressure, timeoutMs: 500, killGraceMs: 500 });
    const result = await run.done;
    expect(pressure.paused).toBe(true);
    expect(result).toMatchObject({ exitCode: null, error: 'timed out after 0.5 s' });
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(result.durationMs).toBeLessThan(4_000);
  });

  it('reports a command that cannot start while paused', async () => {
    const pressure = valve(true);
    const result = await start('echo hi', { backpressure: pressure, cwd: path.join(cwd, 'missing') }).done;
    expect(result.error).toMatch(/could not start bash/);
  });
});
