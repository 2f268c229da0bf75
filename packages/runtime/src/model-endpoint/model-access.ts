import type { ModelInfo } from '@remote-chat/protocol';

export interface ModelAccess {
  /** http://127.0.0.1:PORT — the runtime's keyless endpoint; OpenAI clients use `${baseUrl}/v1`, Anthropic clients `baseUrl`. */
  readonly baseUrl: string;
  /** The per-runtime secret agents present as their API key (Bearer or x-api-key). Not a model key. */
  readonly apiKey: string;
  /** The models the BFF offers, latest list. */
  models(): readonly ModelInfo[];
}
