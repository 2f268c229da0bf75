import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { RUNTIME_VERSION } from './version.js';

it('reports the version in package.json', async () => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(RUNTIME_VERSION).toBe(pkg.version);
});
