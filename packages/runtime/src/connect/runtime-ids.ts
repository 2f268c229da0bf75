import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { IdSchema } from '@remote-chat/protocol';
import { EXIT_CODES, RuntimeStartError } from '../exit-codes.js';

/** The folder `connect` keeps inside each connected project folder. */
export const FOLDER_DATA_DIR = '.remote-chat';
/** In FOLDER_DATA_DIR: the runtime id of this folder at each BFF. */
export const RUNTIME_IDS_FILE_NAME = 'runtime-ids.json';

/** `runtime-ids.json`: the BFF (origin plus any path prefix) → this folder's runtime id there. */
const RuntimeIdsSchema = z.record(z.string(), IdSchema);

/** `rt_` and 16 random base64url characters. */
export function newRuntimeId(): string {
  return `rt_${randomBytes(12).toString('base64url')}`;
}

/**
 * The folder's runtime id at the BFF `bffKey`, made on first use and the same on every start
 * after. Also makes `<folder>/.remote-chat/` with a `.gitignore` of `*`, so none of it is committed.
 */
export async function folderRuntimeId(folder: string, bffKey: string): Promise<string> {
  const dir = await ensureFolderDataDir(folder);
  const file = path.join(dir, RUNTIME_IDS_FILE_NAME);
  const ids = await readIds(file);
  const known = ids[bffKey];
  if (known) return known;
  const id = newRuntimeId();
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ ...ids, [bffKey]: id }, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, file);
  return id;
}

/** Where a folder's runtime keeps its durable link state (outbox, turn journal): one folder per runtime id. */
export function folderStateDir(folder: string, runtimeId: string): string {
  return path.join(folder, FOLDER_DATA_DIR, 'state', runtimeId);
}

async function ensureFolderDataDir(folder: string): Promise<string> {
  const dir = path.join(folder, FOLDER_DATA_DIR);
  try {
    await mkdir(dir, { recursive: true });
    // `*` ignores everything in it, the .gitignore included.
    await writeFile(path.join(dir, '.gitignore'), '*\n', { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw new RuntimeStartError(`cannot write ${dir}: ${(error as Error).message}`, EXIT_CODES.workspace);
  }
  return dir;
}

async function readIds(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new RuntimeStartError(`cannot read ${file}: ${(error as Error).message}`, EXIT_CODES.workspace);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = RuntimeIdsSchema.safeParse(json);
  if (!parsed.success) {
    // Never replaced silently: new ids would show this folder as new runtimes.
    throw new RuntimeStartError(
      `${file} is damaged; fix it, or delete it to register this folder as a new runtime`,
      EXIT_CODES.workspace,
    );
  }
  return parsed.data;
}
