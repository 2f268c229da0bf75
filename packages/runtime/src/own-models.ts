import { z } from 'zod';
import { ModelInfoSchema } from '@remote-chat/protocol';
import { loadJsonFile } from './json-file.js';
import type { ModelAccess } from './model-endpoint/model-access.js';

/**
 * `--own-models FILE`: models this runtime calls directly, with the user's own key, instead of
 * through the BFF's execution gateway (the "unless the user opts to use their own keys").
 * One endpoint: `baseUrl` is the server's root (OpenAI clients add `/v1`), `apiKey` its key, and
 * each model's `id` is the name that server knows it by.
 */
export const OwnModelsFileSchema = z.object({
  /** The server's root URL, such as `https://api.openai.com` or `http://127.0.0.1:11434`. */
  baseUrl: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  /** The key the server takes (Bearer or x-api-key). */
  apiKey: z.string().min(1),
  models: z.array(ModelInfoSchema).min(1).max(100),
});

/** Reads an own-models file; throws a RuntimeStartError (exit code 5) that says what is wrong. */
export async function loadOwnModels(file: string): Promise<ModelAccess> {
  const { baseUrl, apiKey, models } = await loadJsonFile(file, OwnModelsFileSchema, 'own-models file');
  return { baseUrl, apiKey, models: () => models };
}
