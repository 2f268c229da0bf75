import type { ErrorCode } from '@remote-chat/protocol';

/**
 * An error the BFF answered the client with: the `{ error: { code, message } }` body of a REST
 * response, or a status the BFF (or a proxy in front of it) returned without one. (The BFF's own
 * error class, which makes those bodies, is `RemoteChatError` in `@remote-chat/bff`.)
 */
export class ChatClientError extends Error {
  override readonly name = 'ChatClientError';
  /** The wire error code, from the protocol's `ERROR_CODES`. */
  readonly code: ErrorCode;
  /** The HTTP status of the response. */
  readonly status: number;
  /** Details the BFF attached, such as the fields that failed validation. */
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, status: number, data?: unknown) {
    super(message);
    this.code = code;
    this.status = status;
    this.data = data;
  }

  /** Whether sending the same request again may succeed. */
  get retryable(): boolean {
    return this.status >= 500 || this.code === 'rate_limited';
  }
}

/**
 * The name {@link ChatClientError} had before it was renamed, so as not to share one with the
 * BFF's error class; pages that import it keep working.
 * @deprecated Use `ChatClientError`.
 */
export const RemoteChatError = ChatClientError;
/** @deprecated Use `ChatClientError`. */
export type RemoteChatError = ChatClientError;

/** Why a request never produced an answer from the BFF. Local: it never crosses the wire. */
export const TRANSPORT_FAILURES = ['network', 'bad-response'] as const;
export type TransportFailure = (typeof TRANSPORT_FAILURES)[number];

/**
 * A request that failed before or after the BFF could answer: the network failed (`network`), or
 * the answer was not what the protocol says it should be (`bad-response`).
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly failure: TransportFailure;

  constructor(failure: TransportFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.failure = failure;
  }

  /** A network failure may pass; a malformed answer will not. */
  get retryable(): boolean {
    return this.failure === 'network';
  }
}

/**
 * Why the client has no token the BFF accepts. Local: it never crosses the wire.
 * - `refresh-failed`: the host page's token provider threw, or returned no token.
 * - `refused`: the BFF refused the token, even a freshly refreshed one (or a fixed one).
 */
export const TOKEN_FAILURES = ['refresh-failed', 'refused'] as const;
export type TokenFailure = (typeof TOKEN_FAILURES)[number];

/** The host page's token provider failed; the request was not sent. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly failure: TokenFailure;

  constructor(failure: TokenFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.failure = failure;
  }
}

/** Whether an error is worth retrying with the same request. */
export function isRetryable(error: unknown): boolean {
  return (error instanceof ChatClientError || error instanceof TransportError) && error.retryable;
}

/** A sentence for a person, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
