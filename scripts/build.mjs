#!/usr/bin/env node
// Builds everything `npm start` and `npm test` need, in dependency order:
// the TypeScript packages (incremental), the runtime's one-file bundle, the browser builds, and
// the elements' custom-elements.json (the package's `customElements`, read by Storybook and IDEs).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(label, command, args, cwd = root) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: ${label} failed`);
    process.exit(result.status ?? 1);
  }
  if (process.env.REMOTE_CHAT_BUILD_VERBOSE) console.error(`build: ${label} ${Date.now() - started} ms`);
}

run('typescript', process.execPath, ['node_modules/typescript/bin/tsc', '-b']);
run('runtime bundle', process.execPath, ['packages/runtime/build.mjs']);
run('browser', process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn']);
run('custom elements manifest', 'npm', ['run', 'analyze', '--silent'], `${root}packages/chat-elements`);
