import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Backpressure } from '../backpressure.js';
import { COMMAND_ID_ENV, type CommandTracker } from './leftover-commands.js';
import { OutputBuffer, type OutputStream } from './output-buffer.js';
import { listProcesses } from './processes.js';
import { formatBytes } from './text-chunks.js';

/** Environment variables a command must never see: the runtime's credential, the user's API token. */
const SECRET_ENV = ['REMOTE_CHAT_RUNTIME_TOKEN', 'REMOTE_CHAT_TOKEN'];

/**
 * The environment commands run with: the runtime's own, minus its secrets, plus what makes tools
 * print colour (the chat renders ANSI) and never wait for input nobody can give (stdin is closed).
 */
export function commandEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...withoutSecrets(base),
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    FORCE_COLOR: '1',
    CLICOLOR_FORCE: '1',
    PAGER: 'cat',
    GIT_PAGER: 'cat',
    GIT_TERMINAL_PROMPT: '0',
    DEBIAN_FRONTEND: 'noninteractive',
    NO_UPDATE_NOTIFIER: '1',
    npm_config_update_notifier: 'false',
  };
}

/** The environment minus the runtime's secrets: for any program the runtime starts. */
export function withoutSecrets(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of SECRET_ENV) delete env[name];
  return env;
}

export interface RunCommandOptions {
  /** A bash command line. */
  command: string;
  cwd: string;
  /** @default commandEnv() */
  env?: NodeJS.ProcessEnv;
  /** Aborting stops the command: SIGTERM to its process group, SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  /**
   * Stops the command like a cancel after this long. Time spent paused by `backpressure` counts:
   * a link that stays stalled cannot hold a command forever. @default no limit
   */
  timeoutMs?: number;
  /** @default 2_000 */
  killGraceMs?: number;
  /** Output past this many bytes is dropped and counted. @default 16 MiB */
  maxOutputBytes?: number;
  /** Coalesced output, in arrival order. */
  onOutput: (stream: OutputStream, data: string) => void;
  /**
   * While `paused`, the command's output is not read: the OS pipe fills and the command blocks on
   * its next write, as in a terminal whose output nobody reads; reading resumes when it turns
   * false. Output already read still goes to `onOutput` (at most one coalescing buffer). After a
   * stop (cancel, time limit), what the stopped command left in the pipes is read regardless.
   * @default never paused
   */
  backpressure?: Pick<Backpressure, 'paused' | 'onChange'>;
  /**
   * Told of the command before it starts and once it ended, so that the next runtime process can
   * end it if this one is killed meanwhile. @default not recorded
   */
  tracker?: CommandTracker;
}

export interface CommandResult {
  /** The exit code when the command exited by itself. */
  exitCode: number | null;
  /** The signal that ended it, such as `SIGTERM` after a cancel. */
  signal: string | null;
  durationMs: number;
  /** Why it failed to run or was stopped: "cancelled", "timed out after 600 s", … */
  error?: string;
}

/** How long pipes held open by a command's background children are waited for after it exits. */
const STDIO_GRACE_MS = 300;
/** How long the group's last members get to vanish after SIGKILL. */
const REAP_WAIT_MS = 2_000;

/**
 * Runs `bash -c command` in its own process group with stdin closed and streams its output.
 * Resolves when it ended (and, after a stop, when its whole process group is gone); never rejects.
 */
export function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  if (options.signal?.aborted)
    return Promise.resolve({ exitCode: null, signal: null, durationMs: 0, error: 'cancelled' });

  return new Promise<CommandResult>((resolve) => {
    const output = new OutputBuffer(options.onOutput);
    const maxOutputBytes = options.maxOutputBytes ?? 16 * 1024 * 1024;
    let outputBytes = 0;
    let droppedBytes = 0;
    let stopReason: string | undefined;
    let exit: { code: number | null; signal: string | null } | undefined;
    let spawnError: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let timeLimit: NodeJS.Timeout | undefined;
    let stdioTimer: NodeJS.Timeout | undefined;
    /** Output is not being read because of back-pressure. */
    let held = false;
    /** Read what is left whatever the back-pressure: the command was stopped, or it exited and was then cancelled. */
    let draining = false;
    let finished = false;

    // Every process of the command inherits the mark, even one that leaves the process group.
    const commandId = randomUUID();
    options.tracker?.starting(commandId);
    const child = spawn('bash', ['--noprofile', '--norc', '-c', options.command], {
      cwd: options.cwd,
      env: { ...(options.env ?? commandEnv()), [COMMAND_ID_ENV]: commandId },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;

    const killGroup = (signal: NodeJS.Signals): void => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    /** Background children may hold the pipes open after bash exited; do not wait for them forever. */
    const armStdioGrace = (): void => {
      clearTimeout(stdioTimer);
      stdioTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, STDIO_GRACE_MS);
    };
    /** Pauses or resumes reading to follow the back-pressure. */
    const applyFlow = (): void => {
      if (finished) return;
      const hold = !draining && (options.backpressure?.paused ?? false);
      if (hold === held) return;
      held = hold;
      for (const stream of [child.stdout, child.stderr]) {
        if (hold) stream.pause();
        else stream.resume();
      }
      // Output held after bash exited is not a background child keeping the pipes open: the grace runs only while reading.
      if (exit) {
        if (hold) clearTimeout(stdioTimer);
        else armStdioGrace();
      }
    };
    const stop = (reason: string): void => {
      if (stopReason !== undefined || finished) return;
      if (exit) {
        // bash has exited (its exit code stands) but its output is held: stop waiting for room and read the rest.
        if (held && !draining) {
          draining = true;
          applyFlow();
        }
        return;
      }
      stopReason = reason;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 2_000);
    };
    const onAbort = (): void => stop('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      const limit = options.timeoutMs;
      timeLimit = setTimeout(() => stop(`timed out after ${formatSeconds(limit)}`), limit);
    }

    const onData = (stream: OutputStream) => (chunk: Buffer) => {
      if (outputBytes + chunk.length > maxOutputBytes) {
        droppedBytes += chunk.length;
        return;
      }
      outputBytes += chunk.length;
      output.write(stream, chunk);
    };
    child.stdout.on('data', onData('stdout'));
    child.stderr.on('data', onData('stderr'));
    for (const stream of [child.stdout, child.stderr]) {
      // Node resumes a child's pipes when it exits (to flush them); held output stays held.
      stream.on('resume', () => {
        if (held) stream.pause();
      });
    }
    const unsubscribe = options.backpressure?.onChange(() => applyFlow());
    applyFlow();

    child.on('error', (error) => {
      // Only a failure to start lands here; bash reports everything else itself.
      spawnError = `could not start bash in ${options.cwd}: ${error.message}`;
      // Nothing will write to the pipes; let them close whatever the back-pressure.
      draining = true;
      applyFlow();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (!held) {
        armStdioGrace();
      } else if (stopReason !== undefined && pid !== undefined) {
        // Stopped while its output was held: once the group is gone nothing writes any more, so what
        // is left is at most what the pipes hold. Read it now rather than wait for room.
        void waitForGroupGone(pid, (options.killGraceMs ?? 2_000) + REAP_WAIT_MS).then(() => {
          draining = true;
          applyFlow();
        });
      }
      // Otherwise the grace starts once reading resumes (applyFlow).
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      void finish(exit ?? { code, signal });
    });

    const finish = async (ended: { code: number | null; signal: string | null }): Promise<void> => {
      if (finished) return;
      finished = true;
      clearTimeout(timeLimit);
      clearTimeout(stdioTimer);
      unsubscribe?.();
      options.signal?.removeEventListener('abort', onAbort);
      if (stopReason !== undefined && pid !== undefined) {
        // A stop means the whole group: wait for stragglers that ignored SIGTERM to be killed too.
        await waitForGroupGone(pid, (options.killGraceMs ?? 2_000) + REAP_WAIT_MS);
        if (groupAlive(pid)) killGroup('SIGKILL');
      }
      clearTimeout(killTimer);
      options.tracker?.ended(commandId);
      if (droppedBytes > 0) output.writeText('stderr', `\n[${formatBytes(droppedBytes)} of output not shown]\n`);
      output.end();
      const error = spawnError ?? stopReason;
      resolve({
        exitCode: spawnError === undefined ? ended.code : null,
        signal: spawnError === undefined ? ended.signal : null,
        durationMs: elapsed(),
        ...(error !== undefined ? { error } : {}),
      });
    };
  });
}

/** "600 s", "1.5 s". */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : Number(seconds.toFixed(1))} s`;
}

/**
 * Whether any live process of the group `pgid` still exists. Zombies do not count: they are dead
 * and only wait for their new parent (often PID 1, which may reap slowly) to collect them.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return livingMembers(pgid) !== 0;
}

/** Non-zombie members of a process group per /proc; -1 where there is no /proc (then assume alive). */
function livingMembers(pgid: number): number {
  const processes = listProcesses();
  if (!processes) return -1;
  return processes.filter((entry) => entry.pgid === pgid && !entry.zombie).length;
}

async function waitForGroupGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
}
