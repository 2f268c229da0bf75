import type { GatewayErrorCode, GatewayErrorFrame } from '@remote-chat/protocol';

/** A capability call's failure as the runtime hears it: an `executionGateway.error` frame. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    /** With `rate_limited`: how long to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** The frame for `requestId`; the message is cut to what the frame allows. */
  toFrame(requestId: string): GatewayErrorFrame {
    return {
      type: 'executionGateway.error',
      requestId,
      code: this.code,
      message: this.message.slice(0, 4096),
      ...(this.retryAfterMs !== undefined && { retryAfterMs: Math.max(0, Math.round(this.retryAfterMs)) }),
    };
  }
}
