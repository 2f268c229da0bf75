import { ErrorBodySchema, type ErrorCode } from '@remote-chat/protocol';
import { ChatClientError, TransportError } from './errors.js';
import type { TokenSession } from './token-session.js';

/** Options every request takes. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** A request's options, its body (JSON, or a `Blob` sent as it is) and headers of its own. */
export type RequestInput = RequestOptions & { body?: unknown; headers?: Record<string, string> };

/** The part of a zod schema the client uses; keeps zod itself out of this package's dependencies. */
export interface Schema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: unknown };
}

/**
 * Sends one REST request to the BFF and turns the answer into a value or an error. It signs the
 * request with the session's token (or, without one, the cookie), renews a refused token once and
 * sends the request again with it, maps an error answer to a `ChatClientError` and a BFF it could
 * not reach, or an answer that does not fit the protocol, to a `TransportError`. It never retries
 * anything else: whoever calls it decides whether a failure is worth another try.
 */
export class RestTransport {
  constructor(
    /** The BFF's API base URL, without a trailing slash: `https://chat.example.com/api`. */
    readonly apiBase: string,
    private readonly fetchFn: typeof fetch,
    private readonly tokens: TokenSession,
  ) {}

  request<T>(method: string, path: string, schema: Schema<T>, options?: RequestInput): Promise<T>;
  request(method: string, path: string, schema: null, options?: RequestInput): Promise<void>;
  async request(
    method: string,
    path: string,
    schema: Schema<unknown> | null,
    options: RequestInput = {},
  ): Promise<unknown> {
    let sent = await this.tokens.current();
    let response = await this.send(method, path, options, sent?.token);
    if (response.status === 401 && sent) {
      // Expired or revoked: one fresh token, one more try. Sending a write again is safe here,
      // because the BFF refuses a request before it does anything with it.
      const fresh = await this.tokens.renew(sent);
      if (fresh) {
        await response.body?.cancel();
        sent = fresh;
        response = await this.send(method, path, options, sent.token);
      }
      if (response.status === 401) {
        this.tokens.lapse('refused', 'The chat server refused the sign-in token this page gave it.', response.status);
      }
    }
    // `/config` answers even a refused token; `getConfig` judges that one.
    if (response.ok && sent && path !== '/config') this.tokens.accepted(sent);
    const text = await response.text();
    let json: unknown;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!response.ok) throw answerError(response, json);
    if (!schema) return undefined;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new TransportError('bad-response', `The chat server sent an unexpected answer to ${method} ${path}.`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  private async send(
    method: string,
    path: string,
    options: RequestInput,
    token: string | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers, accept: 'application/json' };
    const blob = options.body instanceof Blob ? options.body : undefined;
    if (options.body !== undefined)
      headers['content-type'] = blob ? blob.type || 'application/octet-stream' : 'application/json';
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    // A token is the only credential that crosses origins: the BFF allows no cookies there.
    const init: RequestInit = { method, credentials: token === undefined ? 'include' : 'omit', headers };
    if (options.body !== undefined) init.body = blob ?? JSON.stringify(options.body);
    if (options.signal) init.signal = options.signal;
    try {
      return await this.fetchFn(this.apiBase + path, init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new TransportError('network', `Could not reach the chat server (${method} ${path}).`, { cause: error });
    }
  }
}

/** The error an answer that is not OK stands for: its error body, or else its status. */
function answerError(response: Response, json: unknown): ChatClientError {
  const body = ErrorBodySchema.safeParse(json);
  if (body.success)
    return new ChatClientError(body.data.error.code, body.data.error.message, response.status, body.data.error.data);
  const statusText = response.statusText ? ` ${response.statusText}` : '';
  return new ChatClientError(
    codeForStatus(response.status),
    `The chat server answered ${response.status}${statusText}.`,
    response.status,
  );
}

/** The wire code that best describes an HTTP status that came without an error body. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    case 502:
    case 503:
    case 504:
      return 'runtime_unavailable';
    default:
      return status >= 500 ? 'internal' : 'bad_request';
  }
}
