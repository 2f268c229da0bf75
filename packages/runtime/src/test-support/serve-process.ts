import { spawn, type ChildProcess } from 'node:child_process';
import { readRuntimeFile, type RuntimeFile } from '../runtime-file.js';
import { waitFor } from '../../../../test/support/wait.js';

/** A `remote-chat-runtime serve` child process, found the way the BFF finds it: by runtime.json. */
export interface ServeProcess {
  child: ChildProcess;
  info: RuntimeFile;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Kept so `killAll` can clean up whatever a test left running. */
const children: ChildProcess[] = [];

export async function startServe(options: {
  bundle: string;
  workspace: string;
  stateDir: string;
  runtimeId: string;
  token: string;
  args?: string[];
}): Promise<ServeProcess> {
  const { bundle, workspace, stateDir } = options;
  // A runtime.json left by a killed process names a dead pid; wait for this one's.
  const previous = await readRuntimeFile(stateDir);
  const child = spawn(
    process.execPath,
    [bundle, 'serve', '--workspace', workspace, '--state-dir', stateDir, ...(options.args ?? [])],
    {
      env: { ...process.env, REMOTE_CHAT_RUNTIME_ID: options.runtimeId, REMOTE_CHAT_RUNTIME_TOKEN: options.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const info = await waitFor(
    async () => {
      const current = await readRuntimeFile(stateDir);
      return current && current.pid !== previous?.pid ? current : undefined;
    },
    () => `runtime.json (stderr: ${stderr})`,
    10_000,
  );
  return { child, info, stdout: () => stdout, stderr: () => stderr, exited };
}

/** SIGKILLs every child still running; for afterEach. */
export async function killAll(): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}
