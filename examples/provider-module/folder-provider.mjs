// A complete third-party provider, in one file: each runtime is a process on the BFF's host, in a
// folder of its own under FOLDER_PROVIDER_DIR. Load it with
//   remote-chat-bff --provider-module ./examples/provider-module/folder-provider.mjs
// It is written against the exported `Provider` interface (see `@remote-chat/bff`'s types) and
// uses nothing but Node. Like the Local process, it does not sandbox: it is for the owner only.
import { execFile, spawn } from 'node:child_process';
import { access, copyFile, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const base = process.env.FOLDER_PROVIDER_DIR || join(tmpdir(), 'remote-chat-folders');

/** The runtime's paths, from the state the BFF keeps for it (checked: it may be old or foreign). */
function paths(state) {
  if (typeof state?.dir !== 'string' || !state.dir.startsWith(base)) throw new Error('not a folder runtime');
  const { dir } = state;
  return { dir, workspace: join(dir, 'workspace'), stateDir: join(dir, 'state'), bundle: join(dir, 'runtime.js') };
}

/** runtime.json, which `remote-chat-runtime serve` writes once it listens; null before (or for a foreign state). */
async function listening(state) {
  try {
    return JSON.parse(await readFile(join(paths(state).stateDir, 'runtime.json'), 'utf8'));
  } catch {
    return null;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** @type {import('@remote-chat/bff').Provider} */
export default {
  id: 'folder',
  label: 'Folder on this host',
  kind: 'sandbox',
  description: 'An example provider: a runtime process in a folder of its own, without a sandbox.',
  audience: 'owner',

  async create({ runtimeId }) {
    const dir = join(base, runtimeId);
    await mkdir(join(dir, 'state'), { recursive: true, mode: 0o700 });
    await mkdir(join(dir, 'workspace'), { recursive: true });
    return { state: { dir }, detail: dir };
  },

  async clone({ signal }, state, source) {
    const { workspace } = paths(state);
    if (!source) {
      await run('git', ['init', '--quiet', workspace]);
      return { skipped: 'No repository: an empty git repository.' };
    }
    const branch = source.branch ? ['--branch', source.branch] : [];
    await run('git', ['clone', '--quiet', ...branch, '--', source.url, workspace], { signal });
    return { detail: source.repo };
  },

  async install(_context, state, runtimeFile) {
    await copyFile(runtimeFile, paths(state).bundle);
    return { detail: `Node ${process.version}` };
  },

  async writeSettings(_context, state, settings) {
    await writeFile(join(paths(state).dir, 'settings.json'), JSON.stringify(settings), { mode: 0o600 });
  },

  async start({ runtimeId, token, signal }, state) {
    const { dir, workspace, stateDir, bundle } = paths(state);
    // Say plainly when the folder was deleted behind the BFF's back (its error becomes the log's).
    await access(dir).catch(() => {
      throw new Error(`the runtime's folder ${dir} is gone; delete this runtime and create a new one`);
    });
    await rm(join(stateDir, 'runtime.json'), { force: true });
    const log = await open(join(stateDir, 'runtime.log'), 'a', 0o600);
    const args = [bundle, 'serve', '--workspace', workspace, '--state-dir', stateDir];
    args.push('--settings', join(dir, 'settings.json'), '--host', '127.0.0.1', '--port', '0');
    const child = spawn(process.execPath, args, {
      cwd: workspace,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      // The link token goes in the environment, never in the arguments (ps shows those).
      env: { PATH: process.env.PATH, HOME: dir, REMOTE_CHAT_RUNTIME_ID: runtimeId, REMOTE_CHAT_RUNTIME_TOKEN: token },
    });
    child.unref();
    await log.close();
    for (let waited = 0; waited < 15_000; waited += 50) {
      const running = await listening(state);
      if (running) {
        const endpoint = { linkUrl: `ws://127.0.0.1:${running.port}/link` };
        return { endpoint, state: { dir, pid: running.pid }, detail: `pid ${running.pid}` };
      }
      if (signal.aborted || child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (child.pid && alive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    throw new Error(`the runtime did not start; see ${join(stateDir, 'runtime.log')}`);
  },

  async probe(state) {
    const running = await listening(state);
    return running && alive(running.pid) ? { linkUrl: `ws://127.0.0.1:${running.port}/link` } : null;
  },

  async stop(state) {
    const running = await listening(state);
    if (!running || !alive(running.pid)) return;
    process.kill(running.pid, 'SIGTERM');
    for (let waited = 0; waited < 5000 && alive(running.pid); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (alive(running.pid)) process.kill(-running.pid, 'SIGKILL');
  },

  async destroy(state) {
    await this.stop(state);
    if (typeof state?.dir === 'string' && state.dir.startsWith(base))
      await rm(state.dir, { recursive: true, force: true });
  },
};
