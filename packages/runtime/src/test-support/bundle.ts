import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
/** The one-file runtime that providers copy into sandboxes. */
export const BUNDLE = path.join(packageDir, 'dist/remote-chat-runtime.js');

/**
 * Makes sure the bundle exists and is newer than every source file, rebuilding it if not (the
 * build writes it atomically, so another test reading it meanwhile is safe). `npm test` builds
 * first; this keeps running one test file on its own honest.
 */
export function ensureBundle(): string {
  const built = mtime(BUNDLE);
  if (built === undefined || built < newestSource(path.join(packageDir, 'src'))) {
    const result = spawnSync(process.execPath, [path.join(packageDir, 'build.mjs')], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`building the runtime bundle failed:\n${result.stderr}`);
  }
  return BUNDLE;
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}
