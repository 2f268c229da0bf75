import type { WebSocket } from 'ws';
import type { LinkSession } from './link.js';
import { dialLink } from './link-handshake.js';

export interface LinkDialerOptions<Out, In> {
  /** The listener's link URL, or a function that resolves it anew for every attempt. */
  url: string | (() => string);
  runtimeId: string;
  token: string;
  session: LinkSession<Out, In>;
  /** Extra HTTP headers for the upgrade request. */
  headers?: Record<string, string>;
  /** The first retry's delay cap. @default 250 */
  minDelayMs?: number;
  /** The largest delay cap. @default 30_000 */
  maxDelayMs?: number;
  /** A connection that stays up this long resets the backoff. @default 10_000 */
  stableAfterMs?: number;
  /** Called with each failed attempt's error (a LinkHandshakeError or a URL error), e.g. to log it. */
  onError?: (error: unknown) => void;
}

/**
 * Keeps a dialled link up: dials, and on close redials with exponential backoff and full jitter
 * (250 ms doubling to 30 s cap, reset after 10 s stable). stop() ends it. State shows through the
 * session.
 */
export class LinkDialer<Out, In> {
  readonly #options: LinkDialerOptions<Out, In>;
  #running = false;
  #attempt = 0;
  #socket: WebSocket | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #stableTimer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | undefined;

  constructor(options: LinkDialerOptions<Out, In>) {
    this.#options = options;
  }

  /** Starts dialling; does nothing if already started. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#dial();
  }

  /** Stops redialling and closes the current connection with 1000; resolves once it is closed. */
  async stop(): Promise<void> {
    this.#running = false;
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
    this.#options.session.detach(1000, 'dialler stopped');
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
        });
      } catch (error) {
        options.onError?.(error);
        this.#scheduleRetry();
        return;
      }
      if (!this.#running) {
        options.session.detach(1000, 'dialler stopped');
        return;
      }
      this.#socket = socket;
      this.#stableTimer = setTimeout(() => (this.#attempt = 0), options.stableAfterMs ?? 10_000);
      socket.once('close', () => {
        clearTimeout(this.#stableTimer);
        if (this.#socket === socket) this.#socket = undefined;
        this.#scheduleRetry();
      });
    })();
    void this.#inflight.finally(() => (this.#inflight = undefined));
  }

  #scheduleRetry(): void {
    if (!this.#running) return;
    const min = this.#options.minDelayMs ?? 250;
    const max = this.#options.maxDelayMs ?? 30_000;
    const cap = Math.min(max, min * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    // Full jitter: a fleet of runtimes that lost the BFF at once does not come back at once.
    this.#retryTimer = setTimeout(() => this.#dial(), Math.random() * cap);
  }
}
