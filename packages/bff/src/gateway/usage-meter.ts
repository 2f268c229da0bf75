import type { InferenceApi, TokenUsage } from '@remote-chat/protocol';

/** About four characters a token: the estimate when an upstream reports no usage. */
const CHARS_PER_TOKEN = 4;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * Counts the tokens of one inference call from what the upstream says as it streams (or in its
 * answer), so a call cut short still counts what it spent. When the upstream reports nothing (some
 * OpenAI-compatible servers do not), it estimates from the request and the text that came back.
 */
export class UsageMeter {
  #input: number | undefined;
  #output: number | undefined;
  #streamedChars = 0;
  #sawAnswer = false;

  constructor(
    readonly api: InferenceApi,
    private readonly body: Json,
  ) {}

  /** Whether the call reached the upstream far enough to cost something. */
  get spent(): boolean {
    return this.#sawAnswer || this.#input !== undefined;
  }

  /** One stream event: an OpenAI chunk or responses event, or an Anthropic event object. */
  event(event: unknown): void {
    if (!isObject(event)) return;
    this.#sawAnswer = true;
    this.#streamedChars += deltaChars(this.api, event);
    switch (this.api) {
      case 'openai-chat':
        this.#openai(event.usage, 'prompt_tokens', 'completion_tokens');
        return;
      case 'openai-responses':
        if (isObject(event.response)) this.#openai(event.response.usage, 'input_tokens', 'output_tokens');
        return;
      case 'anthropic-messages': {
        const usage = event.type === 'message_start' && isObject(event.message) ? event.message.usage : event.usage;
        this.#anthropic(usage);
        return;
      }
    }
  }

  /** A whole (non-streamed) answer. */
  answer(response: unknown): void {
    if (!isObject(response)) return;
    this.#sawAnswer = true;
    this.#streamedChars += JSON.stringify(response).length;
    if (this.api === 'openai-chat') this.#openai(response.usage, 'prompt_tokens', 'completion_tokens');
    else if (this.api === 'openai-responses') this.#openai(response.usage, 'input_tokens', 'output_tokens');
    else this.#anthropic(response.usage);
  }

  /** The tokens to count: as reported, or estimated where the upstream said nothing. */
  usage(): TokenUsage {
    const estimate = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);
    return {
      inputTokens: this.#input ?? estimate(JSON.stringify(this.body.messages ?? this.body.input ?? '').length),
      outputTokens: this.#output ?? estimate(this.#streamedChars),
    };
  }

  #openai(usage: unknown, input: string, output: string): void {
    if (!isObject(usage)) return;
    if (input in usage) this.#input = count(usage[input]);
    if (output in usage) this.#output = count(usage[output]);
  }

  #anthropic(usage: unknown): void {
    if (!isObject(usage)) return;
    // Cached prompt tokens are input too; message_delta repeats the running totals.
    if ('input_tokens' in usage)
      this.#input =
        count(usage.input_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens);
    if ('output_tokens' in usage) this.#output = count(usage.output_tokens);
  }
}

/** The characters of text and tool input a stream event adds. */
function deltaChars(api: InferenceApi, event: Json): number {
  if (api === 'openai-chat') {
    let chars = 0;
    for (const choice of Array.isArray(event.choices) ? event.choices : []) {
      const delta = isObject(choice) && isObject(choice.delta) ? choice.delta : {};
      if (typeof delta.content === 'string') chars += delta.content.length;
      for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : [])
        if (isObject(call) && isObject(call.function) && typeof call.function.arguments === 'string')
          chars += call.function.arguments.length;
    }
    return chars;
  }
  if (api === 'openai-responses') return typeof event.delta === 'string' ? event.delta.length : 0;
  const delta = isObject(event.delta) ? event.delta : {};
  const text =
    typeof delta.text === 'string' ? delta.text : typeof delta.partial_json === 'string' ? delta.partial_json : '';
  return text.length;
}
