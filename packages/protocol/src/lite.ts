// `@remote-chat/protocol/lite`: the protocol for browsers, without zod.
//
// The same constants as the main entry, and light checks under the same names as the REST and
// stream schemas the browser client parses (`ServerFrameSchema.safeParse(json)` works with
// either). Types are still the ones `z.infer` gives in the main entry: this file only imports them.
//
// Why: zod is most of the weight of a one-file browser bundle (about 40 KB gzip of it), and a
// browser gains little from re-checking every field of what its own BFF validated before storing.
// So the checks here are structural: a REST answer has the shape the client reads (objects, the
// arrays it iterates, the ids it keys on), and a stream frame has a known `type`, a topic and the
// fields its topic's listeners rely on (a seq, an event kind, an id). A frame from a buggy or
// hostile server that fails them is dropped, as with the full schema; content is never trusted
// to be safe anyway (agent text and output are untrusted and rendered as such).
import {
  AGENT_STATES,
  ERROR_CODES,
  EVENT_KIND_LIST,
  LINK_STATES,
  type LOG_KINDS,
  PERMISSION_ANSWERERS,
  PERMISSION_OPTION_KINDS,
  PLAN_ENTRY_STATUSES,
  RUNTIME_KINDS,
  RUNTIME_STATUSES,
  RUNTIME_STEPS,
  LIFECYCLE_STEPS,
  STEP_STATES,
} from './constants.js';
import { parseTopic, streamTopic } from './topics.js';
import type {
  AgentToken,
  AgentTokenListResponse,
  ApiToken,
  ApiTokenListResponse,
  ClientTokenResponse,
  CreatedAgentToken,
  CreatedApiToken,
  ConfigResponse,
  ErrorBody,
  EventKind,
  EventPageResponse,
  GitHubBranchPage,
  GitHubIssuePage,
  GitHubRepoPage,
  GitHubSignInErrorMessage,
  GitHubTokenMessage,
  GitHubUser,
  LogPageResponse,
  PermissionAnswerResponse,
  PushResponse,
  Runtime,
  RuntimeListResponse,
  SendMessageResponse,
  ServerFrame,
  StreamTicketResponse,
  Thread,
  ThreadEvent,
  ThreadListResponse,
  UploadedFile,
  UsageResponse,
} from './index.js';
import type { GITHUB_TOKEN_HEADER as GitHubTokenHeader } from './index.js';

export {
  AGENT_STATES,
  CLOSE_CODES,
  ERROR_CODES,
  LIMITS,
  LINK_STATES,
  PROTOCOL_VERSION,
  RUNTIME_KINDS,
  RUNTIME_STATUSES,
  RUNTIME_STEPS,
  LIFECYCLE_STEPS,
  STEP_STATES,
} from './constants.js';
export {
  SEQ_TOPIC_FAMILIES,
  TOPIC_FAMILIES,
  TOPIC_FRAME_TYPES,
  frameFits,
  isSeqFamily,
  parseTopic,
  streamTopic,
  topicFamily,
} from './topics.js';
export type * from './index.js';

/** The event kinds; the main entry derives the same list from `EventBodySchema`. */
export const EVENT_KINDS: EventKind[] = [...EVENT_KIND_LIST];
// Fails to compile if the list and the schema's kinds ever differ.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const kindsMatch: Same<(typeof EVENT_KIND_LIST)[number], EventKind> = true;
void kindsMatch;

/** Why a value failed a check: the path to the first field that did not fit. */
export class LiteCheckError extends Error {
  override readonly name = 'LiteCheckError';
}

/** What the client calls on a schema; a zod schema has the same method. */
export interface LiteSchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: LiteCheckError };
  parse(data: unknown): T;
}

/** A check returns the path of the first field that does not fit, or '' when all do. */
type Check = (value: unknown, path: string) => string;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str: Check = (v, p) => (typeof v === 'string' ? '' : p);
const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? '' : p);
const seq: Check = (v, p) => (Number.isInteger(v) && (v as number) >= 0 ? '' : p);
const bool: Check = (v, p) => (typeof v === 'boolean' ? '' : p);
const oneOf =
  (values: readonly string[]): Check =>
  (v, p) =>
    typeof v === 'string' && values.includes(v) ? '' : p;
const nullable =
  (check: Check): Check =>
  (v, p) =>
    v === null ? '' : check(v, p);
const optional =
  (check: Check): Check =>
  (v, p) =>
    v === undefined ? '' : check(v, p);
const array =
  (check: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return p;
    for (let i = 0; i < v.length; i++) {
      const bad = check(v[i], `${p}[${i}]`);
      if (bad) return bad;
    }
    return '';
  };
const object =
  (shape: Record<string, Check>): Check =>
  (v, p) => {
    if (!isObject(v)) return p;
    for (const key in shape) {
      const bad = shape[key]!(v[key], `${p}.${key}`);
      if (bad) return bad;
    }
    return '';
  };
/** An object whose `key` picks the checks of the rest. */
const tagged =
  (key: string, variants: Record<string, Record<string, Check>>): Check =>
  (v, p) => {
    if (!isObject(v)) return p;
    const tag = v[key];
    const shape = typeof tag === 'string' && Object.hasOwn(variants, tag) ? variants[tag] : undefined;
    return shape ? object(shape)(v, p) : `${p}.${key}`;
  };

function schema<T>(check: Check): LiteSchema<T> {
  const safeParse = (data: unknown) => {
    const bad = check(data, '$');
    return bad
      ? { success: false as const, error: new LiteCheckError(`${bad} does not match the protocol`) }
      : { success: true as const, data: data as T };
  };
  return {
    safeParse,
    parse(data) {
      const result = safeParse(data);
      if (!result.success) throw result.error;
      return result.data;
    },
  };
}

const runtime = object({
  id: str,
  name: str,
  kind: oneOf(RUNTIME_KINDS),
  provider: str,
  status: oneOf(RUNTIME_STATUSES),
  link: oneOf(LINK_STATES),
  repo: nullable(str),
  branch: nullable(str),
  agent: str,
  logSeq: seq,
  createdAt: str,
  updatedAt: str,
});
const thread = object({
  id: str,
  runtimeId: str,
  title: str,
  lastSeq: seq,
  createdAt: str,
  updatedAt: str,
  agents: optional(array(object({ id: str, label: str }))),
});
const user = object({ id: str, name: str });

/** Per kind, the fields a renderer reads without checking. */
const event = tagged('kind', {
  'message.user': { threadId: str, seq, at: str, clientId: str, text: str, agent: str },
  'message.delta': { threadId: str, seq, at: str, messageId: str, text: str },
  'message.agent': {
    threadId: str,
    seq,
    at: str,
    messageId: str,
    text: str,
    model: optional(str),
    usage: optional(object({ inputTokens: num, outputTokens: num })),
  },
  'tool.call': { threadId: str, seq, at: str, callId: str, tool: str, title: str },
  'tool.output': { threadId: str, seq, at: str, callId: str, stream: oneOf(['stdout', 'stderr']), data: str },
  'tool.result': { threadId: str, seq, at: str, callId: str, ok: bool, durationMs: num },
  'file.write': { threadId: str, seq, at: str, path: str, diff: str, created: bool, bytes: num },
  status: { threadId: str, seq, at: str, state: oneOf(AGENT_STATES), message: optional(str) },
  plan: {
    threadId: str,
    seq,
    at: str,
    entries: array(object({ content: str, status: oneOf(PLAN_ENTRY_STATUSES), priority: str })),
  },
  'permission.request': {
    threadId: str,
    seq,
    at: str,
    requestId: str,
    title: str,
    options: array(object({ optionId: str, name: str, kind: oneOf(PERMISSION_OPTION_KINDS) })),
  },
  'permission.answer': {
    threadId: str,
    seq,
    at: str,
    requestId: str,
    optionId: optional(str),
    by: oneOf(PERMISSION_ANSWERERS),
  },
});
const logEntry = tagged('kind', {
  step: {
    runtimeId: str,
    seq,
    at: str,
    step: oneOf([...RUNTIME_STEPS, ...LIFECYCLE_STEPS]),
    state: oneOf(STEP_STATES),
    durationMs: optional(num),
    detail: optional(str),
  },
  link: { runtimeId: str, seq, at: str, state: oneOf(LINK_STATES), detail: optional(str) },
  status: { runtimeId: str, seq, at: str, status: oneOf(RUNTIME_STATUSES), detail: optional(str) },
  error: { runtimeId: str, seq, at: str, message: str, hint: optional(str) },
} satisfies Record<(typeof LOG_KINDS)[number], Record<string, Check>>);

export const ErrorBodySchema = schema<ErrorBody>(object({ error: object({ code: oneOf(ERROR_CODES), message: str }) }));

export const RuntimeSchema = schema<Runtime>(runtime);
export const ThreadSchema = schema<Thread>(thread);
export const RuntimeListResponseSchema = schema<RuntimeListResponse>(object({ runtimes: array(runtime) }));
export const ThreadListResponseSchema = schema<ThreadListResponse>(object({ threads: array(thread) }));
export const EventPageResponseSchema = schema<EventPageResponse>(object({ events: array(event), lastSeq: seq }));
export const LogPageResponseSchema = schema<LogPageResponse>(object({ entries: array(logEntry), lastSeq: seq }));
export const SendMessageResponseSchema = schema<SendMessageResponse>(object({ event, created: bool }));
export const ConfigResponseSchema = schema<ConfigResponse>(
  object({
    protocol: num,
    user: nullable(user),
    providers: array(
      object({
        id: str,
        label: str,
        kind: oneOf(RUNTIME_KINDS),
        description: str,
        pausesWhenIdle: optional(bool),
      }),
    ),
    agents: array(object({ id: str, label: str, description: str })),
    github: object({ enabled: bool }),
    limits: object({ maxMessageChars: num, maxBodyBytes: num }),
  }),
);
export const ThreadEventSchema = schema<ThreadEvent>(event);
export const PermissionAnswerResponseSchema = schema<PermissionAnswerResponse>(object({ answer: event }));
export const UploadedFileSchema = schema<UploadedFile>(object({ path: str, bytes: num }));
const usageTotals = object({ inputTokens: num, outputTokens: num, requests: num });
export const UsageResponseSchema = schema<UsageResponse>(
  object({
    day: str,
    today: usageTotals,
    total: usageTotals,
    dailyTokens: nullable(num),
    models: array(object({ model: str, today: usageTotals, total: usageTotals })),
    threads: array(object({ threadId: str, runtimeId: str, today: usageTotals, total: usageTotals })),
  }),
);
export const ClientTokenResponseSchema = schema<ClientTokenResponse>(object({ token: str, expiresAt: str }));
const apiToken = object({ id: str, name: str, createdAt: str, expiresAt: nullable(str), lastUsedAt: nullable(str) });
export const ApiTokenSchema = schema<ApiToken>(apiToken);
export const ApiTokenListResponseSchema = schema<ApiTokenListResponse>(object({ tokens: array(apiToken) }));
export const CreatedApiTokenSchema = schema<CreatedApiToken>((v, p) => apiToken(v, p) || object({ token: str })(v, p));
const agentToken = object({ id: str, threadId: str, name: str, createdAt: str, lastUsedAt: nullable(str) });
export const AgentTokenSchema = schema<AgentToken>(agentToken);
export const AgentTokenListResponseSchema = schema<AgentTokenListResponse>(object({ tokens: array(agentToken) }));
export const CreatedAgentTokenSchema = schema<CreatedAgentToken>(
  (v, p) => agentToken(v, p) || object({ token: str })(v, p),
);
export const StreamTicketResponseSchema = schema<StreamTicketResponse>(object({ ticket: str, expiresAt: str }));

// GitHub through the BFF: the fields the repository selector, the issue picker and the push
// dialog read. The popup's messages are checked fully (their token is sent on as a header).
/** The main entry's constant (its type is the literal, so the two cannot differ). */
export const GITHUB_TOKEN_HEADER: typeof GitHubTokenHeader = 'x-github-token';
const page = (key: string, item: Check): Check => object({ [key]: array(item), nextPage: nullable(num) });
export const GitHubUserSchema = schema<GitHubUser>(
  object({ login: str, name: nullable(str), avatarUrl: nullable(str) }),
);
export const GitHubRepoPageSchema = schema<GitHubRepoPage>(
  page('repos', object({ fullName: str, description: nullable(str), private: bool, defaultBranch: str, htmlUrl: str })),
);
export const GitHubBranchPageSchema = schema<GitHubBranchPage>(page('branches', str));
export const GitHubIssuePageSchema = schema<GitHubIssuePage>(
  page('issues', object({ number: num, title: str, body: nullable(str), htmlUrl: str })),
);
export const PushResponseSchema = schema<PushResponse>(object({ branch: str, commit: str, pullRequestUrl: str }));
const githubToken: Check = (v, p) => (typeof v === 'string' && /^[A-Za-z0-9_.-]{1,512}$/.test(v) ? '' : p);
export const GitHubTokenMessageSchema = schema<GitHubTokenMessage>(
  object({ type: oneOf(['rc-github-token']), token: githubToken, expiresAt: nullable(str) }),
);
export const GitHubSignInErrorMessageSchema = schema<GitHubSignInErrorMessage>(
  object({ type: oneOf(['rc-github-error']), message: str }),
);

const topic: Check = (v, p) => (typeof v === 'string' && parseTopic(v) !== null ? '' : p);
const runtimesTopic = oneOf([streamTopic.runtimes]);

export const ServerFrameSchema = schema<ServerFrame>(
  tagged('type', {
    welcome: { protocol: num, user },
    event: { topic, event },
    events: { topic, events: (v, p) => (Array.isArray(v) && v.length > 0 ? array(event)(v, p) : p) },
    log: { topic, entry: logEntry },
    'caught-up': { topic, seq },
    runtimes: { topic: runtimesTopic, runtimes: array(runtime) },
    runtime: { topic: runtimesTopic, runtime },
    'runtime-removed': { topic: runtimesTopic, id: str },
    threads: { topic, threads: array(thread) },
    thread: { topic, thread },
    'thread-removed': { topic, id: str },
    error: { code: oneOf(ERROR_CODES), message: str, topic: optional(topic) },
    pong: { id: optional(num) },
  } satisfies Record<ServerFrame['type'], Record<string, Check>>),
);
