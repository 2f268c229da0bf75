import { execFile } from 'node:child_process';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readTextFile } from './files.js';
import { openFileInWorkspace, openFolderInWorkspace } from './workspace-path.js';

// Listing and searching the workspace's files in plain Node, so they work wherever the runtime
// does (no ripgrep, no particular grep). In a git work tree the files are the ones git lists
// (tracked and untracked, without what .gitignore ignores: no node_modules); elsewhere a walk
// that skips `.git` and `node_modules`. Every file is read through the workspace's confined open,
// so a symlink cannot lead a search outside it.

/** Folders a walk outside git never enters. */
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules']);

export interface FileListing {
  /** Paths relative to the workspace, `/`-separated, sorted. */
  files: string[];
  /** More files than `maxFiles` were there; `files` is cut. */
  truncated: boolean;
}

/**
 * The files under `folder` (relative to the workspace; refused if it leads outside) whose path
 * relative to the workspace matches `pattern` (a glob, see `globToRegExp`; all files without one).
 */
export async function listFiles(
  workspace: string,
  options: { folder?: string; pattern?: string; maxFiles?: number; signal?: AbortSignal },
): Promise<FileListing> {
  const { folder, relative } = await openFolderInWorkspace(workspace, options.folder ?? '.');
  await folder.close();
  const base = relative === '.' ? '' : `${relative.split(path.sep).join('/')}/`;
  const all = (await gitFiles(workspace, base, options.signal)) ?? (await walkFiles(workspace, base, options.signal));
  const match = options.pattern ? globToRegExp(options.pattern) : undefined;
  // A pattern is matched against the path below the folder searched, like a shell glob run there.
  const wanted = all.filter((file) => !match || match.test(file.slice(base.length)));
  wanted.sort();
  const maxFiles = options.maxFiles ?? 20_000;
  return { files: wanted.slice(0, maxFiles), truncated: wanted.length > maxFiles };
}

export interface SearchMatch {
  file: string;
  line: number;
  text: string;
}

export interface SearchResult {
  matches: SearchMatch[];
  /** More matches than `maxMatches` were there. */
  truncated: boolean;
  filesSearched: number;
}

/**
 * Lines matching `regex` in the workspace's text files under `folder` (matching `pattern`, a
 * glob, if given). Binary files and files over `maxFileBytes` are skipped.
 */
export async function searchFiles(
  workspace: string,
  regex: RegExp,
  options: {
    folder?: string;
    pattern?: string;
    maxMatches?: number;
    maxFileBytes?: number;
    maxLineChars?: number;
    signal?: AbortSignal;
  },
): Promise<SearchResult> {
  const { files } = await listFiles(workspace, options);
  const maxMatches = options.maxMatches ?? 200;
  const maxLineChars = options.maxLineChars ?? 300;
  const matches: SearchMatch[] = [];
  let filesSearched = 0;
  for (const file of files) {
    options.signal?.throwIfAborted();
    const text = await readSmallText(workspace, file, options.maxFileBytes ?? 1024 * 1024);
    if (text === undefined) continue;
    filesSearched++;
    const lines = text.split('\n');
    for (const [index, line] of lines.entries()) {
      regex.lastIndex = 0;
      if (!regex.test(line)) continue;
      if (matches.length === maxMatches) return { matches, truncated: true, filesSearched };
      const shown = line.length > maxLineChars ? `${line.slice(0, maxLineChars)}…` : line;
      matches.push({ file, line: index + 1, text: shown.replace(/\r$/, '') });
    }
  }
  return { matches, truncated: false, filesSearched };
}

/**
 * A glob as a RegExp over `/`-separated relative paths: `*` within a name, `**` across folders,
 * `?` one character, `{a,b}` alternatives, `[abc]` a class. A glob without a `/` matches a name
 * at any depth (`*.ts` is every TypeScript file), as in .gitignore.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        source += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else source += '[^/]*';
    } else if (char === '?') source += '[^/]';
    else if (char === '{') {
      braces++;
      source += '(?:';
    } else if (char === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (char === ',' && braces > 0) source += '|';
    else if (char === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) source += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replaceAll('\\', '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else source += char.replace(/[.+^$()|\\/]/g, '\\$&');
  }
  source += ')'.repeat(braces);
  const anywhere = !glob.replace(/^\.\//, '').includes('/');
  return new RegExp(`^${anywhere ? '(?:.*/)?' : ''}${source}$`);
}

/** The files git lists under `base` (tracked and untracked, ignored ones left out), or undefined outside a work tree. */
function gitFiles(workspace: string, base: string, signal: AbortSignal | undefined): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard', '--deduplicate', '-z', '--', base || '.'],
      { cwd: workspace, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...(signal ? { signal } : {}) },
      (error, stdout) => resolve(error ? undefined : stdout.split('\0').filter(Boolean)),
    );
  });
}

/** Every file under `base`, by walking folders (symlinked folders are not entered). */
async function walkFiles(workspace: string, base: string, signal: AbortSignal | undefined): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    signal?.throwIfAborted();
    const { folder } = await openFolderInWorkspace(workspace, relative || '.');
    let entries: Dirent[];
    try {
      entries = await readdir(folder.path, { withFileTypes: true });
    } finally {
      await folder.close();
    }
    for (const entry of entries) {
      const child = `${relative}${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) await walk(`${child}/`);
      } else found.push(child);
    }
  };
  await walk(base);
  return found;
}

/** A text file's content, or undefined if it is binary, too large, or cannot be read. */
async function readSmallText(workspace: string, file: string, maxBytes: number): Promise<string | undefined> {
  try {
    const target = await openFileInWorkspace(workspace, file);
    const result = await readTextFile(target, maxBytes);
    return result.kind === 'text' && !result.truncated ? result.text : undefined;
  } catch {
    // Deleted since git listed it, a broken symlink, one leading outside the workspace: not searched.
    return undefined;
  }
}
