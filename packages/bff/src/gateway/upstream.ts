import Anthropic, { APIError as AnthropicApiError } from '@anthropic-ai/sdk';
import OpenAI, { APIError as OpenAiApiError } from 'openai';
import { retryAfterMs, type InferenceApi } from '@remote-chat/protocol';
import type { ModelConfig } from './gateway-config.js';
import { GatewayError } from './gateway-error.js';
import { createNodeFetch } from './node-fetch.js';
import type { UsageMeter } from './usage-meter.js';

type Json = Record<string, unknown>;

/** One call to a model's upstream. */
export interface UpstreamCall {
  model: ModelConfig;
  api: InferenceApi;
  /** The request body as the runtime's agent sent it; `model` is replaced with the upstream's name. */
  body: Json;
  signal: AbortSignal;
  /** Counts the tokens as the answer comes. */
  meter: UsageMeter;
  /** Each stream event, as its notification payload. */
  notify: (payload: unknown) => void;
}

type ChatParams = OpenAI.ChatCompletionCreateParamsNonStreaming;
type ChatStreamParams = OpenAI.ChatCompletionCreateParamsStreaming;
type ResponsesParams = OpenAI.Responses.ResponseCreateParamsNonStreaming;
type ResponsesStreamParams = OpenAI.Responses.ResponseCreateParamsStreaming;
type MessagesParams = Anthropic.MessageCreateParamsNonStreaming;
type MessagesStreamParams = Anthropic.MessageCreateParamsStreaming;

/** A whole answer: counted, and the reply payload as it is. */
async function whole(call: UpstreamCall, response: Promise<unknown>): Promise<unknown> {
  const answer = await response;
  call.meter.answer(answer);
  return answer;
}

/** A streamed answer: each event counted and sent on as `payload(event)` (unless undefined); the reply is the usage. */
async function streamed<E>(
  call: UpstreamCall,
  stream: AsyncIterable<E>,
  payload: (event: E) => unknown,
): Promise<unknown> {
  for await (const event of stream) {
    call.meter.event(event);
    const notification = payload(event);
    if (notification !== undefined) call.notify(notification);
  }
  return { usage: call.meter.usage() };
}

/** The key a server without one gets: the clients insist on some key. */
const NO_KEY = 'none';

/**
 * Calls models' upstreams with the official clients (`openai`, `@anthropic-ai/sdk`), one client
 * per model, made on first use. The clients never retry: the agent's own client at the runtime's
 * endpoint does, and a retry has one owner. Each client gets its key, base URL and nothing from
 * the BFF's environment (the SDKs would otherwise read `OPENAI_*` / `ANTHROPIC_*` variables).
 */
export class Upstreams {
  readonly #clients = new Map<string, OpenAI | Anthropic>();
  /** One for every client: their connections are kept alive and shared. */
  readonly #fetch = createNodeFetch();

  constructor(private readonly timeoutMs: number) {}

  /** Runs one call; resolves with the reply payload, rejects with a GatewayError (or an abort). */
  async call(call: UpstreamCall): Promise<unknown> {
    const body = { ...call.body, model: call.model.model };
    try {
      switch (call.api) {
        case 'openai-chat':
          return await this.#openaiChat(call, body);
        case 'openai-responses':
          return await this.#openaiResponses(call, body);
        case 'anthropic-messages':
          return await this.#anthropicMessages(call, body);
      }
    } catch (error) {
      if (call.signal.aborted || error instanceof GatewayError) throw error;
      throw upstreamError(error, call.model);
    }
  }

  async #openaiChat(call: UpstreamCall, body: Json): Promise<unknown> {
    const client = this.#openai(call.model);
    // The bodies are the agent's, passed through: the upstream validates them.
    if (body.stream !== true)
      return whole(call, client.chat.completions.create(body as unknown as ChatParams, { signal: call.signal }));
    // Usage comes only when asked for; the agent sees the usage chunk only if it asked too.
    const options = isObject(body.stream_options) ? body.stream_options : {};
    const agentWantsUsage = options.include_usage === true;
    const streamBody = { ...body, stream_options: { ...options, include_usage: true } };
    const stream = await client.chat.completions.create(streamBody as unknown as ChatStreamParams, {
      signal: call.signal,
    });
    return streamed(call, stream, (chunk) =>
      !agentWantsUsage && chunk.choices.length === 0 && chunk.usage ? undefined : chunk,
    );
  }

  async #openaiResponses(call: UpstreamCall, body: Json): Promise<unknown> {
    const client = this.#openai(call.model);
    if (body.stream !== true)
      return whole(call, client.responses.create(body as unknown as ResponsesParams, { signal: call.signal }));
    const stream = await client.responses.create(body as unknown as ResponsesStreamParams, { signal: call.signal });
    return streamed(call, stream, (event) => event);
  }

  async #anthropicMessages(call: UpstreamCall, body: Json): Promise<unknown> {
    const client = this.#anthropic(call.model);
    if (body.stream !== true)
      return whole(call, client.messages.create(body as unknown as MessagesParams, { signal: call.signal }));
    const stream = await client.messages.create(body as unknown as MessagesStreamParams, { signal: call.signal });
    return streamed(call, stream, (event) => ({ event: event.type, data: event }));
  }

  #openai(model: ModelConfig): OpenAI {
    const existing = this.#clients.get(model.id);
    if (existing instanceof OpenAI) return existing;
    const client = new OpenAI({
      apiKey: model.apiKey ?? NO_KEY,
      baseURL: model.baseUrl,
      organization: null,
      project: null,
      maxRetries: 0,
      timeout: this.timeoutMs,
      fetch: this.#fetch,
    });
    this.#clients.set(model.id, client);
    return client;
  }

  #anthropic(model: ModelConfig): Anthropic {
    const existing = this.#clients.get(model.id);
    if (existing instanceof Anthropic) return existing;
    const client = new Anthropic({
      apiKey: model.apiKey ?? NO_KEY,
      authToken: null,
      baseURL: model.baseUrl,
      maxRetries: 0,
      timeout: this.timeoutMs,
      fetch: this.#fetch,
    });
    this.#clients.set(model.id, client);
    return client;
  }
}

/** Words upstreams use when the conversation does not fit the model. */
const CONTEXT_OVERFLOW =
  /context[_ ]length|context window|maximum context|prompt is too long|input is too long|too many (input )?tokens|exceeds? the (model'?s? )?(context|maximum)/i;

/** Turns a client's error into what the runtime hears; the model's key never appears in it. */
export function upstreamError(error: unknown, model: ModelConfig): GatewayError {
  const scrub = (text: string) => (model.apiKey ? text.split(model.apiKey).join('[redacted]') : text);
  const name = `model "${model.id}"`;
  if (error instanceof OpenAI.APIConnectionTimeoutError || error instanceof Anthropic.APIConnectionTimeoutError)
    return new GatewayError('timeout', `The upstream of ${name} did not answer in time.`);
  if (error instanceof OpenAI.APIConnectionError || error instanceof Anthropic.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new GatewayError('upstream', scrub(`Cannot reach the upstream of ${name}${cause}.`));
  }
  if (!(error instanceof OpenAiApiError || error instanceof AnthropicApiError))
    return new GatewayError('upstream', scrub(`The upstream of ${name} failed: ${errorText(error)}`));
  const status = error.status;
  const detail = scrub(upstreamMessage(error));
  const code = isObject(error.error) ? error.error.code : undefined;
  if (status === 401 || status === 403)
    return new GatewayError('unauthorized', `The upstream of ${name} refused this server's key (${status}): ${detail}`);
  if (status === 429)
    return new GatewayError(
      'rate_limited',
      `The upstream of ${name} is rate-limiting (429): ${detail}`,
      retryAfterMs(error.headers),
    );
  if (
    (status === 400 || status === 413 || status === 422) &&
    (code === 'context_length_exceeded' || CONTEXT_OVERFLOW.test(detail))
  )
    return new GatewayError('context_overflow', `The conversation does not fit ${name} (${status}): ${detail}`);
  if (status === 400 || status === 422)
    return new GatewayError('bad_request', `The upstream of ${name} refused the request (${status}): ${detail}`);
  return new GatewayError(
    'upstream',
    `The upstream of ${name} answered ${status ?? 'an error in its stream'}: ${detail}`,
  );
}

/** The upstream's own words: OpenAI's `error.message`, Anthropic's `error.error.message`, else the client's. */
function upstreamMessage(error: OpenAiApiError | AnthropicApiError): string {
  const body = isObject(error.error) ? error.error : {};
  const inner = isObject(body.error) ? body.error : body;
  const message = typeof inner.message === 'string' ? inner.message : error.message;
  return message.slice(0, 2000);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
