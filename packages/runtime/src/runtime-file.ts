import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** `<state-dir>/runtime.json`: how a supervisor (the BFF) finds a running runtime. */
export const RuntimeFileSchema = z.object({
  /** The process id, as seen from the runtime's own pid namespace (in a sandbox, not the host's). */
  pid: z.number().int().positive(),
  /** The TCP port and address it listens on, or 0 and '' when it listens on a Unix socket. */
  port: z.number().int().min(0).max(65535),
  host: z.string(),
  /** The Unix socket it listens on instead of a port (`serve --socket`), as the runtime sees it. */
  socket: z.string().optional(),
  /** ISO-8601. */
  startedAt: z.string(),
  version: z.string(),
});
export type RuntimeFile = z.infer<typeof RuntimeFileSchema>;

export const RUNTIME_FILE_NAME = 'runtime.json';

/** Writes runtime.json atomically (a temporary file renamed into place): readers never see half of it. */
export async function writeRuntimeFile(stateDir: string, info: RuntimeFile): Promise<string> {
  const target = path.join(stateDir, RUNTIME_FILE_NAME);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, target);
  return target;
}

/** Reads runtime.json; undefined when it is missing or not (yet) valid. */
export async function readRuntimeFile(stateDir: string): Promise<RuntimeFile | undefined> {
  const text = await readFile(path.join(stateDir, RUNTIME_FILE_NAME), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = RuntimeFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Removes runtime.json if it still describes process `pid` (a newer runtime may have replaced it). */
export async function removeRuntimeFile(stateDir: string, pid: number): Promise<void> {
  const current = await readRuntimeFile(stateDir);
  if (current && current.pid !== pid) return;
  await rm(path.join(stateDir, RUNTIME_FILE_NAME), { force: true });
}
