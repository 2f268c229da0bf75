import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { tempDir } from './support/temp-dir.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * What `git clone` of this checkout holds: every file git tracks or would track (uncommitted edits
 * included, so the code under test is what is checked) and nothing it ignores: no dist/, no
 * node_modules/.
 */
function copyCheckout(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root })
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    const from = join(root, file);
    if (!existsSync(from)) continue; // deleted, not committed yet
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(from, join(to, file), { verbatimSymlinks: true });
  }
}

/**
 * `npm install` in the copy, offline. A real install would build better-sqlite3 from source for
 * minutes, so node_modules starts as a hard-linked copy of this checkout's (seconds; a plain copy
 * where hard links cannot cross file systems) without the bin links this checkout's install made;
 * `npm install --ignore-scripts` then links the workspaces' bins exactly as a fresh install does,
 * and builds nothing. Files npm or Vite rewrite in place are unlinked first, so nothing writes
 * through a hard link into this checkout.
 */
async function install(dir: string): Promise<void> {
  const modules = join(dir, 'node_modules');
  try {
    execFileSync('cp', ['-al', join(root, 'node_modules'), modules], { stdio: 'ignore' });
  } catch {
    rmSync(modules, { recursive: true, force: true });
    execFileSync('cp', ['-a', join(root, 'node_modules'), modules]);
  }
  for (const file of ['.bin/remote-chat-bff', '.bin/remote-chat-runtime', '.package-lock.json', '.vite', '.vite-temp'])
    rmSync(join(modules, file), { recursive: true, force: true });
  await run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: cleanEnv(),
  });
}

/**
 * The environment of someone at a terminal: no npm_* variables and no node_modules/.bin on PATH
 * from the `npm test` running this, and npm offline, so a command npx cannot find locally fails at
 * once instead of being fetched from the public registry.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
  env.PATH = (env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.includes(`${sep}node_modules${sep}.bin`))
    .join(delimiter);
  return { ...env, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
}

it('runs the commands the README names right after npm install in a fresh clone, without the network', async () => {
  const dir = tempDir('rc-fresh-');
  copyCheckout(dir);
  await install(dir);
  const npx = (...args: string[]) => run('npx', args, { cwd: dir, env: cleanEnv(), timeout: 240_000 });

  // The first command finds nothing built and builds the checkout.
  const help = await npx('remote-chat-bff', '--help');
  for (const text of ['--port', 'env: REMOTE_CHAT_PORT', 'signin-link']) expect(help.stdout).toContain(text);
  expect((await npx('remote-chat-bff', 'signin-link', '--help')).stdout).toContain('--url');
  expect((await npx('remote-chat-runtime', '--help')).stdout).toContain('connect');

  const version = (pkg: string) =>
    (JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  expect((await npx('remote-chat-bff', '--version')).stdout.trim()).toBe(version('bff'));
  expect((await npx('remote-chat-runtime', '--version')).stdout.trim()).toBe(version('runtime'));

  // The benchmarks say what they run without running anything.
  const bench = await run('npm', ['run', 'bench', '--', '--help'], { cwd: dir, env: cleanEnv(), timeout: 60_000 });
  for (const text of ['Scenarios:', 'peers', '--only']) expect(bench.stdout).toContain(text);

  // What the README and the used-link page tell people to run for a new sign-in link.
  const link = await npx('remote-chat-bff', 'signin-link', '--data-dir', join(dir, 'data'));
  expect(link.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:8787\/auth\/signin\?token=\S+$/);
}, 300_000);
