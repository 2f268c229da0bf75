import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

/**
 * A scripted model server for tests: one loopback HTTP server that speaks the OpenAI chat
 * completions API (`POST /v1/chat/completions`), the OpenAI responses API (`POST /v1/responses`)
 * and the Anthropic messages API (`POST /v1/messages`), streaming (SSE, as each API's docs define
 * it) or not, with tool calls, usage figures and each API's error answers. Every request is
 * recorded, so a test can check the history an agent sent.
 *
 * Each request takes the next scripted turn from a queue (`script`), or the default turn when the
 * queue is empty (`setDefault`; without one the stub answers 500 in the API's error shape, naming
 * the request, so a missing turn fails loudly instead of hanging).
 *
 * @example
 * const stub = await startModelStub();
 * stub.script(
 *   { toolCalls: [{ name: 'read_file', arguments: { path: 'sum.js' } }] },
 *   { text: ['The bug was ', 'an off-by-one.'], usage: { inputTokens: 120, outputTokens: 9 } },
 * );
 * const openai = new OpenAI({ baseURL: stub.openaiBaseUrl, apiKey: 'any' });
 * const anthropic = new Anthropic({ baseURL: stub.anthropicBaseUrl, apiKey: 'any' });
 */
export interface ModelStub {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The base URL for OpenAI clients: `${url}/v1`. */
  readonly openaiBaseUrl: string;
  /** The base URL for Anthropic clients: `url` (the client adds `/v1/messages`). */
  readonly anthropicBaseUrl: string;
  /** Every model request received (`POST`s), in arrival order. */
  readonly requests: readonly StubRequest[];
  /** Queues turns; each request takes the next one. */
  script(...turns: StubScript[]): void;
  /** The turn for requests that find the queue empty (a function answers every such request). */
  setDefault(turn: StubScript | undefined): void;
  /** Scripted turns not yet taken. */
  readonly pending: number;
  /** Resolves with the `count`-th request (1-based) once it has arrived. */
  waitForRequest(count: number, timeoutMs?: number): Promise<StubRequest>;
  close(): Promise<void>;
}

export type StubApi = 'openai-chat' | 'openai-responses' | 'anthropic-messages';

/** One request the stub received. */
export interface StubRequest {
  readonly api: StubApi;
  /** The parsed JSON body, as the client sent it. */
  readonly body: StubBody;
  readonly headers: IncomingHttpHeaders;
  /** `body.model`. */
  readonly model: string;
  /** `body.stream === true`. */
  readonly stream: boolean;
  /**
   * Every string in the request's conversation (messages or input, system or instructions, tool
   * results), in order: `texts.some((t) => t.includes('earlier question'))` checks the history.
   */
  readonly texts: readonly string[];
  /** The API key the client presented (Bearer token or `x-api-key`). */
  readonly apiKey: string | undefined;
  /** True once the client hung up before the answer ended (a Stop). */
  readonly aborted: boolean;
  /** Settles when the answer ended: `complete`, or `aborted` when the client hung up first. */
  readonly ended: Promise<'complete' | 'aborted'>;
}

/** A request body: JSON from the client, read loosely. */
export type StubBody = Record<string, unknown>;

/** A scripted turn, or a function of the request that returns one. */
export type StubScript = StubTurn | ((request: StubRequest) => StubTurn | Promise<StubTurn>);

export type StubTurn = StubAnswer | StubFailure;

/** A model answer: text (streamed as the given chunks), then tool calls. */
export interface StubAnswer {
  /** The answer's text; a string is one chunk. */
  text?: string | readonly StubChunk[];
  /** Tool calls after the text. */
  toolCalls?: readonly StubToolCall[];
  /** Token figures reported. @default estimated at about four characters a token */
  usage?: { inputTokens: number; outputTokens: number };
  /** Milliseconds before the answer's status line is sent (time to first byte). @default 0 */
  delayMs?: number;
}

/** A piece of streamed text, optionally after a pause (milliseconds). */
export type StubChunk = string | { text: string; delayMs: number };

export interface StubToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** The call id. @default `call_<n>` (OpenAI) or `toolu_<n>` (Anthropic) */
  id?: string;
  /** Milliseconds before the call starts streaming. @default 0 */
  delayMs?: number;
}

/** An error answer, in the API's own error shape and HTTP status. */
export interface StubFailure {
  error: StubErrorKind;
  /** Replaces the API's usual message. */
  message?: string;
  /** For `rate_limited`: the `retry-after` header, in seconds. @default 1 */
  retryAfterSeconds?: number;
}

/**
 * `unauthorized` 401 (a refused key); `rate_limited` 429 with `retry-after`; `server_error` 500;
 * `overloaded` 529 (Anthropic) or 503 (OpenAI); `context_overflow` 400 with the API's
 * context-length error.
 */
export type StubErrorKind = 'unauthorized' | 'rate_limited' | 'server_error' | 'overloaded' | 'context_overflow';

export interface ModelStubOptions {
  /** When set, requests presenting another key (Bearer or `x-api-key`) get a 401. */
  apiKey?: string;
  /** Ids `GET /v1/models` lists. @default ['stub-model'] */
  models?: readonly string[];
}

/** A long answer streamed slowly: `count` chunks of `chunk`, `intervalMs` apart (for Stop tests). */
export function slowAnswer(count = 600, intervalMs = 50, chunk = 'word '): StubAnswer {
  return { text: Array.from({ length: count }, () => ({ text: chunk, delayMs: intervalMs })) };
}

/** Starts a stub on 127.0.0.1 and a free port. */
export async function startModelStub(options: ModelStubOptions = {}): Promise<ModelStub> {
  const requests: StubRequest[] = [];
  const queue: StubScript[] = [];
  const arrivals: Array<() => void> = [];
  let fallback: StubScript | undefined;
  let callCount = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `model stub: ${String(error)}` } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const api = apiOf(req.method, path);
    const presented = presentedKey(req.headers);
    if (req.method === 'GET' && path === '/v1/models') {
      const ids = options.models ?? ['stub-model'];
      if (req.headers['anthropic-version']) {
        const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
        sendJson(res, 200, { data, has_more: false, first_id: ids[0] ?? null, last_id: ids.at(-1) ?? null });
      } else {
        sendJson(res, 200, {
          object: 'list',
          data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'stub' })),
        });
      }
      return;
    }
    if (!api) {
      sendJson(res, 404, { error: { message: `model stub: no route ${req.method} ${path}`, type: 'not_found' } });
      return;
    }
    const raw = await readBody(req);
    let body: StubBody;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as StubBody;
    } catch {
      sendFailure(res, api, 400, 'invalid_request', 'The request body is not a JSON object.');
      return;
    }

    let ended!: (how: 'complete' | 'aborted') => void;
    const record = {
      api,
      body,
      headers: req.headers,
      model: typeof body.model === 'string' ? body.model : '',
      stream: body.stream === true,
      texts: conversationTexts(api, body),
      apiKey: presented,
      aborted: false,
      ended: new Promise<'complete' | 'aborted'>((resolve) => (ended = resolve)),
    };
    requests.push(record);
    for (const wake of arrivals.splice(0)) wake();
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
      ended(record.aborted ? 'aborted' : 'complete');
    });

    if (options.apiKey !== undefined && presented !== options.apiKey) {
      sendError(res, api, { error: 'unauthorized' });
      return;
    }
    const invalid = historyProblem(api, body);
    if (invalid) {
      sendFailure(res, api, 400, 'invalid_request', invalid);
      return;
    }
    const script = queue.shift() ?? fallback;
    if (!script) {
      const message = `model stub: no scripted turn left for request ${requests.length} (${api})`;
      sendFailure(res, api, 500, 'server', message);
      return;
    }
    const turn = typeof script === 'function' ? await script(record) : script;
    if ('error' in turn) {
      sendError(res, api, turn);
      return;
    }
    const aborted = () => record.aborted || res.destroyed;
    await pause(turn.delayMs ?? 0, aborted);
    if (aborted()) return;
    const answer = normalise(turn, body, api, () => ++callCount);
    if (!record.stream) {
      sendJson(res, 200, wholeAnswer(api, answer));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    for (const step of streamEvents(api, answer, includeUsage)) {
      if (step.delayMs) await pause(step.delayMs, aborted);
      if (aborted()) return;
      res.write(step.frame);
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    requests,
    script: (...turns) => queue.push(...turns),
    setDefault: (turn) => (fallback = turn),
    get pending() {
      return queue.length;
    },
    async waitForRequest(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`model stub: ${requests.length} requests after ${timeoutMs} ms, waited for ${count}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          arrivals.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const request = requests[count - 1];
      if (!request) throw new Error(`model stub: no request ${count}`);
      return request;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function apiOf(method: string | undefined, path: string): StubApi | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v1/chat/completions' || path === '/chat/completions') return 'openai-chat';
  if (path === '/v1/responses' || path === '/responses') return 'openai-responses';
  if (path === '/v1/messages') return 'anthropic-messages';
  return undefined;
}

function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
  const header = headers['x-api-key'];
  return bearer ?? (typeof header === 'string' ? header : undefined);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Waits `ms`, waking early (every 10 ms check) once `stop()` says the client has gone. */
async function pause(ms: number, stop: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!stop() && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(10, until - Date.now())));
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

// ---------------------------------------------------------------------------------------------
// Errors, in each API's shape

type FailureClass = 'invalid_request' | 'auth' | 'rate_limit' | 'server' | 'overloaded';

function sendError(res: ServerResponse, api: StubApi, failure: StubFailure): void {
  const { status, kind, message, headers, code } = errorAnswer(api, failure);
  sendFailure(res, api, status, kind, failure.message ?? message, headers, code);
}

function errorAnswer(
  api: StubApi,
  failure: StubFailure,
): { status: number; kind: FailureClass; message: string; headers?: Record<string, string>; code?: string } {
  const anthropic = api === 'anthropic-messages';
  switch (failure.error) {
    case 'unauthorized':
      return { status: 401, kind: 'auth', message: anthropic ? 'invalid x-api-key' : 'Incorrect API key provided.' };
    case 'rate_limited':
      return {
        status: 429,
        kind: 'rate_limit',
        message: 'Rate limit reached for requests. Please try again later.',
        headers: { 'retry-after': String(failure.retryAfterSeconds ?? 1) },
      };
    case 'server_error':
      return {
        status: 500,
        kind: 'server',
        message: anthropic
          ? 'Internal server error'
          : 'The server had an error while processing your request. Sorry about that!',
      };
    case 'overloaded':
      return { status: anthropic ? 529 : 503, kind: 'overloaded', message: 'Overloaded' };
    case 'context_overflow':
      return {
        status: 400,
        kind: 'invalid_request',
        code: 'context_length_exceeded',
        message: anthropic
          ? 'prompt is too long: 212345 tokens > 200000 maximum'
          : api === 'openai-responses'
            ? 'Your input exceeds the context window of this model. Please adjust your input and try again.'
            : "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
      };
  }
}

function sendFailure(
  res: ServerResponse,
  api: StubApi,
  status: number,
  kind: FailureClass,
  message: string,
  headers: Record<string, string> = {},
  openaiCode?: string,
): void {
  const requestId = `req_${randomUUID().replaceAll('-', '')}`;
  if (api === 'anthropic-messages') {
    const type = {
      invalid_request: 'invalid_request_error',
      auth: 'authentication_error',
      rate_limit: 'rate_limit_error',
      server: 'api_error',
      overloaded: 'overloaded_error',
    } as const satisfies Record<FailureClass, Anthropic.ErrorType>;
    const body = {
      type: 'error',
      error: { type: type[kind], message },
      request_id: requestId,
    } satisfies Anthropic.ErrorResponse;
    sendJson(res, status, body, { ...headers, 'request-id': requestId });
    return;
  }
  const type = {
    invalid_request: 'invalid_request_error',
    auth: 'invalid_request_error',
    rate_limit: 'requests',
    server: 'server_error',
    overloaded: 'server_error',
  }[kind];
  const code =
    openaiCode ??
    {
      invalid_request: null,
      auth: 'invalid_api_key',
      rate_limit: 'rate_limit_exceeded',
      server: null,
      overloaded: null,
    }[kind];
  const param = openaiCode ? (api === 'openai-responses' ? 'input' : 'messages') : null;
  sendJson(res, status, { error: { message, type, param, code } }, { ...headers, 'x-request-id': requestId });
}

// ---------------------------------------------------------------------------------------------
// What the request says

/** Every string of the conversation, depth first, in order. */
function conversationTexts(api: StubApi, body: StubBody): string[] {
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value && typeof value === 'object') for (const item of Object.values(value)) walk(item);
  };
  if (api === 'openai-responses') walk([body.instructions, body.input]);
  else if (api === 'anthropic-messages') walk([body.system, body.messages]);
  else walk(body.messages);
  return texts;
}

type Loose = Record<string, unknown>;
const isLoose = (value: unknown): value is Loose => !!value && typeof value === 'object' && !Array.isArray(value);
const array = (value: unknown): Loose[] => (Array.isArray(value) ? value.filter(isLoose) : []);

/**
 * The checks the real APIs make on a conversation's tool calls, which an agent that rebuilds its
 * history can get wrong: every tool call answered by a result with its id, before anything else,
 * and (Anthropic) user and assistant turns alternating from a user turn.
 */
function historyProblem(api: StubApi, body: StubBody): string | undefined {
  if (api === 'openai-chat') {
    const messages = array(body.messages);
    if (messages.length === 0) return "'messages' must be a non-empty array.";
    let i = 0;
    while (i < messages.length) {
      const message = messages[i++] as Loose;
      if (message.role === 'tool') {
        return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.";
      }
      const calls = array(message.tool_calls);
      const answered = new Set<unknown>();
      while (calls.length > 0 && messages[i]?.role === 'tool') answered.add(messages[i++]?.tool_call_id);
      const missing = calls.find((call) => !answered.has(call.id));
      if (missing) {
        return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${String(missing.id)}`;
      }
    }
    return undefined;
  }
  if (api === 'openai-responses') {
    const items = typeof body.input === 'string' ? [] : array(body.input);
    const outputs = new Set(items.filter((item) => item.type === 'function_call_output').map((item) => item.call_id));
    const calls = new Set(items.filter((item) => item.type === 'function_call').map((item) => item.call_id));
    for (const id of calls) if (!outputs.has(id)) return `No tool output found for function call ${String(id)}.`;
    for (const id of outputs)
      if (!calls.has(id)) return `No tool call found for function call output with call_id ${String(id)}.`;
    return undefined;
  }
  const messages = array(body.messages);
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (messages.length === 0) return 'messages: at least one message is required';
  for (const [i, message] of messages.entries()) {
    const expected = i % 2 === 0 ? 'user' : 'assistant';
    if (message.role !== expected)
      return `messages: roles must alternate between "user" and "assistant", starting with "user" (message ${i})`;
    const uses = array(message.content).filter((block) => block.type === 'tool_use');
    if (uses.length === 0) continue;
    const results = new Set(
      array(messages[i + 1]?.content)
        .filter((b) => b.type === 'tool_result')
        .map((b) => b.tool_use_id),
    );
    const missing = uses.find((use) => !results.has(use.id));
    if (missing) {
      return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${String(missing.id)}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Answers

interface Answer {
  id: string;
  model: string;
  chunks: Array<{ text: string; delayMs: number }>;
  text: string;
  calls: Array<{ id: string; name: string; arguments: string; delayMs: number }>;
  usage: { inputTokens: number; outputTokens: number };
  created: number;
}

function normalise(turn: StubAnswer, body: StubBody, api: StubApi, nextCall: () => number): Answer {
  const pieces = typeof turn.text === 'string' ? [turn.text] : (turn.text ?? []);
  const chunks = pieces.map((piece) => (typeof piece === 'string' ? { text: piece, delayMs: 0 } : piece));
  const text = chunks.map((chunk) => chunk.text).join('');
  const prefix = api === 'anthropic-messages' ? 'toolu_' : 'call_';
  const calls = (turn.toolCalls ?? []).map((call) => ({
    id: call.id ?? `${prefix}${nextCall()}`,
    name: call.name,
    arguments: JSON.stringify(call.arguments),
    delayMs: call.delayMs ?? 0,
  }));
  const estimate = (chars: number) => Math.max(1, Math.ceil(chars / 4));
  const usage = turn.usage ?? {
    inputTokens: estimate(JSON.stringify(body).length),
    outputTokens: estimate(text.length + calls.reduce((sum, call) => sum + call.arguments.length, 0)),
  };
  const idPrefix = { 'openai-chat': 'chatcmpl-', 'openai-responses': 'resp_', 'anthropic-messages': 'msg_' }[api];
  return {
    id: `${idPrefix}${randomUUID().replaceAll('-', '')}`,
    model: typeof body.model === 'string' ? body.model : 'stub-model',
    chunks,
    text,
    calls,
    usage,
    created: Math.floor(Date.now() / 1000),
  };
}

/** Splits tool arguments in two, so clients must put streamed arguments together. */
function halves(text: string): string[] {
  const middle = Math.ceil(text.length / 2);
  return [text.slice(0, middle), text.slice(middle)].filter((part) => part.length > 0);
}

function wholeAnswer(api: StubApi, answer: Answer): unknown {
  if (api === 'openai-chat') return chatCompletion(answer);
  if (api === 'openai-responses') return responseObject(answer, 'completed', responseOutput(answer));
  return anthropicMessage(answer, anthropicContent(answer), answer.calls.length > 0 ? 'tool_use' : 'end_turn');
}

interface StreamStep {
  frame: string;
  delayMs?: number;
}

function* streamEvents(api: StubApi, answer: Answer, includeUsage: boolean): Generator<StreamStep> {
  if (api === 'openai-chat') yield* chatStream(answer, includeUsage);
  else if (api === 'openai-responses') yield* responsesStream(answer);
  else yield* anthropicStream(answer);
}

// OpenAI chat completions -----------------------------------------------------------------------

function chatUsage(answer: Answer): OpenAI.CompletionUsage {
  const { inputTokens, outputTokens } = answer.usage;
  return { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
}

function chatCompletion(answer: Answer): OpenAI.Chat.ChatCompletion {
  const toolCalls = answer.calls.map(
    (call): OpenAI.Chat.ChatCompletionMessageFunctionToolCall => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }),
  );
  return {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.text || (toolCalls.length > 0 ? null : ''),
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: chatUsage(answer),
  };
}

function* chatStream(answer: Answer, includeUsage: boolean): Generator<StreamStep> {
  const chunk = (
    choices: OpenAI.Chat.ChatCompletionChunk['choices'],
    usage?: OpenAI.CompletionUsage,
  ): OpenAI.Chat.ChatCompletionChunk => ({
    id: answer.id,
    object: 'chat.completion.chunk',
    created: answer.created,
    model: answer.model,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const delta = (
    d: OpenAI.Chat.ChatCompletionChunk.Choice.Delta,
    finish: OpenAI.Chat.ChatCompletionChunk.Choice['finish_reason'] = null,
  ) => chunk([{ index: 0, delta: d, finish_reason: finish, logprobs: null }]);
  const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

  yield { frame: data(delta({ role: 'assistant', content: '', refusal: null })) };
  for (const piece of answer.chunks) yield { frame: data(delta({ content: piece.text })), delayMs: piece.delayMs };
  for (const [index, call] of answer.calls.entries()) {
    const start = { index, id: call.id, type: 'function' as const, function: { name: call.name, arguments: '' } };
    yield { frame: data(delta({ tool_calls: [start] })), delayMs: call.delayMs };
    for (const part of halves(call.arguments))
      yield { frame: data(delta({ tool_calls: [{ index, function: { arguments: part } }] })) };
  }
  yield { frame: data(delta({}, answer.calls.length > 0 ? 'tool_calls' : 'stop')) };
  if (includeUsage) yield { frame: data(chunk([], chatUsage(answer))) };
  yield { frame: 'data: [DONE]\n\n' };
}

// OpenAI responses ------------------------------------------------------------------------------

type ResponseObject = Omit<OpenAI.Responses.Response, 'output_text'>;

function responseObject(
  answer: Answer,
  status: 'in_progress' | 'completed',
  output: OpenAI.Responses.ResponseOutputItem[],
): ResponseObject {
  const { inputTokens, outputTokens } = answer.usage;
  return {
    id: answer.id,
    object: 'response',
    created_at: answer.created,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    model: answer.model,
    output,
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    ...(status === 'completed'
      ? {
          usage: {
            input_tokens: inputTokens,
            input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
            output_tokens: outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: inputTokens + outputTokens,
          },
        }
      : {}),
  };
}

function responseMessage(answer: Answer, status: 'in_progress' | 'completed'): OpenAI.Responses.ResponseOutputMessage {
  const content: OpenAI.Responses.ResponseOutputText[] =
    status === 'completed' ? [{ type: 'output_text', text: answer.text, annotations: [], logprobs: [] }] : [];
  return { id: `msg_${answer.id.slice(5)}`, type: 'message', role: 'assistant', status, content };
}

function responseCall(
  call: Answer['calls'][number],
  status: 'in_progress' | 'completed',
): OpenAI.Responses.ResponseFunctionToolCall {
  const args = status === 'completed' ? call.arguments : '';
  return { id: `fc_${call.id}`, type: 'function_call', call_id: call.id, name: call.name, arguments: args, status };
}

function responseOutput(answer: Answer): OpenAI.Responses.ResponseOutputItem[] {
  const message = answer.text || answer.calls.length === 0 ? [responseMessage(answer, 'completed')] : [];
  return [...message, ...answer.calls.map((call) => responseCall(call, 'completed'))];
}

function* responsesStream(answer: Answer): Generator<StreamStep> {
  let sequence = 0;
  const event = (
    value:
      | OpenAI.Responses.ResponseStreamEvent
      | DistributiveOmit<OpenAI.Responses.ResponseStreamEvent, 'sequence_number'>,
  ) => {
    const full = { ...value, sequence_number: sequence++ };
    return `event: ${value.type}\ndata: ${JSON.stringify(full)}\n\n`;
  };
  // The wire object has no `output_text`: that is the SDK's convenience, added on the client.
  const inProgress = responseObject(answer, 'in_progress', []) as OpenAI.Responses.Response;
  yield { frame: event({ type: 'response.created', response: inProgress }) };
  yield { frame: event({ type: 'response.in_progress', response: inProgress }) };
  let outputIndex = 0;
  if (answer.text || answer.calls.length === 0) {
    const item_id = responseMessage(answer, 'in_progress').id;
    const output_index = outputIndex++;
    yield {
      frame: event({ type: 'response.output_item.added', output_index, item: responseMessage(answer, 'in_progress') }),
    };
    const emptyPart = { type: 'output_text' as const, text: '', annotations: [], logprobs: [] };
    yield {
      frame: event({ type: 'response.content_part.added', item_id, output_index, content_index: 0, part: emptyPart }),
    };
    for (const piece of answer.chunks) {
      const delta = {
        type: 'response.output_text.delta' as const,
        item_id,
        output_index,
        content_index: 0,
        delta: piece.text,
        logprobs: [],
      };
      yield { frame: event(delta), delayMs: piece.delayMs };
    }
    yield {
      frame: event({
        type: 'response.output_text.done',
        item_id,
        output_index,
        content_index: 0,
        text: answer.text,
        logprobs: [],
      }),
    };
    const part = { ...emptyPart, text: answer.text };
    yield { frame: event({ type: 'response.content_part.done', item_id, output_index, content_index: 0, part }) };
    yield {
      frame: event({ type: 'response.output_item.done', output_index, item: responseMessage(answer, 'completed') }),
    };
  }
  for (const call of answer.calls) {
    const output_index = outputIndex++;
    const item_id = `fc_${call.id}`;
    yield {
      frame: event({ type: 'response.output_item.added', output_index, item: responseCall(call, 'in_progress') }),
      delayMs: call.delayMs,
    };
    for (const delta of halves(call.arguments)) {
      yield { frame: event({ type: 'response.function_call_arguments.delta', item_id, output_index, delta }) };
    }
    const done = {
      type: 'response.function_call_arguments.done' as const,
      item_id,
      output_index,
      name: call.name,
      arguments: call.arguments,
    };
    yield { frame: event(done) };
    yield { frame: event({ type: 'response.output_item.done', output_index, item: responseCall(call, 'completed') }) };
  }
  const completed = responseObject(answer, 'completed', responseOutput(answer)) as OpenAI.Responses.Response;
  yield { frame: event({ type: 'response.completed', response: completed }) };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

// Anthropic messages ----------------------------------------------------------------------------

function anthropicUsage(inputTokens: number, outputTokens: number): Anthropic.Usage {
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation: null,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
    speed: null,
  };
}

function anthropicContent(answer: Answer): Anthropic.ContentBlock[] {
  const text: Anthropic.TextBlock[] = answer.text ? [{ type: 'text', text: answer.text, citations: null }] : [];
  return [...text, ...answer.calls.map((call) => toolUse(call, JSON.parse(call.arguments)))];
}

function toolUse(call: Answer['calls'][number], input: unknown): Anthropic.ToolUseBlock {
  return { type: 'tool_use', id: call.id, name: call.name, input, caller: { type: 'direct' } };
}

function anthropicMessage(
  answer: Answer,
  content: Anthropic.ContentBlock[],
  stopReason: Anthropic.StopReason | null,
): Anthropic.Message {
  const outputTokens = stopReason ? answer.usage.outputTokens : 1;
  return {
    id: answer.id,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content,
    container: null,
    diagnostics: null,
    stop_details: null,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: anthropicUsage(answer.usage.inputTokens, outputTokens),
  };
}

function* anthropicStream(answer: Answer): Generator<StreamStep> {
  const event = (value: Anthropic.RawMessageStreamEvent | { type: 'ping' }) =>
    `event: ${value.type}\ndata: ${JSON.stringify(value)}\n\n`;
  yield { frame: event({ type: 'message_start', message: anthropicMessage(answer, [], null) }) };
  yield { frame: event({ type: 'ping' }) };
  let index = 0;
  if (answer.text) {
    const block = index++;
    yield {
      frame: event({
        type: 'content_block_start',
        index: block,
        content_block: { type: 'text', text: '', citations: null },
      }),
    };
    for (const piece of answer.chunks) {
      if (!piece.text) continue;
      yield {
        frame: event({ type: 'content_block_delta', index: block, delta: { type: 'text_delta', text: piece.text } }),
        delayMs: piece.delayMs,
      };
    }
    yield { frame: event({ type: 'content_block_stop', index: block }) };
  }
  for (const call of answer.calls) {
    const block = index++;
    yield {
      frame: event({ type: 'content_block_start', index: block, content_block: toolUse(call, {}) }),
      delayMs: call.delayMs,
    };
    for (const partial_json of halves(call.arguments)) {
      yield {
        frame: event({ type: 'content_block_delta', index: block, delta: { type: 'input_json_delta', partial_json } }),
      };
    }
    yield { frame: event({ type: 'content_block_stop', index: block }) };
  }
  const stop_reason = answer.calls.length > 0 ? 'tool_use' : 'end_turn';
  const usage: Anthropic.MessageDeltaUsage = {
    input_tokens: answer.usage.inputTokens,
    output_tokens: answer.usage.outputTokens,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
    output_tokens_details: null,
    server_tool_use: null,
  };
  yield {
    frame: event({
      type: 'message_delta',
      delta: { stop_reason, stop_sequence: null, container: null, stop_details: null },
      usage,
    }),
  };
  yield { frame: event({ type: 'message_stop' }) };
}
