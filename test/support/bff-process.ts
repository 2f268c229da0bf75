import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const cli = fileURLToPath(new URL('../../packages/bff/dist/cli.js', import.meta.url));

/** A BFF run as its own process by the real command, for tests that kill it. */
export interface BffProcess {
  child: ChildProcess;
  url: string;
  signinLink: string;
  /** Everything it wrote to stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or signal) once it exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Stops every runtime whose folder is under `dataDir`: a Local sandbox by its process group on the
 * host (sandbox.json; its runtime.json holds a pid of its own pid namespace), a process runtime by
 * the pid in runtime.json.
 */
export function killRuntimesIn(dataDir: string): void {
  const root = join(dataDir, 'runtimes');
  if (!existsSync(root)) return;
  for (const id of readdirSync(root)) {
    const sandbox = join(root, id, 'sandbox.json');
    try {
      if (existsSync(sandbox)) {
        process.kill(-(JSON.parse(readFileSync(sandbox, 'utf8')) as { pgid: number }).pgid, 'SIGKILL');
        continue;
      }
      const { pid } = JSON.parse(readFileSync(join(root, id, 'state', 'runtime.json'), 'utf8')) as { pid: number };
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Not running, or already gone.
    }
  }
}

/** Starts `remote-chat-bff` on a free port and waits for its sign-in line. */
export async function spawnBff(args: string[], env: Record<string, string> = {}): Promise<BffProcess> {
  const child = spawn(process.execPath, [cli, '--port', '0', '--log-level', 'info', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const dataDir = args[args.indexOf('--data-dir') + 1] ?? env.REMOTE_CHAT_DATA_DIR;
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    // Process runtimes outlive their BFF by design; a test's must not outlive the test.
    if (dataDir) killRuntimesIn(dataDir);
  });
  const lines = createInterface({ input: child.stdout! });
  let url = '';
  const signinLink = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the BFF did not start:\n${output}`)), 30_000);
    lines.on('line', (line) => {
      output += `${line}\n`;
      const running = /running at (\S+)/.exec(line);
      if (running) url = running[1]!;
      const signin = /Sign in.*: (\S+)/.exec(line);
      if (signin) {
        clearTimeout(timer);
        resolve(signin[1]!);
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`the BFF exited (${code ?? signal}):\n${output}`)));
  });
  return { child, url, signinLink, output: () => output, exited };
}
