import type { InferenceApi } from '@remote-chat/protocol';
import type { GatewayCallError } from './gateway-client.js';

/** What an error looks like at the endpoint: a status, headers, and the body in the API's own shape. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

type ErrorCode = GatewayCallError['code'];

/**
 * Per gateway code: the HTTP status, OpenAI's error `type` and `code`, and Anthropic's error type,
 * as those APIs answer the same trouble themselves.
 */
const SHAPES: Record<ErrorCode, { status: number; openaiType: string; openaiCode: string; anthropicType: string }> = {
  not_allowed: {
    status: 403,
    openaiType: 'invalid_request_error',
    openaiCode: 'not_allowed',
    anthropicType: 'permission_error',
  },
  unknown_model: {
    status: 404,
    openaiType: 'invalid_request_error',
    openaiCode: 'model_not_found',
    anthropicType: 'not_found_error',
  },
  budget_exhausted: {
    status: 429,
    openaiType: 'insufficient_quota',
    openaiCode: 'insufficient_quota',
    anthropicType: 'rate_limit_error',
  },
  rate_limited: {
    status: 429,
    openaiType: 'requests',
    openaiCode: 'rate_limit_exceeded',
    anthropicType: 'rate_limit_error',
  },
  timeout: { status: 504, openaiType: 'server_error', openaiCode: 'timeout', anthropicType: 'timeout_error' },
  cancelled: { status: 499, openaiType: 'server_error', openaiCode: 'cancelled', anthropicType: 'api_error' },
  upstream: { status: 502, openaiType: 'server_error', openaiCode: 'upstream_error', anthropicType: 'api_error' },
  bad_request: {
    status: 400,
    openaiType: 'invalid_request_error',
    openaiCode: 'bad_request',
    anthropicType: 'invalid_request_error',
  },
  context_overflow: {
    status: 400,
    openaiType: 'invalid_request_error',
    openaiCode: 'context_length_exceeded',
    anthropicType: 'invalid_request_error',
  },
  unauthorized: {
    status: 401,
    openaiType: 'invalid_request_error',
    openaiCode: 'invalid_api_key',
    anthropicType: 'authentication_error',
  },
  unavailable: { status: 503, openaiType: 'server_error', openaiCode: 'unavailable', anthropicType: 'api_error' },
};

/** The API's error body for `code`: OpenAI's `{error: {message, type, param, code}}`, Anthropic's `{type: 'error', error: {type, message}}`. */
function errorBody(api: InferenceApi, code: ErrorCode, message: string): Record<string, unknown> {
  const shape = SHAPES[code];
  if (api === 'anthropic-messages') return { type: 'error', error: { type: shape.anthropicType, message } };
  return { error: { message, type: shape.openaiType, param: null, code: shape.openaiCode } };
}

/**
 * An error as the API answers it before any of the answer went out. A spent budget tells the
 * official clients not to retry (`x-should-retry: false`); a rate limit says when to (`retry-after`).
 */
export function errorAnswer(api: InferenceApi, code: ErrorCode, message: string, retryAfterMs?: number): ErrorAnswer {
  const headers: Record<string, string> = {};
  if (retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.round(retryAfterMs));
  }
  if (code === 'budget_exhausted' || code === 'cancelled') headers['x-should-retry'] = 'false';
  return { status: SHAPES[code].status, headers, body: errorBody(api, code, message) };
}

/** One upstream stream event as the API's SSE frame. */
export function sseFrame(api: InferenceApi, payload: unknown): string {
  if (api === 'openai-chat') return `data: ${JSON.stringify(payload)}\n\n`;
  if (api === 'openai-responses') {
    const type = isObject(payload) && typeof payload.type === 'string' ? payload.type : 'message';
    return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
  }
  const event = isObject(payload) && typeof payload.event === 'string' ? payload.event : 'message';
  const data = isObject(payload) ? payload.data : payload;
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** What ends a successful stream: chat completions' `[DONE]`; the others end with their last event. */
export function sseEnd(api: InferenceApi): string {
  return api === 'openai-chat' ? 'data: [DONE]\n\n' : '';
}

/** An error after the stream began, as the API's clients read it (the official clients throw on it). */
export function sseError(api: InferenceApi, code: ErrorCode, message: string): string {
  const body = errorBody(api, code, message);
  if (api === 'openai-chat') return `data: ${JSON.stringify(body)}\n\n`;
  if (api === 'openai-responses') {
    const { error } = body as { error: Record<string, unknown> };
    return `event: error\ndata: ${JSON.stringify({ type: 'error', code: error.code, message, param: null, error })}\n\n`;
  }
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
