import type { Topic } from '@remote-chat/protocol';
import type { TokenSource } from './bearer-token.js';
import { RcConnectionChangeEvent, type ConnectionStatus } from './connection-status.js';
import { RestApi, type RestApiOptions } from './rest-api.js';
import { BrowserStream } from './browser-stream.js';
import type { TopicFrame } from './topic-frames.js';

export interface RemoteChatClientOptions extends RestApiOptions {
  /**
   * The WebSocket class for the stream, for runtimes without a global one (Node 20: `ws`).
   * @default globalThis.WebSocket
   */
  WebSocket?: typeof WebSocket;
  /**
   * How often the stream pings the BFF to keep the socket (and any proxy) alive.
   * @default 25000
   */
  pingIntervalMs?: number;
  /**
   * How long after a ping with no frame at all the socket is assumed dead and replaced.
   * @default 10000
   */
  pongTimeoutMs?: number;
}

/**
 * The headless Remote Chat client: every REST route of the BFF, typed and validated against the
 * protocol (see {@link RestApi}), plus one shared, self-healing WebSocket for live topics. Works
 * without any element.
 *
 * @fires rc-connection-change - {@link RcConnectionChangeEvent} when `connectionStatus` changes.
 * @fires rc-token-expired - {@link RcTokenExpiredEvent} when there is no token the BFF accepts any
 * more (token mode only): once per lapse, until a request succeeds again.
 *
 * @example
 * ```ts
 * const client = new RemoteChatClient({ bffUrl: 'https://chat.example.com' });
 * const thread = await client.createThread(runtimeId);
 * const stop = client.subscribe(`thread:${thread.id}`, 0, (frame) => {
 *   if (frame.type === 'event') console.log(frame.event);
 *   if (frame.type === 'events') for (const event of frame.events) console.log(event);
 * });
 * await client.sendMessage(thread.id, { text: 'ls -la' });
 * ```
 *
 * @example On a page of another origin, with a token from the host site's own backend:
 * ```ts
 * const client = new RemoteChatClient({
 *   bffUrl: 'https://chat.example.com',
 *   token: async () => (await fetch('/session/chat-token', { method: 'POST' })).json(),
 * });
 * ```
 */
export class RemoteChatClient extends RestApi {
  private readonly stream: BrowserStream;
  /** The BFF closed the stream because its token was revoked or expired: renew before the next ticket. */
  private streamTokenStale = false;

  constructor(options: RemoteChatClientOptions = {}) {
    super(options);
    this.stream = new BrowserStream({
      url: () => this.streamUrl(),
      WebSocket: options.WebSocket,
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      onStatus: (detail) => this.dispatchEvent(new RcConnectionChangeEvent(detail)),
      onReauthenticate: () => (this.streamTokenStale = true),
    });
  }

  /** The state of the stream socket. A change fires `rc-connection-change`. */
  get connectionStatus(): ConnectionStatus {
    return this.stream.status;
  }

  /** The token or token provider requests are sent with (the `token` option or `setToken`); undefined: the session cookie. */
  get token(): TokenSource | undefined {
    return this.tokens.source;
  }

  /**
   * Replaces the token (see the `token` option); undefined goes back to the session cookie.
   * Requests from now on use it; an open stream stays open, and a stream that stopped because
   * the token lapsed connects again.
   */
  setToken(token: TokenSource | undefined): void {
    if (this.tokens.replace(token)) this.stream.reconnect();
  }

  /**
   * Listens to a topic of the stream; returns the function that stops listening.
   *
   * Seq topics (`thread:ID`, `runtime-log:ID`) deliver every entry with a seq above `after` once,
   * in order, across reconnects, then `caught-up`. A thread's replay and catch-ups come in
   * `events` frames (many events each, to apply in one pass), live events in `event` frames.
   * Snapshot topics (`runtimes`, `threads:ID`)
   * deliver a snapshot, then updates, and a fresh snapshot after a reconnect; `after` is ignored.
   * Listeners of one topic share one server subscription.
   */
  subscribe<T extends Topic>(topic: T, after: number, listener: (frame: TopicFrame<T>) => void): () => void {
    // The stream checks that each frame fits the topic's family before it reaches a listener.
    return this.stream.subscribe(topic, after, listener as (frame: unknown) => void);
  }

  /**
   * Reconnects the stream now, for example after the user signed in again. A fresh start: a
   * token that still does not work is reported by `rc-token-expired` again.
   */
  reconnect(): void {
    this.tokens.clearLapse();
    this.stream.reconnect();
  }

  /** Closes the stream and drops every subscription. REST calls keep working. */
  close(): void {
    this.stream.close();
  }

  /** The stream's URL for one attempt: with a token, a fresh one-time ticket in the query. */
  private async streamUrl(): Promise<string> {
    const url = this.rest.apiBase.replace(/^http/, 'ws') + '/stream';
    if (!this.tokens.source) return url;
    if (this.streamTokenStale) {
      this.streamTokenStale = false;
      const sent = await this.tokens.current();
      if (sent) await this.tokens.renew(sent);
    }
    const { ticket } = await this.createStreamTicket();
    return `${url}?ticket=${encodeURIComponent(ticket)}`;
  }
}
