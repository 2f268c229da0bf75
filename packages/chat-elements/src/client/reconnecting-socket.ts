/** How long to wait before each attempt after the first: `minMs · factor^(n − 1)`, at most `maxMs`. */
export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export interface ReconnectingSocketOptions {
  /** The WebSocket class; the global one when undefined. */
  WebSocket: typeof WebSocket | undefined;
  backoff: Backoff;
  /** The retry count resets only after a connection stayed open this long. */
  minUptimeMs: number;
  /** An attempt that has not opened after this long is given up and retried. */
  connectTimeoutMs: number;
}

/** What the socket tells its owner; nothing after `close()`. */
export interface ReconnectingSocketHandlers {
  open(): void;
  /** The connection closed, or was given up (code 1000), or was closed by `reconnect(code)`. */
  close(event: { readonly code: number }): void;
  message(event: MessageEvent): void;
}

/**
 * A WebSocket that opens again after every close until `close()` is called: the behaviour of
 * reconnecting-websocket 4.4.0 (which the stream used before) for the options the stream set,
 * as ES2023 rather than that package's ES5 build.
 *
 * The URL is asked for afresh before each attempt, after the backoff delay. While an attempt is
 * under way (waiting, resolving the URL, connecting) a second one is not started. Frames sent
 * while the connection is not open are dropped.
 */
export class ReconnectingSocket {
  private ws: WebSocket | undefined;
  /** Attempts since the last connection that stayed up; -1 before the first attempt. */
  private retries = -1;
  /** An attempt holds this from its start until its WebSocket exists. */
  private connecting = false;
  private closed = false;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private uptimeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: () => Promise<string>,
    private readonly options: ReconnectingSocketOptions,
    private readonly handlers: ReconnectingSocketHandlers,
  ) {
    this.connect();
  }

  /** Failed attempts since the last connection that stayed up. */
  get retryCount(): number {
    return Math.max(this.retries, 0);
  }

  send(data: string): void {
    if (this.ws?.readyState === 1) this.ws.send(data);
  }

  /** Closes the connection (with `code` and `reason`, when open) and connects again at once. */
  reconnect(code?: number, reason?: string): void {
    this.closed = false;
    this.retries = -1;
    if (this.ws && this.ws.readyState !== 3) this.disconnect(code, reason);
    this.connect();
  }

  /** Closes for good: no further attempt, and no further call of a handler. */
  close(code = 1000): void {
    this.closed = true;
    this.clearTimers();
    if (this.ws && this.ws.readyState !== 3) this.ws.close(code);
  }

  private connect(): void {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    this.retries++;
    this.detach();
    const WebSocketClass = this.options.WebSocket ?? globalThis.WebSocket;
    if (WebSocketClass?.CLOSING !== 2) throw new Error('No valid WebSocket class provided');
    const { minMs, maxMs, factor } = this.options.backoff;
    const delay = this.retries > 0 ? Math.min(maxMs, minMs * factor ** (this.retries - 1)) : 0;
    void new Promise((resolve) => setTimeout(resolve, delay)).then(this.url).then((url) => {
      if (this.closed) return;
      const ws = new WebSocketClass(url);
      this.ws = ws;
      this.connecting = false;
      ws.addEventListener('open', this.onOpen);
      ws.addEventListener('close', this.onClose);
      ws.addEventListener('message', this.onMessage);
      ws.addEventListener('error', this.onError);
      this.connectTimer = setTimeout(() => this.onError('timeout'), this.options.connectTimeoutMs);
    });
  }

  /** Stops listening to the current WebSocket, closes it and reports the close as if it had. */
  private disconnect(code = 1000, reason?: string): void {
    this.clearTimers();
    const ws = this.ws;
    if (!ws) return;
    this.detach();
    try {
      ws.close(code, reason);
      this.onClose({ code });
    } catch {
      // A closed socket or a code the browser refuses: the attempt that follows starts afresh.
    }
  }

  private detach(): void {
    const ws = this.ws;
    if (!ws) return;
    ws.removeEventListener('open', this.onOpen);
    ws.removeEventListener('close', this.onClose);
    ws.removeEventListener('message', this.onMessage);
    ws.removeEventListener('error', this.onError);
  }

  private clearTimers(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.uptimeTimer);
  }

  private readonly onOpen = (): void => {
    clearTimeout(this.connectTimer);
    this.uptimeTimer = setTimeout(() => (this.retries = 0), this.options.minUptimeMs);
    this.handlers.open();
  };

  private readonly onClose = (event: { readonly code: number }): void => {
    this.clearTimers();
    if (this.closed) return;
    // A draining instance of a cluster (4504, CLOSE_CODES.reconnectElsewhere): another takes us now.
    if (event.code === 4504) this.retries = -1;
    this.connect();
    this.handlers.close(event);
  };

  private readonly onMessage = (event: MessageEvent): void => {
    if (!this.closed) this.handlers.message(event);
  };

  /** A failed connection (an `error` event) or one that did not open in time. */
  private readonly onError = (reason?: unknown): void => {
    this.disconnect(undefined, reason === 'timeout' ? reason : undefined);
    this.connect();
  };
}
