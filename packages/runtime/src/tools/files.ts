import { mkdir, open, readdir, readFile, readlink, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { formatBytes } from './text-chunks.js';

/** Whether bytes look like a binary file: a NUL in the first 8000 bytes (git's test). */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

export type ReadResult =
  | { kind: 'text'; text: string; size: number; truncated: boolean }
  | { kind: 'binary'; size: number };

/** Reads a text file, at most `maxBytes` of it. */
export async function readTextFile(absolute: string, maxBytes: number): Promise<ReadResult> {
  const handle = await open(absolute, 'r');
  try {
    const { size } = await handle.stat();
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

/** One line per entry, directories first with a trailing "/", sizes for files, targets for links. */
export async function listDirectory(absolute: string): Promise<string> {
  const entries = await readdir(absolute, { withFileTypes: true });
  const lines: { sortKey: string; line: string }[] = [];
  for (const entry of entries) {
    const full = path.join(absolute, entry.name);
    if (entry.isDirectory()) {
      lines.push({ sortKey: `0${entry.name}`, line: `${entry.name}/` });
    } else if (entry.isSymbolicLink()) {
      const target = await readlink(full).catch(() => '?');
      lines.push({ sortKey: `1${entry.name}`, line: `${entry.name} -> ${target}` });
    } else {
      const size = await stat(full)
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
 * Writes a text file (creating its folders) and returns the diff of the change. The content goes
 * to a temporary file first and is renamed into place, so a reader never sees half a file.
 */
export async function writeTextFile(absolute: string, displayPath: string, content: string): Promise<WriteResult> {
  const existing = await stat(absolute).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(`${displayPath} is a directory`);
  const before = existing ? await readFile(absolute) : undefined;
  await mkdir(path.dirname(absolute), { recursive: true });
  const temporary = `${absolute}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, content, { mode: existing ? existing.mode : 0o644 });
  await rename(temporary, absolute);
  const bytes = Buffer.byteLength(content);
  return { created: !existing, bytes, diff: unifiedDiff(displayPath, before, content) };
}

function unifiedDiff(displayPath: string, before: Buffer | undefined, after: string): string {
  const posixPath = displayPath.split(path.sep).join('/');
  if (before && looksBinary(before)) return `Binary files a/${posixPath} and b/${posixPath} differ\n`;
  const old = before?.toString('utf8') ?? '';
  if (before && old === after) return '';
  return createTwoFilesPatch(`a/${posixPath}`, `b/${posixPath}`, old, after, undefined, undefined, { context: 3 });
}
