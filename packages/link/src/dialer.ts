import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '@remote-chat/protocol';
import type { LinkSession } from './session.js';
import { LinkClosedError } from './errors.js';
import { dialLink } from './handshake.js';

export interface LinkDialerOptions<Out, In, GOut = never, GIn = never> {
  /** The listener's link URL, or a function that resolves it anew for every attempt. */
  url: string | (() => string);
  runtimeId: string;
  token: string;
  session: LinkSession<Out, In, GOut, GIn>;
  /** Extra HTTP headers for the upgrade request. */
  headers?: Record<string, string>;
  /**
   * Opens the byte stream each attempt runs over instead of a connection to the URL's host (an
   * SSH-forwarded channel): see `DialLinkOptions.createConnection`. @default a connection to the URL's host
   */
  createConnection?: () => Promise<Duplex>;
  /** The first retry's delay cap. @default 250 */
  minDelayMs?: number;
  /** The largest delay cap. @default 30_000 */
  maxDelayMs?: number;
  /** A connection that stays up this long resets the backoff. @default 10_000 */
  stableAfterMs?: number;
  /**
   * Called with each failed attempt's error, e.g. to log it: a LinkHandshakeError when the listener
   * refused, else the connection's own error (ECONNREFUSED, a URL error).
   */
  onError?: (error: unknown) => void;
  /**
   * Decides whether to dial again after a failed attempt (as `onError` gets it) or after an open
   * link closed (a LinkClosedError); returning false stops the dialler, e.g. on 4401.
   * @default always dial again
   */
  shouldRetry?: (error: unknown) => boolean;
  /** Called when the next attempt is scheduled, with its delay, e.g. to tell a person. */
  onRetry?: (delayMs: number) => void;
}

/**
 * Keeps a dialled link up: dials, and on close redials with exponential backoff and full jitter
 * (250 ms doubling to 30 s cap, reset after 10 s stable). stop() ends it. State shows through the
 * session.
 */
export class LinkDialer<Out, In, GOut = never, GIn = never> {
  readonly #options: LinkDialerOptions<Out, In, GOut, GIn>;
  #running = false;
  #attempt = 0;
  #socket: WebSocket | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #stableTimer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | undefined;
  #stopClose = { code: 1000, reason: 'dialler stopped' };

  constructor(options: LinkDialerOptions<Out, In, GOut, GIn>) {
    this.#options = options;
  }

  /** Starts dialling; does nothing if already started. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#dial();
  }

  /** Whether it is dialling or connected (not stopped, by `stop` or by `shouldRetry`). */
  get running(): boolean {
    return this.#running;
  }

  /** Stops redialling and closes the current connection (with 1000 unless told); resolves once it is closed. */
  async stop(code = 1000, reason = 'dialler stopped'): Promise<void> {
    this.#running = false;
    this.#stopClose = { code, reason };
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#stableTimer);
    await this.#inflight;
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    const closed = new Promise<void>((resolve) => {
      if (socket.readyState === socket.CLOSED) resolve();
      else socket.once('close', () => resolve());
    });
    this.#options.session.detach(code, reason);
    await closed;
  }

  #dial(): void {
    if (!this.#running) return;
    const options = this.#options;
    this.#inflight = (async () => {
      let socket: WebSocket;
      try {
        const url = typeof options.url === 'function' ? options.url() : options.url;
        socket = await dialLink({
          url,
          runtimeId: options.runtimeId,
          token: options.token,
          session: options.session,
          ...(options.headers ? { headers: options.headers } : {}),
          ...(options.createConnection ? { createConnection: options.createConnection } : {}),
        });
      } catch (error) {
        options.onError?.(error);
        this.#scheduleRetry(error);
        return;
      }
      if (!this.#running) {
        options.session.detach(this.#stopClose.code, this.#stopClose.reason);
        return;
      }
      this.#socket = socket;
      this.#stableTimer = setTimeout(() => (this.#attempt = 0), options.stableAfterMs ?? 10_000);
      socket.once('close', (code: number, reason: Buffer) => {
        clearTimeout(this.#stableTimer);
        if (this.#socket === socket) this.#socket = undefined;
        this.#scheduleRetry(new LinkClosedError(code, reason.toString()));
      });
    })();
    void this.#inflight.finally(() => (this.#inflight = undefined));
  }

  #scheduleRetry(error: unknown): void {
    if (!this.#running) return;
    if (this.#options.shouldRetry && !this.#options.shouldRetry(error)) {
      this.#running = false;
      clearTimeout(this.#stableTimer);
      return;
    }
    // An instance of a cluster that drains sends its links elsewhere: come back as from a first try.
    if (error instanceof LinkClosedError && error.code === CLOSE_CODES.reconnectElsewhere) this.#attempt = 0;
    const min = this.#options.minDelayMs ?? 250;
    const max = this.#options.maxDelayMs ?? 30_000;
    const cap = Math.min(max, min * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    // Full jitter: a fleet of runtimes that lost the BFF at once does not come back at once.
    const delay = Math.random() * cap;
    this.#retryTimer = setTimeout(() => this.#dial(), delay);
    this.#options.onRetry?.(delay);
  }
}
