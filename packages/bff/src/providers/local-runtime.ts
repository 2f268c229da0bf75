import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GIT_TOKEN_ENV, GIT_TOKEN_HELPER_ARGS } from '@remote-chat/protocol';
import { z } from 'zod';
import { RUNTIMES_FOLDER } from '../data-dir.js';
import type { CloneSource, RuntimeSettings, StepContext, StepOutcome } from './provider.js';

const run = promisify(execFile);

/** What the providers that run runtimes on this host (process, bubblewrap) are configured with. */
export interface LocalRuntimeOptions {
  /** Runtimes live in `<dataDir>/runtimes/<id>/`. */
  dataDir: string;
  /** How long `start` waits for the runtime to listen. @default 15_000 */
  startTimeoutMs?: number;
}

/** The files of one runtime on this host, all under `<dataDir>/runtimes/<id>/`. */
export interface RuntimeFolder {
  dir: string;
  /** The git workspace agents work in. */
  workspace: string;
  /** The runtime's own state: runtime.json, its outbox and turn journal. */
  stateDir: string;
  /** The copy of the one-file runtime. */
  bundle: string;
  settings: string;
}

export function runtimeFolder(dir: string): RuntimeFolder {
  return {
    dir,
    workspace: join(dir, 'workspace'),
    stateDir: join(dir, 'state'),
    bundle: join(dir, 'remote-chat-runtime.js'),
    settings: join(dir, 'settings.json'),
  };
}

/** Where a new runtime's folder goes. */
export function newRuntimeDir(dataDir: string, runtimeId: string): string {
  return join(dataDir, RUNTIMES_FOLDER, runtimeId);
}

/** What `remote-chat-runtime serve` writes once it listens (only the fields the BFF needs). */
export const RuntimeFileSchema = z.object({
  pid: z.number().int(),
  port: z.number().int(),
  host: z.string(),
  socket: z.string().optional(),
});
export type ListeningRuntime = z.infer<typeof RuntimeFileSchema>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `create` on this host: the runtime's folder with its state folder (private) and an empty workspace. */
export async function createRuntimeFolder(folder: RuntimeFolder): Promise<void> {
  await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
  await mkdir(folder.workspace, { recursive: true });
}

/**
 * Before `start`: the runtime's folder is still there. One deleted behind the BFF's back (while it
 * was down, say) fails the start in words, not with the first missing file's ENOENT.
 */
export async function requireRuntimeFolder(folder: RuntimeFolder): Promise<void> {
  const found = await stat(folder.dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!found?.isDirectory()) {
    throw new Error(
      `The runtime's folder ${folder.dir} is gone (deleted outside Remote Chat); its workspace went with it. Delete this runtime and create a new one.`,
    );
  }
}

/** The environment of a git command that may use a token, never asking a terminal. */
export function gitEnv(token: string | undefined): NodeJS.ProcessEnv {
  const { GIT_ASKPASS: _askpass, SSH_ASKPASS: _ssh, ...env } = process.env;
  return { ...env, GIT_TERMINAL_PROMPT: '0', ...(token !== undefined && { [GIT_TOKEN_ENV]: token }) };
}

/** git's `--progress` output, carriage returns and all, as the last line of each phase. */
export function progressLines(stderr: string): string[] {
  const lines: string[] = [];
  for (const raw of stderr.split(/[\r\n]+/)) {
    const line = raw.trim();
    if (!line) continue;
    // Progress ("Receiving objects:  42% (…)") repeats per phase: keep the last of each.
    const phase = /\d+%/.test(line) ? /^(remote: )?([A-Za-z ]+):/.exec(line)?.[0] : undefined;
    const last = lines.at(-1);
    if (phase && last?.startsWith(phase)) lines[lines.length - 1] = line;
    else lines.push(line);
  }
  return lines;
}

/** A failed clone's stderr as what happened and what to do. */
export function cloneFailure(source: CloneSource, stderr: string): string {
  const repo = source.repo;
  if (/Remote branch .* not found|couldn't find remote ref/i.test(stderr))
    return `Branch ${source.branch} is gone from ${repo}: pick another branch.`;
  if (
    /Authentication failed|could not read Username|terminal prompts disabled|Repository not found|repository '[^']*' not found|returned error: 40[134]/i.test(
      stderr,
    )
  )
    return source.token
      ? `No access to ${repo}: your GitHub account cannot read it. Sign in to GitHub with an account that can, or pick another repository.`
      : `No access to ${repo}: it is private or does not exist. Sign in to GitHub, then try again.`;
  if (/Could not resolve host|Failed to connect|Connection refused|timed out|Network is unreachable/i.test(stderr))
    return `The git host cannot be reached to clone ${repo} (a network failure); try again in a moment.`;
  return `git clone ${source.url} failed: ${progressLines(stderr).slice(-6).join(' ')}`;
}

/**
 * `clone` on this host: `git clone --progress` into the (empty) workspace, with the user's token
 * (if any) through the inline credential helper; or `git init` with no source. The progress
 * lines become the step's detail.
 */
export async function cloneWorkspace(
  workspace: string,
  source: CloneSource | null,
  signal: AbortSignal,
): Promise<StepOutcome> {
  if (!source) {
    await run('git', ['init', '--quiet', '--initial-branch', 'main', workspace]);
    return { skipped: 'No repository selected: the agent starts in an empty git repository.' };
  }
  // The token (if any) reaches git through its environment and an inline credential helper.
  const args = [...GIT_TOKEN_HELPER_ARGS, 'clone', '--progress', '--depth', '50'];
  if (source.branch) args.push('--branch', source.branch);
  // Cloning into the existing empty folder keeps the path stable.
  const { stderr, code } = await new Promise<{ stderr: string; code: number | null }>((resolve, reject) => {
    const child = spawn('git', [...args, '--', source.url, workspace], {
      signal,
      env: gitEnv(source.token),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      // Progress can be long; the tail is what matters.
      text = (text + chunk).slice(-64_000);
    });
    child.once('error', reject);
    child.once('close', (exit) => resolve({ stderr: text, code: exit }));
  });
  if (code !== 0) throw new Error(cloneFailure(source, stderr));
  const head = `${source.repo}${source.branch ? `@${source.branch}` : ''}`;
  return { detail: [head, ...progressLines(stderr)].join('\n') };
}

/** `install` on this host: the one-file runtime copied into the runtime's folder. */
export async function installRuntimeFile(folder: RuntimeFolder, runtimeFile: string): Promise<StepOutcome> {
  const { stdout } = await run(process.execPath, ['--version']);
  await copyFile(runtimeFile, folder.bundle);
  return { detail: `remote-chat-runtime on Node ${stdout.trim()}` };
}

/** `settings` on this host: the settings file, readable by its owner only. */
export async function writeSettingsFile(folder: RuntimeFolder, settings: RuntimeSettings): Promise<StepOutcome> {
  await writeFile(folder.settings, JSON.stringify(settings, null, 2), { mode: 0o600 });
  return { detail: describeSettings(settings) };
}

/** The `settings` step's line in the runtime log. */
export function describeSettings(settings: RuntimeSettings): string {
  const acp = settings.acpAgents.map((agent) => agent.id);
  return `agent ${settings.agent}${acp.length > 0 ? `, ACP agents ${acp.join(', ')}` : ''}`;
}

/** runtime.json, once the runtime listens; null before that or when it is not valid. */
export async function readRuntimeFile(stateDir: string): Promise<ListeningRuntime | null> {
  try {
    const parsed = RuntimeFileSchema.safeParse(JSON.parse(await readFile(join(stateDir, 'runtime.json'), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Waits until the runtime a `start` step spawned writes runtime.json. Throws with the log's tail
 * when it exits first, when the step is cancelled, or after the start timeout (killing its
 * process group).
 */
export async function waitUntilListening(
  child: ChildProcess,
  context: StepContext,
  paths: { stateDir: string; log: string },
  timeoutMs = 15_000,
): Promise<ListeningRuntime> {
  const ended = child.signalCode ?? (child.exitCode === null ? null : `exit code ${child.exitCode}`);
  let exited: string | null = ended;
  child.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = await readRuntimeFile(paths.stateDir);
    if (running) return running;
    if (exited !== null) throw new Error(`the runtime exited (${exited}): ${await logTail(paths.log)}`);
    if (context.signal.aborted) throw new Error('cancelled');
    if (Date.now() > deadline) {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      throw new Error(`the runtime did not start listening in time: ${await logTail(paths.log)}`);
    }
    await sleep(25);
  }
}

/**
 * Stops a runtime gracefully: SIGTERM to `term` (a pid, or a negative process group) lets it
 * cancel its commands and flush its outbox; if it still runs after 5 s, SIGKILL to its process group,
 * then a moment for the kernel to end it.
 */
export async function stopGracefully(term: number, group: number, running: () => Promise<boolean>): Promise<void> {
  process.kill(term, 'SIGTERM');
  for (let waited = 0; waited < 5000 && (await running()); waited += 50) await sleep(50);
  if (!(await running())) return;
  process.kill(-group, 'SIGKILL');
  for (let waited = 0; waited < 2000 && (await running()); waited += 20) await sleep(20);
}

/** `Provider.destroy` of a runtime on this host: stopped, then its folder removed. */
export async function destroyRuntimeFolder(
  raw: Record<string, unknown>,
  stop: (raw: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  await stop(raw);
  const dir = z.object({ dir: z.string() }).safeParse(raw);
  // Retried: a process of the runtime's group may still be writing into it as it ends (ENOTEMPTY).
  if (dir.success) await rm(dir.data.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** The last lines of a runtime's log, for a failed step's detail. */
export async function logTail(log: string): Promise<string> {
  try {
    const text = await readFile(log, 'utf8');
    return text.trim().split('\n').slice(-10).join('\n') || '(no output)';
  } catch {
    return '(no output)';
  }
}
