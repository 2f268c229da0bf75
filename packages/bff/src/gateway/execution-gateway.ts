import type { GatewayFromRuntimeFrame, GatewayToRuntimeFrame } from '@remote-chat/protocol';
import { LinkFrameTooLargeError } from '@remote-chat/link';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { RateLimiter } from '../rate-limiter.js';
import type { GatewayConfig } from './gateway-config.js';
import { GatewayError } from './gateway-error.js';

/** One capability call, as a handler sees it. */
export interface GatewayCall {
  requestId: string;
  capability: string;
  /** The runtime's input, unchecked: the handler validates it. */
  payload: unknown;
  /** Whose call this is: the user and runtime of the link it came on, never what the payload says. */
  userId: string;
  runtimeId: string;
  /** Aborted on cancel, timeout, a link drop or shutdown; a handler passes it to its upstream call. */
  signal: AbortSignal;
  /** Sends one `executionGateway.notification`; throws (and the call is aborted) when the link is gone. */
  notify(payload: unknown): void;
}

/** Answers the calls of one capability; resolves with the reply payload or rejects with a GatewayError. */
export interface CapabilityHandler {
  handle(call: GatewayCall): Promise<unknown>;
}

/** A runtime's link as the gateway uses it. */
export interface GatewayLink {
  runtimeId: string;
  /** The user who owns the runtime, as the BFF stored it. */
  userId: string;
  /** Writes a frame on the open link; false when it is not open. */
  send(frame: GatewayToRuntimeFrame): boolean;
}

export interface ExecutionGatewayOptions {
  config: Pick<GatewayConfig, 'capabilities' | 'timeoutMs' | 'maxConcurrent' | 'requestsPerMinute'>;
  /** The handler of each capability the configuration may set to `proxy`. */
  handlers: Readonly<Record<string, CapabilityHandler>>;
  logger: Logger;
}

/** Why a call was aborted; decides what, if anything, the runtime is told. */
type AbortReason = 'cancelled' | 'timeout' | 'link' | 'shutdown';

interface InFlight {
  userId: string;
  abort: AbortController;
}

/**
 * The BFF's execution gateway: takes `executionGateway.request` frames from runtimes, decides per
 * capability whether it answers (`proxy`) or refuses with `not_allowed` (`local`, or a capability
 * not configured), applies the user's rate and concurrency limits, runs the capability's handler
 * with a timeout, and streams notifications then one reply or error back on the same link.
 *
 * Requests are keyed by the runtime that sent them: a cancel names a request of its own runtime
 * only, and whatever a request costs is counted for the user who owns that runtime.
 */
export class ExecutionGateway {
  readonly #options: ExecutionGatewayOptions;
  readonly #limiter: RateLimiter;
  /** Per runtime, its calls in flight by request id. */
  readonly #calls = new Map<string, Map<string, InFlight>>();
  /** Per user, calls in flight over all their runtimes. */
  readonly #perUser = new Map<string, number>();

  constructor(options: ExecutionGatewayOptions) {
    this.#options = options;
    const { requestsPerMinute } = options.config;
    this.#limiter = new RateLimiter({ burst: requestsPerMinute, perMinute: requestsPerMinute });
  }

  /** Calls in flight, over all runtimes. */
  get inFlight(): number {
    let count = 0;
    for (const calls of this.#calls.values()) count += calls.size;
    return count;
  }

  /** Handles a gateway frame that arrived on `link`. */
  receive(link: GatewayLink, frame: GatewayFromRuntimeFrame): void {
    if (frame.type === 'executionGateway.cancel') {
      // Only this runtime's own calls: another runtime's request id finds nothing here.
      const call = this.#calls.get(link.runtimeId)?.get(frame.requestId);
      if (call) call.abort.abort('cancelled' satisfies AbortReason);
      else this.#options.logger.debug({ runtimeId: link.runtimeId }, 'gateway cancel for no call of this runtime');
      return;
    }
    const calls = this.#calls.get(link.runtimeId) ?? new Map<string, InFlight>();
    if (calls.has(frame.requestId)) {
      // The runtime's bug; the call under that id goes on undisturbed.
      this.#options.logger.warn({ runtimeId: link.runtimeId }, 'gateway request id already in flight; ignored');
      return;
    }
    const refusal = this.#refusal(link, frame.capability);
    if (refusal) {
      this.#send(link, refusal.toFrame(frame.requestId));
      return;
    }
    const abort = new AbortController();
    calls.set(frame.requestId, { userId: link.userId, abort });
    this.#calls.set(link.runtimeId, calls);
    this.#perUser.set(link.userId, (this.#perUser.get(link.userId) ?? 0) + 1);
    void this.#run(link, frame, abort);
  }

  /** The link of a runtime went down: its calls end, and nobody is told (nobody can be). */
  linkDown(runtimeId: string): void {
    for (const call of this.#calls.get(runtimeId)?.values() ?? []) call.abort.abort('link' satisfies AbortReason);
  }

  /** Aborts every call (the BFF is closing). */
  close(): void {
    for (const calls of this.#calls.values())
      for (const call of calls.values()) call.abort.abort('shutdown' satisfies AbortReason);
  }

  /** Why a request may not start, or undefined. */
  #refusal(link: GatewayLink, capability: string): GatewayError | undefined {
    const { config, handlers } = this.#options;
    const policy = Object.hasOwn(config.capabilities, capability) ? config.capabilities[capability] : undefined;
    if (policy === 'local')
      return new GatewayError(
        'not_allowed',
        `This server leaves "${capability}" to the runtime; it does not answer it.`,
      );
    if (policy !== 'proxy' || !Object.hasOwn(handlers, capability))
      return new GatewayError('not_allowed', `This server does not answer "${capability}" requests.`);
    const running = this.#perUser.get(link.userId) ?? 0;
    if (running >= config.maxConcurrent)
      return new GatewayError(
        'rate_limited',
        `You have ${running} model requests running, the most at once; try again when one ends.`,
        1_000,
      );
    const waitSeconds = this.#limiter.take(link.userId);
    if (waitSeconds > 0)
      return new GatewayError(
        'rate_limited',
        `Too many requests: at most ${config.requestsPerMinute} a minute. Try again in ${waitSeconds} s.`,
        waitSeconds * 1000,
      );
    return undefined;
  }

  async #run(
    link: GatewayLink,
    frame: Extract<GatewayFromRuntimeFrame, { type: 'executionGateway.request' }>,
    abort: AbortController,
  ): Promise<void> {
    const { requestId, capability } = frame;
    const { logger, config } = this.#options;
    const started = performance.now();
    const timer = setTimeout(() => abort.abort('timeout' satisfies AbortReason), config.timeoutMs);
    const call: GatewayCall = {
      requestId,
      capability,
      payload: frame.payload,
      userId: link.userId,
      runtimeId: link.runtimeId,
      signal: abort.signal,
      notify: (payload) => {
        if (abort.signal.aborted) throw new GatewayError('cancelled', 'The request has ended.');
        if (!this.#send(link, { type: 'executionGateway.notification', requestId, payload })) {
          abort.abort('link' satisfies AbortReason);
          throw new GatewayError('cancelled', 'The runtime is no longer connected.');
        }
      },
    };
    let outcome = 'reply';
    try {
      const reply = await this.#options.handlers[capability]!.handle(call);
      if (abort.signal.aborted) throw new Error('aborted');
      if (!this.#send(link, { type: 'executionGateway.reply', requestId, payload: reply }))
        outcome = 'link down before the reply';
    } catch (error) {
      const failure = this.#failure(error, abort.signal);
      outcome = failure?.code ?? `aborted (${String(abort.signal.reason)})`;
      if (failure) this.#send(link, failure.toFrame(requestId));
    } finally {
      clearTimeout(timer);
      this.#end(link, requestId);
      logger.debug(
        {
          runtimeId: link.runtimeId,
          userId: link.userId,
          capability,
          outcome,
          ms: Math.round(performance.now() - started),
        },
        'gateway request',
      );
    }
  }

  /** What to tell the runtime about a failed call; undefined when nobody is there to hear it. */
  #failure(error: unknown, signal: AbortSignal): GatewayError | undefined {
    if (signal.aborted) {
      const reason = signal.reason as AbortReason;
      if (reason === 'link' || reason === 'shutdown') return undefined;
      if (reason === 'timeout')
        return new GatewayError(
          'timeout',
          `The request took longer than ${Math.round(this.#options.config.timeoutMs / 1000)} s, the most this server allows.`,
        );
      return new GatewayError('cancelled', 'The request was cancelled.');
    }
    if (error instanceof GatewayError) return error;
    if (error instanceof LinkFrameTooLargeError)
      return new GatewayError(
        'upstream',
        `The answer (${error.bytes} bytes) is larger than the link carries (${error.limit}).`,
      );
    this.#options.logger.error({ err: errorMessage(error) }, 'gateway handler failed');
    return new GatewayError('upstream', 'The server failed to answer the request; its log says why.');
  }

  #end(link: GatewayLink, requestId: string): void {
    const calls = this.#calls.get(link.runtimeId);
    calls?.delete(requestId);
    if (calls?.size === 0) this.#calls.delete(link.runtimeId);
    const running = (this.#perUser.get(link.userId) ?? 1) - 1;
    if (running > 0) this.#perUser.set(link.userId, running);
    else this.#perUser.delete(link.userId);
  }

  /** Writes a frame; a frame too large for the link becomes an error frame instead. */
  #send(link: GatewayLink, frame: GatewayToRuntimeFrame): boolean {
    try {
      return link.send(frame);
    } catch (error) {
      if (!(error instanceof LinkFrameTooLargeError) || frame.type === 'executionGateway.error') throw error;
      if (frame.type === 'executionGateway.notification') throw error;
      return link.send(
        new GatewayError(
          'upstream',
          `The answer (${error.bytes} bytes) is larger than the link carries (${error.limit}).`,
        ).toFrame(frame.requestId),
      );
    }
  }
}
