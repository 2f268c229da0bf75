import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { defaultRuntimeFile } from '../built-files.js';
import type { ProvisionContext, Provider, RuntimeEndpoint } from './provider.js';

const run = promisify(execFile);

export interface ProcessProviderOptions {
  /** Runtimes live in `<dataDir>/runtimes/<id>/`. */
  dataDir: string;
  /** Where `owner/name` repositories are cloned from. @default 'https://github.com' */
  gitBaseUrl?: string;
  /** How long `start` waits for the runtime to listen. @default 15_000 */
  startTimeoutMs?: number;
  /** The runtime's command time limit. @default 600_000 */
  commandTimeoutMs?: number;
  /** The one-file runtime copied into each runtime's folder. @default the runtime package's built bundle */
  runtimeFile?: string;
}

/** What the provider keeps about a runtime (in the store, through `saveState`). */
const StateSchema = z.object({
  dir: z.string(),
  pid: z.number().int().optional(),
  port: z.number().int().optional(),
});
type State = z.infer<typeof StateSchema>;

/** What `remote-chat-runtime serve` writes once it listens. */
const RuntimeFileSchema = z.object({ pid: z.number().int(), port: z.number().int(), host: z.string() });

/** True when `pid` runs and is our runtime (not a process that reused the pid). */
async function isRuntimeProcess(pid: number, dir: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(dir);
  } catch {
    // No /proc (macOS): the signal check is the best we have.
    return true;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The default provider: a runtime is a `remote-chat-runtime serve` child process on this host,
 * with its own git workspace under the data directory, listening on a free loopback port.
 * The process is detached, so it outlives a BFF restart and is re-attached.
 */
export class ProcessProvider implements Provider {
  readonly id = 'process';
  readonly label = 'Local process';
  readonly kind = 'sandbox' as const;
  readonly description = 'A workspace and an agent process on the server that runs Remote Chat.';

  constructor(private readonly options: ProcessProviderOptions) {}

  async provision(context: ProvisionContext): Promise<RuntimeEndpoint> {
    const dir = join(this.options.dataDir, 'runtimes', context.runtimeId);
    const workspace = join(dir, 'workspace');
    await context.saveState({ dir });

    await context.step('create', async () => {
      await mkdir(join(dir, 'state'), { recursive: true, mode: 0o700 });
      await mkdir(workspace, { recursive: true });
      return { detail: `workspace ${workspace}` };
    });

    await context.step('clone', async () => {
      if (!context.repo) {
        await run('git', ['init', '--quiet', '--initial-branch', 'main', workspace]);
        return { skipped: 'No repository selected: the agent starts in an empty git repository.' };
      }
      const base = this.options.gitBaseUrl ?? 'https://github.com';
      const args = ['clone', '--quiet', '--depth', '50'];
      if (context.branch) args.push('--branch', context.branch);
      // Cloning into the existing empty folder keeps the path stable.
      await run('git', [...args, '--', `${base}/${context.repo}.git`, workspace], {
        signal: context.signal,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      });
      return { detail: `${context.repo}${context.branch ? `@${context.branch}` : ''}` };
    });

    await context.step('install', async () => {
      const { stdout } = await run(process.execPath, ['--version']);
      await copyFile(this.options.runtimeFile ?? defaultRuntimeFile(), join(dir, 'remote-chat-runtime.js'));
      return { detail: `remote-chat-runtime on Node ${stdout.trim()}` };
    });

    await context.step('settings', async () => {
      const settings = {
        agent: context.agent,
        commandTimeoutMs: this.options.commandTimeoutMs ?? 600_000,
      };
      await writeFile(join(dir, 'settings.json'), JSON.stringify(settings, null, 2), { mode: 0o600 });
      return { detail: `agent ${context.agent}` };
    });

    return this.start(context, { dir });
  }

  async probe(raw: Record<string, unknown>): Promise<RuntimeEndpoint | null> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return null;
    const running = await this.readRuntimeFile(state.data.dir);
    if (!running || !(await isRuntimeProcess(running.pid, state.data.dir))) return null;
    return { linkUrl: `ws://127.0.0.1:${running.port}/link` };
  }

  async restart(context: ProvisionContext, raw: Record<string, unknown>): Promise<RuntimeEndpoint> {
    return this.start(context, StateSchema.parse(raw));
  }

  async stop(raw: Record<string, unknown>): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    const { dir } = state.data;
    const running = await this.readRuntimeFile(dir);
    const pid = running?.pid ?? state.data.pid;
    if (pid === undefined || !(await isRuntimeProcess(pid, dir))) return;
    // SIGTERM lets the runtime cancel its commands and flush its outbox.
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; waited < 5000 && (await isRuntimeProcess(pid, dir)); waited += 50) await sleep(50);
    if (await isRuntimeProcess(pid, dir)) process.kill(-pid, 'SIGKILL');
  }

  async destroy(raw: Record<string, unknown>): Promise<void> {
    await this.stop(raw);
    const state = StateSchema.safeParse(raw);
    if (state.success) await rm(state.data.dir, { recursive: true, force: true });
  }

  private async start(context: ProvisionContext, state: State): Promise<RuntimeEndpoint> {
    let endpoint: RuntimeEndpoint | undefined;
    await context.step('start', async () => {
      const { dir } = state;
      await rm(join(dir, 'state', 'runtime.json'), { force: true });
      const log = await open(join(dir, 'state', 'runtime.log'), 'a', 0o600);
      const child = spawn(
        process.execPath,
        [
          join(dir, 'remote-chat-runtime.js'),
          'serve',
          '--workspace',
          join(dir, 'workspace'),
          '--state-dir',
          join(dir, 'state'),
          '--settings',
          join(dir, 'settings.json'),
          '--host',
          '127.0.0.1',
          '--port',
          '0',
        ],
        {
          cwd: join(dir, 'workspace'),
          // Its own process group and no pipes to us: it keeps running when the BFF stops.
          detached: true,
          stdio: ['ignore', log.fd, log.fd],
          // Only what a shell needs: the BFF's own secrets (database URL, keys) stay here.
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: process.env.HOME ?? dir,
            LANG: process.env.LANG ?? 'C.UTF-8',
            REMOTE_CHAT_RUNTIME_ID: context.runtimeId,
            REMOTE_CHAT_RUNTIME_TOKEN: context.token,
          },
        },
      );
      child.unref();
      await log.close();
      let exited: string | null = null;
      child.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));

      const deadline = Date.now() + (this.options.startTimeoutMs ?? 15_000);
      for (;;) {
        const running = await this.readRuntimeFile(dir);
        if (running) {
          endpoint = { linkUrl: `ws://127.0.0.1:${running.port}/link` };
          await context.saveState({ dir, pid: running.pid, port: running.port });
          return { detail: `pid ${running.pid}, port ${running.port}` };
        }
        if (exited !== null) throw new Error(`the runtime exited (${exited}): ${await this.logTail(dir)}`);
        if (context.signal.aborted) throw new Error('cancelled');
        if (Date.now() > deadline) {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          throw new Error(`the runtime did not start listening in time: ${await this.logTail(dir)}`);
        }
        await sleep(25);
      }
    });
    if (!endpoint) throw new Error('start step ended without an endpoint');
    return endpoint;
  }

  private async readRuntimeFile(dir: string) {
    try {
      const parsed = RuntimeFileSchema.safeParse(
        JSON.parse(await readFile(join(dir, 'state', 'runtime.json'), 'utf8')),
      );
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  private async logTail(dir: string): Promise<string> {
    try {
      const text = await readFile(join(dir, 'state', 'runtime.log'), 'utf8');
      return text.trim().split('\n').slice(-10).join('\n') || '(no output)';
    } catch {
      return '(no output)';
    }
  }
}
