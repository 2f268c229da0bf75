import type { ErrorCode } from '@remote-chat/protocol';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  runtime_unavailable: 503,
  internal: 500,
  // Not 401: that is this BFF's own session (a client refreshes its token on it).
  github_unauthorized: 403,
  github_rate_limited: 429,
  github_unavailable: 502,
};

/** An error that crosses the wire: a code from the protocol's list, a message, optional data. */
export class RemoteChatError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RemoteChatError';
    this.status = STATUS[code];
  }

  toBody() {
    return { error: { code: this.code, message: this.message, ...(this.data !== undefined && { data: this.data }) } };
  }
}

/** The one answer for a resource that is missing or not the caller's: it never says which. */
export function notFound(what: string): RemoteChatError {
  return new RemoteChatError('not_found', `No such ${what}.`);
}

/** A caught value's message, for logs and log entries. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
