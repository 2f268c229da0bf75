import type { InferenceApi, ModelInfo } from '@remote-chat/protocol';

/**
 * How an agent inside the runtime reaches a model: the runtime's keyless endpoint, which forwards
 * every call through the BFF's execution gateway. No model key is ever here.
 *
 * @example
 * const openai = new OpenAI({ baseURL: `${model.baseUrl}/v1`, apiKey: model.apiKey });
 * const anthropic = new Anthropic({ baseURL: model.baseUrl, apiKey: model.apiKey });
 */
export interface ModelAccess {
  /** http://127.0.0.1:PORT — the runtime's keyless endpoint; OpenAI clients use `${baseUrl}/v1`, Anthropic clients `baseUrl`. */
  readonly baseUrl: string;
  /** The per-runtime secret agents present as their API key (Bearer or x-api-key). Not a model key. */
  readonly apiKey: string;
  /** The models the BFF offers, latest list. */
  models(): readonly ModelInfo[];
  /**
   * The same calls in process, for the runtime's own agents: a streamed inference request goes
   * straight to the gateway channel of the link, and its stream events come back as the objects
   * the official clients would yield, without the loopback HTTP hop and the clients' second SSE
   * parse. Absent where the models are reached over HTTP only (`--own-models`).
   */
  readonly inProcess?: InProcessInference;
}

/** A streamed model call through the gateway, in process. */
export interface InProcessInference {
  /**
   * Streams `body` (a streaming request in the dialect of `api`) to the model it names. Yields each
   * stream event as the official client for `api` would (a chat completion chunk, an Anthropic
   * message stream event); rejects with a GatewayCallError.
   */
  stream(api: InferenceApi, body: Record<string, unknown>, signal: AbortSignal): AsyncIterable<unknown>;
}

/** The runtime's endpoint as its host hands it to agents: one access per thread, so usage is counted per thread. */
export interface ModelEndpointAccess extends ModelAccess {
  /** An access whose key names the thread (the endpoint counts its calls for that thread). */
  forThread(threadId: string): ModelAccess;
}

/** The environment that points OpenAI and Anthropic clients (a CLI agent a command starts) at `access`. */
export function modelEnv(access: ModelAccess): Record<string, string> {
  return {
    OPENAI_BASE_URL: `${access.baseUrl}/v1`,
    OPENAI_API_KEY: access.apiKey,
    ANTHROPIC_BASE_URL: access.baseUrl,
    ANTHROPIC_API_KEY: access.apiKey,
  };
}
