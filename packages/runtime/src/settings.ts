import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AgentIdSchema } from '@remote-chat/protocol';
import { EXIT_CODES, RuntimeStartError } from './exit-codes.js';

/** The runtime's settings file (`--settings FILE`, JSON). Unknown keys are ignored for forward compatibility. */
export const RuntimeSettingsSchema = z.object({
  /** The agent listed first, for messages that do not name one the runtime has. */
  agent: AgentIdSchema.default('shell'),
  /** A command is stopped after this long. */
  commandTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(24 * 60 * 60 * 1000)
    .default(600_000),
});
export type RuntimeSettings = z.infer<typeof RuntimeSettingsSchema>;

/** The settings when no file is given. */
export const DEFAULT_SETTINGS: RuntimeSettings = RuntimeSettingsSchema.parse({});

/** Reads and validates a settings file; throws a RuntimeStartError that says what is wrong. */
export async function loadSettings(file: string | undefined): Promise<RuntimeSettings> {
  if (file === undefined) return DEFAULT_SETTINGS;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RuntimeStartError(
      `cannot read the settings file ${file}: ${(error as Error).message}`,
      EXIT_CODES.settings,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RuntimeStartError(
      `the settings file ${file} is not JSON: ${(error as Error).message}`,
      EXIT_CODES.settings,
    );
  }
  const parsed = RuntimeSettingsSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new RuntimeStartError(`the settings file ${file} is invalid: ${problems}`, EXIT_CODES.settings);
  }
  return parsed.data;
}
