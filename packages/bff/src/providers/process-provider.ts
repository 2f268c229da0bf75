import { spawn } from 'node:child_process';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type LocalRuntimeOptions,
  destroyRuntimeFolder,
  newRuntimeDir,
  prepareRuntimeFolder,
  readRuntimeFile,
  runtimeFolder,
  stopGracefully,
  waitUntilListening,
} from './local-runtime.js';
import type { ProvisionContext, Provider, RuntimeEndpoint } from './provider.js';
import type { ProviderAudience } from './provider-access.js';

export interface ProcessProviderOptions extends LocalRuntimeOptions {
  /**
   * Who may use it. Its runtimes run as the BFF's own user with no sandbox, so by default only
   * the server's owner: a host site's users could otherwise read the server secret and forge tokens.
   * @default 'owner'
   */
  audience?: ProviderAudience;
}

/** What the provider keeps about a runtime (in the store, through `saveState`). */
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
  readonly id = 'process';
  readonly label = 'Local process';
  readonly kind = 'sandbox' as const;
  readonly description = 'A workspace and an agent process on the server that runs Remote Chat, without a sandbox.';
  readonly audience: ProviderAudience;

  constructor(private readonly options: ProcessProviderOptions) {
    this.audience = options.audience ?? 'owner';
  }

  async provision(context: ProvisionContext): Promise<RuntimeEndpoint> {
    const dir = newRuntimeDir(this.options.dataDir, context.runtimeId);
    await context.saveState({ dir });
    await prepareRuntimeFolder(context, runtimeFolder(dir), this.options);
    return this.start(context, { dir });
  }

  async probe(raw: Record<string, unknown>): Promise<RuntimeEndpoint | null> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return null;
    const running = await readRuntimeFile(runtimeFolder(state.data.dir).stateDir);
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
    const running = await readRuntimeFile(runtimeFolder(dir).stateDir);
    const pid = running?.pid ?? state.data.pid;
    if (pid === undefined || !(await isRuntimeProcess(pid, dir))) return;
    await stopGracefully(pid, pid, () => isRuntimeProcess(pid, dir));
  }

  destroy(raw: Record<string, unknown>): Promise<void> {
    return destroyRuntimeFolder(raw, (state) => this.stop(state));
  }

  private async start(context: ProvisionContext, state: State): Promise<RuntimeEndpoint> {
    let endpoint: RuntimeEndpoint | undefined;
    await context.step('start', async () => {
      const { dir } = state;
      const folder = runtimeFolder(dir);
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
            HOME: process.env.HOME ?? dir,
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
      endpoint = { linkUrl: `ws://127.0.0.1:${running.port}/link` };
      await context.saveState({ dir, pid: running.pid, port: running.port });
      return { detail: `pid ${running.pid}, port ${running.port}` };
    });
    if (!endpoint) throw new Error('start step ended without an endpoint');
    return endpoint;
  }
}
