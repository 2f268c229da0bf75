import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/temp-dir.js';
import { globToRegExp, listFiles, searchFiles } from './file-search.js';

describe('globs', () => {
  it.each([
    ['*.ts', 'a.ts', true],
    ['*.ts', 'src/deep/a.ts', true],
    ['*.ts', 'a.tsx', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/x/a.ts', false],
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['**/test/*', 'a/test/b', true],
    ['*.{js,ts}', 'x/a.js', true],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file10.txt', false],
    ['[ab].md', 'b.md', true],
    ['[!ab].md', 'b.md', false],
    ['a+b.(c)', 'a+b.(c)', true],
  ])('%s against %s: %s', (glob, file, matches) => {
    expect(globToRegExp(glob).test(file)).toBe(matches);
  });
});

describe('listing and searching the workspace', () => {
  function workspace(git: boolean): string {
    const dir = tempDir('rc-search-');
    if (git) spawnSync('git', ['init', '-q'], { cwd: dir });
    mkdirSync(path.join(dir, 'src/lib'), { recursive: true });
    mkdirSync(path.join(dir, 'node_modules/x'), { recursive: true });
    writeFileSync(path.join(dir, '.gitignore'), 'build/\n');
    mkdirSync(path.join(dir, 'build'));
    writeFileSync(path.join(dir, 'build/out.js'), 'needle\n');
    writeFileSync(path.join(dir, 'src/a.js'), 'one\nneedle here\n');
    writeFileSync(path.join(dir, 'src/lib/b.js'), 'NEEDLE\n');
    writeFileSync(path.join(dir, 'src/bin.dat'), Buffer.from([0, 1, 2, 110, 101, 101, 100, 108, 101]));
    writeFileSync(path.join(dir, 'node_modules/x/i.js'), 'needle\n');
    return dir;
  }

  it('lists what git lists (no ignored files) in a repository, and walks past node_modules elsewhere', async () => {
    const inGit = await listFiles(workspace(true), { pattern: '*.js' });
    expect(inGit.files).toEqual(['node_modules/x/i.js', 'src/a.js', 'src/lib/b.js']);
    const plain = await listFiles(workspace(false), { pattern: '*.js' });
    expect(plain.files).toEqual(['build/out.js', 'src/a.js', 'src/lib/b.js']);
  });

  it('lists under a folder, matching the pattern below it', async () => {
    const { files } = await listFiles(workspace(true), { folder: 'src', pattern: 'lib/*' });
    expect(files).toEqual(['src/lib/b.js']);
  });

  it('finds matching lines in text files, skipping binary ones', async () => {
    const dir = workspace(true);
    const result = await searchFiles(dir, /needle/i, { folder: 'src' });
    expect(result.matches).toEqual([
      { file: 'src/a.js', line: 2, text: 'needle here' },
      { file: 'src/lib/b.js', line: 1, text: 'NEEDLE' },
    ]);
    const limited = await searchFiles(dir, /needle/i, { folder: 'src', maxMatches: 1 });
    expect(limited).toMatchObject({ truncated: true, matches: [{ file: 'src/a.js' }] });
  });
});
