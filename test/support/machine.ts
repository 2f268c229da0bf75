import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const runtimeCli = fileURLToPath(new URL('../../packages/runtime/dist/remote-chat-runtime.js', import.meta.url));

export { freePort } from './free-port.mjs';

/** A project folder: a git repository with an origin remote. */
export function project(root: string, name: string, remote: string): string {
  const folder = join(root, name);
  mkdirSync(folder, { recursive: true });
  execFileSync('git', ['init', '-q', folder]);
  execFileSync('git', ['-C', folder, 'remote', 'add', 'origin', remote]);
  return folder;
}

/** `remote-chat-runtime connect` run as the user would, with its own config folder; stopped after the test. */
export function startConnect(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [runtimeCli, 'connect', '--poll-interval', '200', ...args], {
    env: { PATH: process.env.PATH!, HOME: env.HOME!, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  return { child, exited, output: () => output };
}
