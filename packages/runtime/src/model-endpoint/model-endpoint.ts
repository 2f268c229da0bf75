import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIMITS, type InferenceApi, type InferenceRequest, type ModelInfo } from '@remote-chat/protocol';
import { sameSecret } from '../same-secret.js';
import { errorAnswer, sseEnd, sseError, sseFrame } from './api-shapes.js';
import { GatewayCallError, type GatewayClient } from './gateway-client.js';
import type { InProcessInference, ModelAccess, ModelEndpointAccess } from './model-access.js';

export interface ModelEndpointOptions {
  /** Where calls go: the runtime link's gateway channel. */
  gateway: GatewayClient;
  /** The models the BFF offers, latest list (from its `models` message). */
  models: () => readonly ModelInfo[];
  /** @default '127.0.0.1' */
  host?: string;
}

/** A running endpoint: what agents are given, and `close`. */
export interface ModelEndpoint extends ModelEndpointAccess {
  close(): Promise<void>;
}

/** The routes and the API each serves. */
const ROUTES: Record<string, InferenceApi> = {
  '/v1/chat/completions': 'openai-chat',
  '/v1/responses': 'openai-responses',
  '/v1/messages': 'anthropic-messages',
};

/** A request body leaves room in its gateway frame for the frame's own fields. */
const MAX_BODY_BYTES = LIMITS.maxGatewayFrameBytes - 16 * 1024;

/** Thread keys: `rc-th.<thread id>.<HMAC of the thread id under the runtime's secret>`. */
const THREAD_KEY_PREFIX = 'rc-th.';

/**
 * The runtime's keyless model endpoint: a loopback HTTP server that speaks the OpenAI chat
 * completions and responses APIs and the Anthropic messages API (and `GET /v1/models`) to the
 * agents this runtime hosts, and forwards each call as an `inference` request through the BFF's
 * execution gateway, which holds the keys. Streams come back as each API's SSE; errors in each
 * API's own shape and status. Only callers that present this runtime's random secret (Bearer or
 * `x-api-key`) get in; a client that hangs up cancels its call up to the upstream.
 */
export async function startModelEndpoint(options: ModelEndpointOptions): Promise<ModelEndpoint> {
  const secret = randomBytes(32);
  const runtimeKey = `rc-rt-${secret.toString('base64url')}`;
  const threadMac = (threadId: string) => createHmac('sha256', secret).update(threadId).digest('base64url');

  /** Who is calling: undefined for a stranger, else the thread its key names (null: the runtime's own key). */
  const caller = (req: IncomingMessage): { threadId: string | null } | undefined => {
    const key = presentedKey(req);
    if (key === undefined) return undefined;
    if (sameSecret(key, runtimeKey)) return { threadId: null };
    if (!key.startsWith(THREAD_KEY_PREFIX)) return undefined;
    const [threadId, mac] = key.slice(THREAD_KEY_PREFIX.length).split('.');
    return threadId && mac && sameSecret(mac, threadMac(threadId)) ? { threadId } : undefined;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `model endpoint: ${(error as Error).message}` } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://endpoint').pathname;
    const api = ROUTES[path] ?? (req.headers['anthropic-version'] ? 'anthropic-messages' : 'openai-chat');
    const who = caller(req);
    if (!who) {
      const refused = errorAnswer(api, 'unauthorized', "This is the runtime's model endpoint: present its key.");
      sendJson(res, 401, refused.body, refused.headers);
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, modelList(options.models(), req.headers['anthropic-version'] !== undefined));
      return;
    }
    if (req.method !== 'POST' || !ROUTES[path]) {
      const missing = errorAnswer(api, 'bad_request', `No route ${req.method} ${path} here.`);
      sendJson(res, 404, missing.body);
      return;
    }
    const body = await readJson(req);
    if (body === 'too large' || body === undefined) {
      const what = body === 'too large' ? `larger than ${MAX_BODY_BYTES} bytes` : 'not a JSON object';
      const answer = errorAnswer(api, 'bad_request', `The request body is ${what}.`);
      sendJson(res, body === 'too large' ? 413 : 400, answer.body);
      return;
    }
    if (typeof body.model !== 'string' || body.model === '') {
      const ids = options.models().map((model) => model.id);
      const answer = errorAnswer(
        api,
        'bad_request',
        `Name a model in "model": ${ids.join(', ') || 'none is configured'}.`,
      );
      sendJson(res, answer.status, answer.body);
      return;
    }
    await forward(res, api, {
      api,
      model: body.model,
      body,
      ...(who.threadId !== null && { threadId: who.threadId }),
    });
  }

  async function forward(res: ServerResponse, api: InferenceApi, request: InferenceRequest): Promise<void> {
    const streaming = request.body.stream === true;
    const hangUp = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) hangUp.abort();
    });
    const startStream = (): void => {
      if (res.headersSent) return;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
    };
    try {
      const reply = await options.gateway.request('inference', request, {
        signal: hangUp.signal,
        onNotification: (payload) => {
          if (!streaming || res.destroyed) return;
          // The status line waits for the first event, so an early refusal keeps its own status.
          startStream();
          res.write(sseFrame(api, payload));
        },
      });
      if (!streaming) {
        sendJson(res, 200, reply);
        return;
      }
      startStream();
      res.end(sseEnd(api));
    } catch (error) {
      if (hangUp.signal.aborted) return;
      const failure =
        error instanceof GatewayCallError ? error : new GatewayCallError('unavailable', (error as Error).message);
      if (res.headersSent) {
        res.end(sseError(api, failure.code, failure.message));
        return;
      }
      const answer = errorAnswer(api, failure.code, failure.message, failure.retryAfterMs);
      sendJson(res, answer.status, answer.body, answer.headers);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const baseUrl = `http://${address}:${port}`;
  const access = (apiKey: string, threadId?: string): ModelAccess => ({
    baseUrl,
    apiKey,
    models: options.models,
    inProcess: inProcessInference(options.gateway, threadId),
  });
  return {
    ...access(runtimeKey),
    forThread: (threadId) => access(`${THREAD_KEY_PREFIX}${threadId}.${threadMac(threadId)}`, threadId),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The endpoint's calls in process (ModelAccess.inProcess), counted for `threadId` when given. */
function inProcessInference(gateway: GatewayClient, threadId: string | undefined): InProcessInference {
  return {
    stream: (api, body, signal) =>
      inferenceEvents(gateway, { api, model: String(body.model), body, ...(threadId && { threadId }) }, signal),
  };
}

/**
 * A streamed inference call's events as they come (Anthropic's `{event, data}` notifications
 * unwrapped to the event, as its client yields them), then the end, or the call's error. A
 * consumer that stops early cancels the call.
 */
async function* inferenceEvents(
  gateway: GatewayClient,
  request: InferenceRequest,
  signal: AbortSignal,
): AsyncGenerator<unknown> {
  const anthropic = request.api === 'anthropic-messages';
  const cancel = new AbortController();
  const onAbort = (): void => cancel.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) cancel.abort();
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  let outcome: { error?: unknown } | undefined;
  gateway
    .request('inference', request, {
      signal: cancel.signal,
      onNotification: (payload) => {
        queue.push(anthropic && isRecord(payload) ? payload.data : payload);
        wake?.();
      },
    })
    .then(
      () => {
        outcome = {};
        wake?.();
      },
      (error: unknown) => {
        outcome = { error };
        wake?.();
      },
    );
  try {
    for (let next = 0; ; ) {
      if (next < queue.length) {
        const event = queue[next];
        queue[next++] = undefined;
        yield event;
      } else if (outcome) {
        if ('error' in outcome) throw outcome.error;
        return;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!outcome) cancel.abort();
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `GET /v1/models` in the OpenAI shape, or the Anthropic one for an Anthropic client. */
function modelList(models: readonly ModelInfo[], anthropic: boolean): unknown {
  if (anthropic) {
    const data = models.map((model) => ({
      type: 'model',
      id: model.id,
      display_name: model.label,
      created_at: '1970-01-01T00:00:00Z',
    }));
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }
  return {
    object: 'list',
    data: models.map((model) => ({ id: model.id, object: 'model', created: 0, owned_by: 'remote-chat' })),
  };
}

function presentedKey(req: IncomingMessage): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const header = req.headers['x-api-key'];
  return bearer ?? (typeof header === 'string' ? header : undefined);
}

/** The body as a JSON object; 'too large' past the limit (the rest is not read), undefined if not an object. */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | 'too large' | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) return 'too large';
    chunks.push(chunk);
  }
  try {
    const json: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
