// Used by the command launchers (packages/*/bin) in a checkout of this repository: a fresh clone
// has nothing built, and `npm install` builds nothing, so the first command run builds it all.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);

/** What `npm run build` makes that the commands run or serve. */
const OUTPUTS = [
  'packages/bff/dist/cli.js',
  'packages/runtime/dist/remote-chat-runtime.js',
  'packages/chat-elements/dist/remote-chat.js',
  'demo/dist/index.html',
];

/**
 * Runs `npm run build` (scripts/build.mjs) when any of its outputs is missing; exits the process
 * with the build's code if the build fails. Its output goes to stderr, so what the command prints
 * on stdout stays the command's alone.
 */
export function buildIfMissing(command) {
  const missing = OUTPUTS.find((output) => !existsSync(new URL(output, root)));
  if (missing === undefined) return;
  process.stderr.write(`${command}: ${missing} is missing; building this checkout first (once, about a minute)\n`);
  const result = spawnSync(process.execPath, [fileURLToPath(new URL('build.mjs', import.meta.url))], {
    cwd: fileURLToPath(root),
    stdio: ['ignore', 2, 2],
  });
  if (result.status !== 0) {
    process.stderr.write(`${command}: the build failed; \`npm run build\` in ${fileURLToPath(root)} shows why\n`);
    process.exit(result.status ?? 1);
  }
}
