import { execFile } from 'node:child_process';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The repository's top-relative folder of the workspace and its `info/exclude` file, or undefined outside git. */
function gitPaths(workspace: string): Promise<{ prefix: string; excludeFile: string } | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['rev-parse', '--show-prefix', '--git-path', 'info/exclude'],
      { cwd: workspace, timeout: 5_000 },
      (error, stdout) => {
        const [prefix, excludeFile] = stdout.split('\n');
        if (error || excludeFile === undefined || !excludeFile) return resolve(undefined);
        resolve({ prefix: prefix ?? '', excludeFile: path.resolve(workspace, excludeFile) });
      },
    );
  });
}

/**
 * Keeps a folder of the workspace that Remote Chat writes (`uploads`) out of the user's `git
 * status`: adds `/<folder>/` (from the repository's top) to the repository's own
 * `.git/info/exclude`, which is never committed, once. The user's `.gitignore` is not touched. A
 * workspace outside git, or no git, is left alone.
 */
export async function excludeFromGit(workspace: string, folder: string): Promise<void> {
  const paths = await gitPaths(workspace);
  if (!paths) return;
  const pattern = `/${paths.prefix}${folder}/`;
  const text = await readFile(paths.excludeFile, 'utf8').catch(() => '');
  if (text.split('\n').some((line) => line.trim() === pattern)) return;
  await mkdir(path.dirname(paths.excludeFile), { recursive: true });
  const lead = text && !text.endsWith('\n') ? '\n' : '';
  await appendFile(paths.excludeFile, `${lead}# Files pasted into Remote Chat\n${pattern}\n`);
}
