import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { MachineSchema, type Machine } from '@remote-chat/protocol';
import { EXIT_CODES, RuntimeStartError } from '../exit-codes.js';

/** This computer's identity, in the config folder. */
export const MACHINE_FILE_NAME = 'machine.json';

/** `mc_` and 16 random base64url characters. */
export function newMachineId(): string {
  return `mc_${randomBytes(12).toString('base64url')}`;
}

/**
 * This computer's identity: `<configDir>/machine.json` = `{ "id": "mc_…", "name": hostname }`,
 * created once (mode 0600) and then only read. The id is random, not derived from the host name
 * or a network address, so a new network or a renamed computer stays the same machine; the name is
 * for people and can be edited in the file.
 */
export async function loadMachine(configDir: string): Promise<Machine> {
  const file = path.join(configDir, MACHINE_FILE_NAME);
  const existing = await readMachine(file);
  if (existing) return existing;
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const machine: Machine = { id: newMachineId(), name: hostname().slice(0, 200) || 'computer' };
  try {
    // `wx`: when two starts race, one writes and both read the same identity back.
    await writeFile(file, `${JSON.stringify(machine, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new RuntimeStartError(`cannot write ${file}: ${(error as Error).message}`, EXIT_CODES.settings);
    }
  }
  const written = await readMachine(file);
  if (!written) throw new RuntimeStartError(`cannot read back ${file}`, EXIT_CODES.settings);
  return written;
}

async function readMachine(file: string): Promise<Machine | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeStartError(`cannot read ${file}: ${(error as Error).message}`, EXIT_CODES.settings);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = MachineSchema.safeParse(json);
  if (!parsed.success) {
    // Never replaced silently: a new id would make this computer a second machine in the portal.
    throw new RuntimeStartError(
      `${file} is damaged; fix it, or delete it to register this computer as a new machine`,
      EXIT_CODES.settings,
    );
  }
  return parsed.data;
}
