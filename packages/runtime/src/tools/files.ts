import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, rename } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { formatBytes } from './text-chunks.js';
import type { OpenFolder, WorkspaceHandle, WorkspaceTarget } from './workspace-path.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW, O_NONBLOCK } = constants;

/** Whether bytes look like a binary file: a NUL in the first 8000 bytes (git's test). */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

export type ReadResult =
  | { kind: 'text'; text: string; size: number; truncated: boolean }
  | { kind: 'binary'; size: number };

/** Reads a text file opened with `openFileInWorkspace`, at most `maxBytes` of it, and closes it. */
export async function readTextFile({ handle, relative }: WorkspaceHandle, maxBytes: number): Promise<ReadResult> {
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notAFile(stats.isDirectory(), relative);
    const { size } = stats;
    const buffer = Buffer.alloc(Math.min(size, maxBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (looksBinary(bytes)) return { kind: 'binary', size };
    // A cut in the middle of a UTF-8 sequence decodes to U+FFFD; drop that partial character.
    let text = bytes.toString('utf8');
    if (size > bytesRead && text.endsWith('\uFFFD')) text = text.slice(0, -1);
    return { kind: 'text', text, size, truncated: size > bytesRead };
  } finally {
    await handle.close();
  }
}

/** One line per entry of a folder opened with `openFolderInWorkspace`, directories first with a trailing "/", sizes for files, targets for links. */
export async function listDirectory(folder: OpenFolder): Promise<string> {
  const entries = await readdir(folder.path, { withFileTypes: true });
  const lines: { sortKey: string; line: string }[] = [];
  for (const entry of entries) {
    const full = folder.at(entry.name);
    if (entry.isDirectory()) {
      lines.push({ sortKey: `0${entry.name}`, line: `${entry.name}/` });
    } else if (entry.isSymbolicLink()) {
      const target = await readlink(full).catch(() => '?');
      lines.push({ sortKey: `1${entry.name}`, line: `${entry.name} -> ${target}` });
    } else {
      const size = await lstat(full)
        .then((s) => formatBytes(s.size))
        .catch(() => '?');
      lines.push({ sortKey: `1${entry.name}`, line: `${entry.name}  ${size}` });
    }
  }
  lines.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return lines.map((l) => l.line).join('\n');
}

export interface WriteResult {
  created: boolean;
  bytes: number;
  /** Unified diff from the old content to the new; empty when nothing changed. */
  diff: string;
}

/**
 * Writes a text file at a target from `targetInWorkspace` and returns the diff of the change. The
 * content goes to a new temporary file in the same folder first and is renamed over the name, so a
 * reader never sees half a file, and a symlink swapped in at the name is replaced, not written
 * through. Does not close the target's folder.
 */
export async function writeTextFile(target: WorkspaceTarget, content: string): Promise<WriteResult> {
  const { folder, name, relative } = target;
  let existing: { mode: number; content: Buffer } | undefined;
  try {
    const handle = await open(folder.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw notAFile(stats.isDirectory(), relative);
      existing = { mode: stats.mode, content: await handle.readFile() };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temporary = `${name}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(folder.at(temporary), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, existing?.mode ?? 0o644);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  await rename(folder.at(temporary), folder.at(name));
  const bytes = Buffer.byteLength(content);
  return { created: !existing, bytes, diff: unifiedDiff(relative, existing?.content, content) };
}

/**
 * Writes one piece of an uploaded file at a target from `targetInWorkspace`. Pieces go to
 * `<name>.part`, each at its offset, and the file appears under its name (renamed) only once
 * whole, so an agent never reads half a screenshot. A piece handled again (resent after a restart
 * because its receipt was not recorded) changes nothing: it is written at the same offset, and a
 * final piece whose file is already whole is done. Does not close the target's folder.
 */
export async function writeFilePiece(
  target: WorkspaceTarget,
  piece: { offset: number; data: Buffer; final: boolean },
): Promise<void> {
  const { folder, name } = target;
  const part = folder.at(`${name}.part`);
  const end = piece.offset + piece.data.length;
  const handle = await open(part, O_WRONLY | O_NOFOLLOW | (piece.offset === 0 ? O_CREAT | O_TRUNC : 0), 0o644).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    },
  );
  if (handle === undefined) {
    // No part: either the pieces before this one never came, or this final piece was renamed into place already.
    const done = await lstat(folder.at(name)).catch(() => undefined);
    if (piece.final && done?.isFile() && done.size === end) return;
    throw new Error(`piece at ${piece.offset} does not follow the 0 bytes received`);
  }
  try {
    const { size } = await handle.stat();
    if (size < piece.offset) throw new Error(`piece at ${piece.offset} does not follow the ${size} bytes received`);
    await handle.write(piece.data, 0, piece.data.length, piece.offset);
    await handle.truncate(end);
  } finally {
    await handle.close();
  }
  if (piece.final) await rename(part, folder.at(name));
}

/** The error for a path that names something other than a regular file (a folder, a FIFO, a device). */
function notAFile(folder: boolean, displayPath: string): Error {
  if (folder) return Object.assign(new Error(`${displayPath} is a directory`), { code: 'EISDIR' });
  return new Error(`${displayPath} is not a regular file`);
}

export function unifiedDiff(displayPath: string, before: Buffer | undefined, after: string): string {
  const posixPath = displayPath.split(path.sep).join('/');
  if (before && looksBinary(before)) return `Binary files a/${posixPath} and b/${posixPath} differ\n`;
  const old = before?.toString('utf8') ?? '';
  if (before && old === after) return '';
  return createTwoFilesPatch(`a/${posixPath}`, `b/${posixPath}`, old, after, undefined, undefined, { context: 3 });
}
