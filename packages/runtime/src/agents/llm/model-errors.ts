import { GATEWAY_ERROR_CODES, retryAfterMs, type ModelInfo } from '@remote-chat/protocol';
import { errorAnswer } from '../../model-endpoint/api-shapes.js';
import { GatewayCallError } from '../../model-endpoint/gateway-client.js';
import { formatSeconds } from '../../tools/terminal.js';
import { truncateText } from '../../tools/text-chunks.js';

/**
 * Why a model call failed, as the llm agent tells it: the upstream's answers (a refused key, a
 * rate limit, a conversation too long, a server down) and the BFF gateway's refusals (a spent
 * budget, an unknown model, …) alike.
 */
export const MODEL_FAILURES = [
  'aborted',
  'unauthorized',
  'rate_limited',
  'context_overflow',
  'unavailable',
  'budget_exhausted',
  'unknown_model',
  'not_allowed',
  'timeout',
  'bad_request',
  'other',
] as const;
export type ModelFailure = (typeof MODEL_FAILURES)[number];

/** A failed model call. Local: it never crosses the wire; the chat gets `describeModelError`'s sentence. */
export class ModelCallError extends Error {
  override readonly name = 'ModelCallError';
  constructor(
    readonly failure: ModelFailure,
    /** What the server or the client said. */
    readonly detail: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(`${failure}: ${detail}`);
  }
}

const GATEWAY_CODES = new Set<string>(GATEWAY_ERROR_CODES);

/** The error classes both official clients export (as static members of the client class). */
export interface ClientErrors {
  APIError: abstract new (
    ...args: never[]
  ) => Error & { status: unknown; headers: Headers | undefined; error: unknown };
  APIUserAbortError: abstract new (...args: never[]) => Error;
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
}

/** The ModelCallError for what an official client (whose error classes are `errors`) threw; `aborted` if `signal` was. */
export function modelErrorOf(error: unknown, signal: AbortSignal, errors: ClientErrors): ModelCallError {
  if (error instanceof ModelCallError) return error;
  if (signal.aborted || error instanceof errors.APIUserAbortError) return new ModelCallError('aborted', 'stopped');
  // The in-process route (ModelAccess.inProcess) fails with the gateway's own code.
  if (error instanceof GatewayCallError) {
    const failure = error.code === 'unavailable' ? 'unavailable' : failureOf(undefined, error.code, error.message);
    // The status the endpoint would have answered over HTTP, so the chat says the same either way.
    const { status } = errorAnswer('openai-chat', error.code, error.message);
    return new ModelCallError(failure, error.message, status, error.retryAfterMs);
  }
  if (error instanceof errors.APIConnectionTimeoutError) {
    return new ModelCallError('timeout', 'the model did not answer in time');
  }
  if (error instanceof errors.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new ModelCallError('unavailable', `${error.message}${cause}`);
  }
  if (error instanceof errors.APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const { code, message } = errorBodyOf(error.error);
    return new ModelCallError(
      failureOf(status, code, message),
      message || error.message,
      status,
      retryAfterMs(error.headers),
    );
  }
  return new ModelCallError('other', error instanceof Error ? error.message : String(error));
}

/**
 * The code and message of an error body in either API's shape: OpenAI's `{message, type, code}`
 * (the client hands over the inner object) or Anthropic's `{type: 'error', error: {type, message}}`.
 */
function errorBodyOf(body: unknown): { code: string | undefined; message: string } {
  const outer = isRecord(body) ? body : {};
  const inner = isRecord(outer.error) ? outer.error : outer;
  const code = [inner.code, inner.type].find((value): value is string => typeof value === 'string');
  return { code, message: typeof inner.message === 'string' ? inner.message : '' };
}

function failureOf(status: number | undefined, code: string | undefined, message: string): ModelFailure {
  // The BFF gateway's own codes say it best.
  if (code && GATEWAY_CODES.has(code)) {
    if (code === 'upstream') return 'unavailable';
    if (code === 'cancelled') return 'aborted';
    return code as ModelFailure;
  }
  if (code === 'context_length_exceeded' || status === 413 || (status === 400 && overflowText(message))) {
    return 'context_overflow';
  }
  if (status === 401 || code === 'authentication_error' || code === 'invalid_api_key') return 'unauthorized';
  if (status === 429) return 'rate_limited';
  if (status === 404 && /model/i.test(message)) return 'unknown_model';
  if (status === 408 || status === 504) return 'timeout';
  if (status !== undefined && status >= 500) return 'unavailable';
  if (status === 400 || status === 422) return 'bad_request';
  return 'other';
}

/** The wordings of context overflow of the APIs and servers we know (OpenAI, Anthropic, vLLM, llama.cpp). */
function overflowText(message: string): boolean {
  return /context (length|window)|maximum context|prompt is too long|too many tokens|exceeds the (context|available context)/i.test(
    message,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The sentence the chat shows for a failed call to `model`: what happened and what to do. */
export function describeModelError(error: ModelCallError, model: ModelInfo): string {
  const name = `**${model.label}**`;
  const said = error.detail ? ` (${truncateText(error.detail.replace(/\s+/g, ' '), 600)})` : '';
  const status = error.status !== undefined ? ` ${error.status}` : '';
  switch (error.failure) {
    case 'aborted':
      return 'Stopped.';
    case 'unauthorized':
      return `The model provider refused the API key for ${name}${status ? ` (HTTP${status})` : ''}. Whoever runs this Remote Chat server needs to check that model's key.${said}`;
    case 'rate_limited': {
      const wait =
        error.retryAfterMs !== undefined
          ? ` Try again in ${formatSeconds(Math.ceil(error.retryAfterMs / 1000) * 1000)}.`
          : ' Try again in a moment.';
      return `${name} is rate limited right now.${wait}${said}`;
    }
    case 'context_overflow':
      return `This conversation no longer fits in ${name}'s context window, even with the older turns summarised. Start a new thread, or ask for a smaller step.${said}`;
    case 'unavailable':
      return `${name} could not be reached or failed${status ? ` (HTTP${status})` : ''}. Try again in a moment.${said}`;
    case 'budget_exhausted':
      return `The model budget is spent for today, so ${name} cannot answer.${said}`;
    case 'unknown_model':
      return `${name} is not a model this server offers any more.${said}`;
    case 'not_allowed':
      return `This server does not let this runtime call models.${said}`;
    case 'timeout':
      return `${name} took too long to answer. Try again, or ask for a smaller step.${said}`;
    case 'bad_request':
      return `${name} refused the request${status ? ` (HTTP${status})` : ''}.${said}`;
    case 'other':
      return `Calling ${name} failed.${said}`;
  }
}
