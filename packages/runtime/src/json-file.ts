import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { EXIT_CODES, RuntimeStartError } from './exit-codes.js';

/**
 * Reads and validates a JSON file given on the command line (`what` names it in errors); throws a
 * RuntimeStartError (exit code `settings`) that says what is wrong.
 */
export async function loadJsonFile<T>(file: string, schema: z.ZodType<T>, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RuntimeStartError(`cannot read the ${what} ${file}: ${(error as Error).message}`, EXIT_CODES.settings);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RuntimeStartError(`the ${what} ${file} is not JSON: ${(error as Error).message}`, EXIT_CODES.settings);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new RuntimeStartError(`the ${what} ${file} is invalid: ${problems}`, EXIT_CODES.settings);
  }
  return parsed.data;
}
