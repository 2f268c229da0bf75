import {
  ConfigResponseSchema,
  ErrorBodySchema,
  EventPageResponseSchema,
  LogPageResponseSchema,
  RuntimeListResponseSchema,
  RuntimeSchema,
  SendMessageResponseSchema,
  ThreadListResponseSchema,
  ThreadSchema,
  type ConfigResponse,
  type CreateRuntimeRequest,
  type CreateThreadRequest,
  type EventPageResponse,
  type LogPageResponse,
  type Runtime,
  type SendMessageRequest,
  type SendMessageResponse,
  type Thread,
  type Topic,
} from '@remote-chat/protocol';
import { newClientId } from './client-id.js';
import { RcConnectionChangeEvent, type ConnectionStatus } from './connection-status.js';
import { RemoteChatError, TransportError, codeForStatus, isRetryable } from './errors.js';
import { StreamConnection } from './stream-connection.js';
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
 */
export class RemoteChatClient extends EventTarget {
  /** The BFF origin (and prefix) this client talks to, without a trailing slash. */
  readonly bffUrl: string;
  private readonly apiBase: string;
  private readonly fetchFn: typeof fetch;
  private readonly stream: StreamConnection;

  constructor(options: RemoteChatClientOptions = {}) {
    super();
    const origin = options.bffUrl ?? globalThis.location?.origin;
    if (!origin) throw new TypeError('RemoteChatClient: bffUrl is required outside a browser page');
    this.bffUrl = origin.replace(/\/+$/, '');
    this.apiBase = this.bffUrl + '/' + (options.apiPath ?? '/api').replace(/^\/+|\/+$/g, '');
    const fetchFn = options.fetch ?? globalThis.fetch;
    this.fetchFn = (input, init) => fetchFn(input, init);
    this.stream = new StreamConnection({
      url: () => this.apiBase.replace(/^http/, 'ws') + '/stream',
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

  /** `GET /api/config`: what this BFF offers, and who is signed in (`user` is null if nobody). */
  getConfig(options?: RequestOptions): Promise<ConfigResponse> {
    return this.request('GET', '/config', ConfigResponseSchema, options);
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
  async sendMessage(threadId: string, message: OutgoingMessage, options?: RequestOptions): Promise<SendMessageResponse> {
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

  /** Reconnects the stream now, for example after the user signed in again. */
  reconnect(): void {
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
    const init: RequestInit = {
      method,
      credentials: 'include',
      headers: options.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    if (options.signal) init.signal = options.signal;
    let response: Response;
    try {
      response = await this.fetchFn(this.apiBase + path, init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new TransportError('network', `Could not reach the chat server (${method} ${path}).`, { cause: error });
    }
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
      if (body.success) throw new RemoteChatError(body.data.error.code, body.data.error.message, response.status, body.data.error.data);
      const statusText = response.statusText ? ` ${response.statusText}` : '';
      throw new RemoteChatError(codeForStatus(response.status), `The chat server answered ${response.status}${statusText}.`, response.status);
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

