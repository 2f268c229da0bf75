import { randomBytes } from 'node:crypto';
import type { GatewayErrorCode, GatewayFromRuntimeFrame, GatewayToRuntimeFrame } from '@remote-chat/protocol';
import { LinkFrameTooLargeError } from '@remote-chat/link';

/**
 * Why a gateway call failed: one of the gateway's codes, or `unavailable` when the runtime's link
 * to the BFF is down (the call never reached it, or the link dropped under it).
 */
export class GatewayCallError extends Error {
  override readonly name = 'GatewayCallError';

  constructor(
    readonly code: GatewayErrorCode | 'unavailable',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface GatewayCallOptions {
  /** Aborting sends `executionGateway.cancel` and rejects with `cancelled`. */
  signal?: AbortSignal;
  /** Each `executionGateway.notification`'s payload, in order. */
  onNotification?: (payload: unknown) => void;
}

interface Pending {
  resolve: (payload: unknown) => void;
  reject: (error: GatewayCallError) => void;
  onNotification: ((payload: unknown) => void) | undefined;
}

/**
 * The runtime's side of the execution gateway: sends requests on the link, routes the answers
 * to their callers by request id, cancels, and fails what is in flight when the link drops (a
 * gateway call is not resent: the BFF has already let it go).
 */
export class GatewayClient {
  readonly #send: (frame: GatewayFromRuntimeFrame) => boolean;
  readonly #pending = new Map<string, Pending>();
  /** Per process: a restarted runtime's ids never meet its predecessor's calls still ending in the BFF. */
  readonly #prefix = randomBytes(6).toString('base64url');
  #next = 0;

  /** `send` writes a frame on the open link and says whether it could (`LinkSession.sendGateway`). */
  constructor(send: (frame: GatewayFromRuntimeFrame) => boolean) {
    this.#send = send;
  }

  /** Calls in flight. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Asks the BFF for a capability call; resolves with the reply's payload, rejects with a GatewayCallError. */
  request(capability: string, payload: unknown, options: GatewayCallOptions = {}): Promise<unknown> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new GatewayCallError('cancelled', 'The call was cancelled.'));
    const requestId = `${this.#prefix}-${++this.#next}`;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#pending.delete(requestId)) return;
        this.#send({ type: 'executionGateway.cancel', requestId });
        reject(new GatewayCallError('cancelled', 'The call was cancelled.'));
      };
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      this.#pending.set(requestId, {
        resolve: (value) => {
          settle();
          resolve(value);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        onNotification: options.onNotification,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      let sent: boolean;
      try {
        sent = this.#send({ type: 'executionGateway.request', requestId, capability, payload });
      } catch (error) {
        this.#fail(
          requestId,
          error instanceof LinkFrameTooLargeError
            ? new GatewayCallError(
                'bad_request',
                `The request (${error.bytes} bytes) is larger than the link carries (${error.limit}).`,
              )
            : new GatewayCallError('unavailable', `Cannot send the request: ${(error as Error).message}`),
        );
        return;
      }
      if (!sent)
        this.#fail(
          requestId,
          new GatewayCallError('unavailable', 'The runtime is not connected to its server right now.'),
        );
    });
  }

  /** Routes a frame from the BFF to its call; a frame for no call in flight (ended, cancelled) is dropped. */
  receive(frame: GatewayToRuntimeFrame): void {
    const call = this.#pending.get(frame.requestId);
    if (!call) return;
    switch (frame.type) {
      case 'executionGateway.notification':
        call.onNotification?.(frame.payload);
        return;
      case 'executionGateway.reply':
        this.#pending.delete(frame.requestId);
        call.resolve(frame.payload);
        return;
      case 'executionGateway.error':
        this.#fail(frame.requestId, new GatewayCallError(frame.code, frame.message, frame.retryAfterMs));
        return;
    }
  }

  /** The link went down: every call in flight fails with `unavailable`. */
  linkDown(): void {
    for (const requestId of [...this.#pending.keys()])
      this.#fail(requestId, new GatewayCallError('unavailable', 'The link to the server dropped during the call.'));
  }

  #fail(requestId: string, error: GatewayCallError): void {
    const call = this.#pending.get(requestId);
    if (!call) return;
    this.#pending.delete(requestId);
    call.reject(error);
  }
}
