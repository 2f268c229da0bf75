import { spawn } from 'node:child_process';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { z } from 'zod';
import {
  type LocalRuntimeOptions,
  cloneWorkspace,
  createRuntimeFolder,
  destroyRuntimeFolder,
  installRuntimeFile,
  newRuntimeDir,
  readRuntimeFile,
  requireRuntimeFolder,
  runtimeFolder,
  stopGracefully,
  waitUntilListening,
  writeSettingsFile,
} from './local-runtime.js';
import type {
  CloneSource,
  Provider,
  ProviderState,
  RuntimeEndpoint,
  RuntimeSettings,
  StartContext,
  StartedRuntime,
  StepContext,
  StepOutcome,
} from './provider.js';
import type { ProviderAudience } from './provider-access.js';

export interface ProcessProviderOptions extends LocalRuntimeOptions {
  /**
   * Who may use it. Its runtimes run as the BFF's own user with no sandbox, so by default only
   * the server's owner: a host site's users could otherwise read the server secret and forge tokens.
   * @default 'owner'
   */
  audience?: ProviderAudience;
}

/** What the provider keeps about a runtime (the BFF keeps it in the store). */
const StateSchema = z.object({
  dir: z.string(),
  pid: z.number().int().optional(),
  port: z.number().int().optional(),
});
type State = z.infer<typeof StateSchema>;

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

/**
 * A runtime is a `remote-chat-runtime serve` child process on this host, as the BFF's user, with
 * its own git workspace under the data directory, listening on a free loopback port. It is not a
 * sandbox: its commands can read whatever the BFF's user can. The process is detached, so it
 * outlives a BFF restart and is re-attached.
 */
export class ProcessProvider implements Provider {
  readonly id: string = 'process';
  readonly label: string = 'Local process';
  readonly kind = 'sandbox' as const;
  readonly description = 'A workspace and an agent process on the server that runs Remote Chat, without a sandbox.';
  readonly audience: ProviderAudience;

  constructor(private readonly options: ProcessProviderOptions) {
    this.audience = options.audience ?? 'owner';
  }

  async create(context: StepContext): Promise<{ state: State; detail: string }> {
    const dir = newRuntimeDir(this.options.dataDir, context.runtimeId);
    const folder = runtimeFolder(dir);
    await createRuntimeFolder(folder);
    return { state: { dir }, detail: `workspace ${folder.workspace}` };
  }

  clone(context: StepContext, state: ProviderState, source: CloneSource | null): Promise<StepOutcome> {
    return cloneWorkspace(this.#folder(state).workspace, source, context.signal);
  }

  install(_context: StepContext, state: ProviderState, runtimeFile: string): Promise<StepOutcome> {
    return installRuntimeFile(this.#folder(state), runtimeFile);
  }

  writeSettings(_context: StepContext, state: ProviderState, settings: RuntimeSettings): Promise<StepOutcome> {
    return writeSettingsFile(this.#folder(state), settings);
  }

  async probe(raw: ProviderState): Promise<RuntimeEndpoint | null> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return null;
    const running = await readRuntimeFile(runtimeFolder(state.data.dir).stateDir);
    if (!running || !(await isRuntimeProcess(running.pid, state.data.dir))) return null;
    return { linkUrl: `ws://127.0.0.1:${running.port}/link` };
  }

  async stop(raw: ProviderState): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    const { dir } = state.data;
    const running = await readRuntimeFile(runtimeFolder(dir).stateDir);
    const pid = running?.pid ?? state.data.pid;
    if (pid === undefined || !(await isRuntimeProcess(pid, dir))) return;
    await stopGracefully(pid, pid, () => isRuntimeProcess(pid, dir));
  }

  destroy(raw: ProviderState): Promise<void> {
    return destroyRuntimeFolder(raw, (state) => this.stop(state));
  }

  async start(context: StartContext, raw: ProviderState): Promise<StartedRuntime> {
    const { dir } = StateSchema.parse(raw);
    const folder = runtimeFolder(dir);
    await requireRuntimeFolder(folder);
    const logFile = join(folder.stateDir, 'runtime.log');
    await rm(join(folder.stateDir, 'runtime.json'), { force: true });
    const log = await open(logFile, 'a', 0o600);
    const child = spawn(
      process.execPath,
      [
        folder.bundle,
        'serve',
        '--workspace',
        folder.workspace,
        '--state-dir',
        folder.stateDir,
        '--settings',
        folder.settings,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
      ],
      {
        cwd: folder.workspace,
        // Its own process group and no pipes to us: it keeps running when the BFF stops.
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
        // Only what a shell needs: the BFF's own secrets (database URL, keys) stay here.
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...userEnv(dir),
          LANG: process.env.LANG ?? 'C.UTF-8',
          REMOTE_CHAT_RUNTIME_ID: context.runtimeId,
          REMOTE_CHAT_RUNTIME_TOKEN: context.token,
        },
      },
    );
    child.unref();
    await log.close();
    const running = await waitUntilListening(
      child,
      context,
      { stateDir: folder.stateDir, log: logFile },
      this.options.startTimeoutMs,
    );
    return {
      endpoint: { linkUrl: `ws://127.0.0.1:${running.port}/link` },
      state: { dir, pid: running.pid, port: running.port } satisfies State,
      detail: `pid ${running.pid}, port ${running.port}`,
    };
  }

  #folder(raw: ProviderState) {
    return runtimeFolder(StateSchema.parse(raw).dir);
  }
}

/**
 * HOME, USER, LOGNAME and SHELL of a process runtime: the BFF's user's, as the runtime runs as that
 * user (from the system's account database when the BFF's environment lacks them, as a service
 * manager's often does), so `$USER`, `~` and tools that read them work.
 */
export function userEnv(fallbackHome: string): { HOME: string; USER: string; LOGNAME: string; SHELL: string } {
  let account: { username: string; homedir: string; shell: string | null } | undefined;
  try {
    account = userInfo();
  } catch {
    // No entry for this uid (a container's arbitrary user): the environment or the fallbacks.
  }
  const user = process.env.USER || process.env.LOGNAME || account?.username || 'runtime';
  return {
    HOME: process.env.HOME || account?.homedir || fallbackHome,
    USER: user,
    LOGNAME: process.env.LOGNAME || user,
    SHELL: process.env.SHELL || account?.shell || '/bin/bash',
  };
}
