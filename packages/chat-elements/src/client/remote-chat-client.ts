import {
  ApiTokenListResponseSchema,
  ConfigResponseSchema,
  CreatedApiTokenSchema,
  ErrorBodySchema,
  EventPageResponseSchema,
  LogPageResponseSchema,
  RuntimeListResponseSchema,
  RuntimeSchema,
  SendMessageResponseSchema,
  StreamTicketResponseSchema,
  ThreadListResponseSchema,
  ThreadSchema,
  UploadedFileSchema,
  type ApiToken,
  type ConfigResponse,
  type CreateApiTokenRequest,
  type CreatedApiToken,
  type CreateRuntimeRequest,
  type CreateThreadRequest,
  type EventPageResponse,
  type LogPageResponse,
  type Runtime,
  type SendMessageRequest,
  type SendMessageResponse,
  type StreamTicketResponse,
  type Thread,
  type Topic,
  type UploadedFile,
} from '@remote-chat/protocol';
import { newClientId } from './client-id.js';
import { RcConnectionChangeEvent, type ConnectionStatus } from './connection-status.js';
import {
  RemoteChatError,
  TokenError,
  TransportError,
  codeForStatus,
  describeError,
  isRetryable,
  type TokenFailure,
} from './errors.js';
import { BearerToken, type TokenSource } from './bearer-token.js';
import { StreamConnection } from './stream-connection.js';
import { RcTokenExpiredEvent } from '../events/token-expired-event.js';
import type { TopicFrame } from './topic-frames.js';

export interface RemoteChatClientOptions {
  /**
   * The origin (and path prefix, if the BFF is mounted under one) of the BFF.
   * @default location.origin
   */
  bffUrl?: string;
  /**
   * Where the BFF's routes are mounted below `bffUrl`.
   * @default "/api"
   */
  apiPath?: string;
  /**
   * How the client proves who it is when the page is on another origin than the BFF: a client
   * token (`rcc_…`) that the host site's backend got from the BFF's `POST /api/client-tokens`,
   * or, better, a function that gets a fresh one (see {@link TokenProvider}). It is sent as
   * `Authorization: Bearer` on every REST call, with no cookies; it is refreshed shortly before
   * its `expiresAt`, and once after the BFF refuses it; and every attempt to open the stream
   * first fetches a one-time ticket with it (`POST /api/stream-tickets`), so no long-lived secret
   * is ever put in a URL.
   *
   * Without it the client relies on the BFF's session cookie, which only a page of the BFF's
   * own origin (or a proxy of it) has.
   * @default undefined
   */
  token?: TokenSource;
  /**
   * The WebSocket class for the stream, for runtimes without a global one (Node 20: `ws`).
   * @default globalThis.WebSocket
   */
  WebSocket?: typeof WebSocket;
  /**
   * The fetch function for REST calls.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
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

/** Options every request takes. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** A page of a seq-numbered list. */
export interface PageOptions extends RequestOptions {
  /** Entries with a seq above this one. @default 0 */
  after?: number;
  /** At most this many entries. @default the BFF's page size (1000) */
  limit?: number;
}

/** A message to send. */
export interface OutgoingMessage {
  text: string;
  /** Which agent answers; the runtime's default agent when omitted. */
  agent?: string;
  /**
   * The id that makes sending idempotent; a fresh one when omitted. Pass your own to show the
   * message before the BFF confirms it, and to retry it later without storing it twice.
   */
  clientId?: string;
}

/** How `sendMessage` retries a request that may not have arrived. */
const SEND_RETRY = { attempts: 4, baseDelayMs: 400 } as const;

/**
 * The headless Remote Chat client: every REST route of the BFF, typed and validated against the
 * protocol, plus one shared, self-healing WebSocket for live topics. Works without any element.
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
export class RemoteChatClient extends EventTarget {
  /** The BFF origin (and prefix) this client talks to, without a trailing slash. */
  readonly bffUrl: string;
  private readonly apiBase: string;
  private readonly fetchFn: typeof fetch;
  private readonly stream: StreamConnection;
  private bearer: BearerToken | undefined;
  /** `rc-token-expired` was fired and no request has succeeded with a token since. */
  private tokenLapsed = false;

  constructor(options: RemoteChatClientOptions = {}) {
    super();
    const origin = options.bffUrl ?? globalThis.location?.origin;
    if (!origin) throw new TypeError('RemoteChatClient: bffUrl is required outside a browser page');
    this.bffUrl = origin.replace(/\/+$/, '');
    this.apiBase = this.bffUrl + '/' + (options.apiPath ?? '/api').replace(/^\/+|\/+$/g, '');
    const fetchFn = options.fetch ?? globalThis.fetch;
    this.fetchFn = (input, init) => fetchFn(input, init);
    if (options.token) this.bearer = new BearerToken(options.token);
    this.stream = new StreamConnection({
      url: () => this.streamUrl(),
      WebSocket: options.WebSocket,
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      onStatus: (detail) => this.dispatchEvent(new RcConnectionChangeEvent(detail)),
    });
  }

  /** The state of the stream socket. A change fires `rc-connection-change`. */
  get connectionStatus(): ConnectionStatus {
    return this.stream.status;
  }

  /** The token or token provider requests are sent with (the `token` option or `setToken`); undefined: the session cookie. */
  get token(): TokenSource | undefined {
    return this.bearer?.source;
  }

  /**
   * Replaces the token (see the `token` option); undefined goes back to the session cookie.
   * Requests from now on use it; an open stream stays open, and a stream that stopped because
   * the token lapsed connects again.
   */
  setToken(token: TokenSource | undefined): void {
    if (token === this.bearer?.source) return;
    this.bearer = token ? new BearerToken(token) : undefined;
    const lapsed = this.tokenLapsed;
    this.tokenLapsed = false;
    if (lapsed) this.stream.reconnect();
  }

  /**
   * `GET /api/config`: what this BFF offers, and who is signed in (`user` is null if nobody).
   * The BFF answers this route even to a token it does not accept, with `user: null`; in token
   * mode that counts as a refusal, so the token is refreshed once and the call repeated.
   */
  async getConfig(options?: RequestOptions): Promise<ConfigResponse> {
    const bearer = this.bearer;
    const sent = bearer ? await this.currentToken(bearer) : undefined;
    const config = await this.request('GET', '/config', ConfigResponseSchema, options);
    if (config.user && bearer) this.tokenLapsed = false;
    if (config.user || !bearer || sent === undefined) return config;
    const fresh = await this.renewToken(bearer, sent);
    const again = fresh === undefined ? config : await this.request('GET', '/config', ConfigResponseSchema, options);
    if (again.user) this.tokenLapsed = false;
    else this.tokenLapse('refused', 'The chat server did not accept the sign-in token this page gave it.', again);
    return again;
  }

  /** `GET /api/runtimes` */
  async listRuntimes(options?: RequestOptions): Promise<Runtime[]> {
    return (await this.request('GET', '/runtimes', RuntimeListResponseSchema, options)).runtimes;
  }

  /** `POST /api/runtimes`: starts making a runtime; it answers at once with status `starting`. */
  createRuntime(body: CreateRuntimeRequest, options?: RequestOptions): Promise<Runtime> {
    return this.request('POST', '/runtimes', RuntimeSchema, { ...options, body });
  }

  /** `GET /api/runtimes/:id` */
  getRuntime(runtimeId: string, options?: RequestOptions): Promise<Runtime> {
    return this.request('GET', `/runtimes/${enc(runtimeId)}`, RuntimeSchema, options);
  }

  /** `DELETE /api/runtimes/:id`: stops the runtime and deletes it. */
  async deleteRuntime(runtimeId: string, options?: RequestOptions): Promise<void> {
    await this.request('DELETE', `/runtimes/${enc(runtimeId)}`, null, options);
  }

  /** `GET /api/runtimes/:id/log?after=N`: runtime-log entries after a seq, in order. */
  getRuntimeLog(runtimeId: string, options?: PageOptions): Promise<LogPageResponse> {
    return this.request('GET', `/runtimes/${enc(runtimeId)}/log${pageQuery(options)}`, LogPageResponseSchema, options);
  }

  /** `GET /api/runtimes/:id/threads` */
  async listThreads(runtimeId: string, options?: RequestOptions): Promise<Thread[]> {
    const path = `/runtimes/${enc(runtimeId)}/threads`;
    return (await this.request('GET', path, ThreadListResponseSchema, options)).threads;
  }

  /** `POST /api/runtimes/:id/threads` */
  createThread(runtimeId: string, body: CreateThreadRequest = {}, options?: RequestOptions): Promise<Thread> {
    return this.request('POST', `/runtimes/${enc(runtimeId)}/threads`, ThreadSchema, { ...options, body });
  }

  /** `PATCH /api/threads/:id` */
  renameThread(threadId: string, title: string, options?: RequestOptions): Promise<Thread> {
    return this.request('PATCH', `/threads/${enc(threadId)}`, ThreadSchema, { ...options, body: { title } });
  }

  /** `GET /api/threads/:id/events?after=N&limit=M`: a thread's events after a seq, in order. */
  getThreadEvents(threadId: string, options?: PageOptions): Promise<EventPageResponse> {
    const path = `/threads/${enc(threadId)}/events${pageQuery(options)}`;
    return this.request('GET', path, EventPageResponseSchema, options);
  }

  /**
   * `POST /api/threads/:id/messages`. The message carries a client id (generated unless given),
   * so the request is retried with backoff after a network failure or a 5xx without any risk of
   * storing the message twice.
   */
  async sendMessage(
    threadId: string,
    message: OutgoingMessage,
    options?: RequestOptions,
  ): Promise<SendMessageResponse> {
    const body: SendMessageRequest = { clientId: message.clientId ?? newClientId(), text: message.text };
    if (message.agent) body.agent = message.agent;
    const path = `/threads/${enc(threadId)}/messages`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request('POST', path, SendMessageResponseSchema, { ...options, body });
      } catch (error) {
        if (attempt >= SEND_RETRY.attempts || !isRetryable(error) || options?.signal?.aborted) throw error;
        const delay = SEND_RETRY.baseDelayMs * 2 ** (attempt - 1);
        await sleep(delay / 2 + Math.random() * delay, options?.signal);
      }
    }
  }

  /** `POST /api/threads/:id/cancel`: stops what the agent is doing in this thread. */
  async cancel(threadId: string, options?: RequestOptions): Promise<void> {
    await this.request('POST', `/threads/${enc(threadId)}/cancel`, null, { ...options, body: {} });
  }

  /**
   * `POST /api/threads/:id/uploads?name=…`: puts a file (a pasted screenshot, say) into the
   * workspace of the thread's runtime; answers the workspace-relative path it was saved at.
   */
  uploadFile(threadId: string, file: Blob & { name?: string }, options?: RequestOptions): Promise<UploadedFile> {
    const name = encodeURIComponent(file.name || 'pasted-file');
    return this.request('POST', `/threads/${enc(threadId)}/uploads?name=${name}`, UploadedFileSchema, {
      ...options,
      body: file,
    });
  }

  /** `GET /api/tokens`: the signed-in person's API tokens (session cookie only; never the secrets). */
  async listApiTokens(options?: RequestOptions): Promise<ApiToken[]> {
    return (await this.request('GET', '/tokens', ApiTokenListResponseSchema, options)).tokens;
  }

  /** `POST /api/tokens`: a new API token. The answer's `token` is the secret, shown this once. */
  createApiToken(body: CreateApiTokenRequest, options?: RequestOptions): Promise<CreatedApiToken> {
    return this.request('POST', '/tokens', CreatedApiTokenSchema, { ...options, body });
  }

  /** `DELETE /api/tokens/:id`: revokes an API token, and every client token minted with it. */
  async revokeApiToken(tokenId: string, options?: RequestOptions): Promise<void> {
    await this.request('DELETE', `/tokens/${enc(tokenId)}`, null, options);
  }

  /**
   * `POST /api/stream-tickets`: a one-time ticket, valid for seconds, that opens
   * `WS /api/stream?ticket=…` from this page's origin. The stream fetches its own; this is for
   * clients that open a socket themselves.
   */
  createStreamTicket(options?: RequestOptions): Promise<StreamTicketResponse> {
    return this.request('POST', '/stream-tickets', StreamTicketResponseSchema, { ...options, body: {} });
  }

  /**
   * Listens to a topic of the stream; returns the function that stops listening.
   *
   * Seq topics (`thread:ID`, `runtime-log:ID`) deliver every entry with a seq above `after` once,
   * in order, across reconnects, then `caught-up`. Snapshot topics (`runtimes`, `threads:ID`)
   * deliver a snapshot, then updates, and a fresh snapshot after a reconnect; `after` is ignored.
   * Listeners of one topic share one server subscription.
   */
  subscribe<T extends Topic>(topic: T, after: number, listener: (frame: TopicFrame<T>) => void): () => void {
    // The connection checks that each frame fits the topic's family before it reaches a listener.
    return this.stream.subscribe(topic, after, listener as (frame: unknown) => void);
  }

  /**
   * Reconnects the stream now, for example after the user signed in again. A fresh start: a
   * token that still does not work is reported by `rc-token-expired` again.
   */
  reconnect(): void {
    this.tokenLapsed = false;
    this.stream.reconnect();
  }

  /** Closes the stream and drops every subscription. REST calls keep working. */
  close(): void {
    this.stream.close();
  }

  private async request<T>(
    method: string,
    path: string,
    schema: Schema<T>,
    options?: RequestOptions & { body?: unknown },
  ): Promise<T>;
  private async request(
    method: string,
    path: string,
    schema: null,
    options?: RequestOptions & { body?: unknown },
  ): Promise<void>;
  private async request(
    method: string,
    path: string,
    schema: Schema<unknown> | null,
    options: RequestOptions & { body?: unknown } = {},
  ): Promise<unknown> {
    const bearer = this.bearer;
    let token = bearer ? await this.currentToken(bearer) : undefined;
    let response = await this.send(method, path, options, token);
    if (response.status === 401 && bearer && token !== undefined) {
      // Expired or revoked: one fresh token, one retry. Retrying a write is safe here, because
      // the BFF refuses a request before it does anything with it.
      const fresh = await this.renewToken(bearer, token);
      if (fresh !== undefined) {
        await response.body?.cancel();
        token = fresh;
        response = await this.send(method, path, options, token);
      }
      if (response.status === 401) {
        this.tokenLapse('refused', 'The chat server refused the sign-in token this page gave it.', response.status);
      }
    }
    // `/config` answers even a refused token; `getConfig` judges that one.
    if (response.ok && token !== undefined && bearer === this.bearer && path !== '/config') this.tokenLapsed = false;
    const text = await response.text();
    let json: unknown;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!response.ok) {
      const body = ErrorBodySchema.safeParse(json);
      if (body.success)
        throw new RemoteChatError(body.data.error.code, body.data.error.message, response.status, body.data.error.data);
      const statusText = response.statusText ? ` ${response.statusText}` : '';
      throw new RemoteChatError(
        codeForStatus(response.status),
        `The chat server answered ${response.status}${statusText}.`,
        response.status,
      );
    }
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
    options: RequestOptions & { body?: unknown },
    token: string | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
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

  /** The token to send; a provider that fails is a lapse. */
  private async currentToken(bearer: BearerToken): Promise<string> {
    try {
      return await bearer.get();
    } catch (error) {
      throw this.refreshFailed(bearer, error);
    }
  }

  /** A new token after `stale` was refused; undefined when a fixed token cannot be replaced. */
  private async renewToken(bearer: BearerToken, stale: string): Promise<string | undefined> {
    try {
      return await bearer.renew(stale);
    } catch (error) {
      throw this.refreshFailed(bearer, error);
    }
  }

  private refreshFailed(bearer: BearerToken, error: unknown): TokenError {
    const failure = new TokenError(
      'refresh-failed',
      `This page could not get a sign-in token for the chat: ${describeError(error)}`,
      {
        cause: error,
      },
    );
    if (bearer === this.bearer) this.tokenLapse('refresh-failed', failure.message, error);
    return failure;
  }

  /** Fires `rc-token-expired`, once until a request succeeds again. */
  private tokenLapse(reason: TokenFailure, message: string, error: unknown): void {
    if (this.tokenLapsed) return;
    this.tokenLapsed = true;
    this.dispatchEvent(new RcTokenExpiredEvent({ reason, message, error }));
  }

  /** The stream's URL for one attempt: with a token, a fresh one-time ticket in the query. */
  private async streamUrl(): Promise<string> {
    const url = this.apiBase.replace(/^http/, 'ws') + '/stream';
    if (!this.bearer) return url;
    const { ticket } = await this.createStreamTicket();
    return `${url}?ticket=${encodeURIComponent(ticket)}`;
  }
}

/** The part of a zod schema the client uses; keeps zod itself out of this package's dependencies. */
interface Schema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: unknown };
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function pageQuery(options: PageOptions | undefined): string {
  const query = new URLSearchParams();
  if (options?.after !== undefined) query.set('after', String(options.after));
  if (options?.limit !== undefined) query.set('limit', String(options.limit));
  const s = query.toString();
  return s ? `?${s}` : '';
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
