// The values of the protocol that are not schemas: versions, limits, codes and the lists that
// enums are made of. No zod here, so that a browser bundle can import them (and `lite.ts`)
// without pulling zod in; the schema modules build their enums from these lists.

/** The version of every wire format in this package. Handshakes carry it; peers refuse others. */
export const PROTOCOL_VERSION = 2;

/** Size limits shared by both ends of every boundary. */
export const LIMITS = {
  /** Largest JSON body the BFF accepts on a REST route. */
  maxBodyBytes: 256 * 1024,
  /** Longest runtime name a person may give (after trimming). */
  maxRuntimeNameChars: 60,
  /** Largest user message text. */
  maxMessageChars: 64 * 1024,
  /** Largest frame a browser may send on the browser stream. */
  maxStreamFrameBytes: 64 * 1024,
  /**
   * Most bytes of one `events` frame the BFF sends on the browser stream (a frame always holds at
   * least one event, which may be larger on its own).
   */
  maxBatchFrameBytes: 256 * 1024,
  /** Most events in the first `events` frame of a replay, so that the first events show at once. */
  firstBatchEvents: 50,
  /** Largest `data` frame on the runtime link (output chunks are split well below it). */
  maxLinkFrameBytes: 1024 * 1024,
  /**
   * Largest `executionGateway.*` frame on the runtime link: an inference request carries the whole
   * conversation, so it may be larger than a data frame.
   */
  maxGatewayFrameBytes: 4 * 1024 * 1024,
  /** Largest data field of one `tool.output` event. */
  maxOutputChunkChars: 32 * 1024,
  /** Most events one `GET /threads/:id/events` page returns. */
  maxEventsPage: 1000,
  /**
   * Most bytes of stored entries one `GET …/events` or `GET …/log` page returns (a page always
   * holds at least one entry), so a page may hold fewer than `limit`: read on until `lastSeq`.
   */
  maxPageBytes: 1024 * 1024,
  /** Largest file a browser may upload into a runtime's workspace. */
  maxUploadBytes: 10 * 1024 * 1024,
  /** Bytes of an upload per link frame (base64 makes the frame a third larger). */
  uploadChunkBytes: 256 * 1024,
  /** Largest frame an external agent may send on an agent endpoint (a bigger one closes with 1009). */
  maxAgentFrameBytes: 1024 * 1024,
  /** Most bytes of `transcript` in one agent endpoint `message` frame; older events are left out. */
  maxAgentTranscriptBytes: 2 * 1024 * 1024,
  /** Most bytes of `history` in one `thread.continue` link message (a moved thread); older turns are left out. */
  maxMovedHistoryBytes: 200 * 1024,
  /** Frames a second an external agent may send, in bursts of twice as many; past it the socket closes with 4429. */
  agentFramesPerSecond: 500,
} as const;

/** Error codes that cross the wire, in REST error bodies and stream `error` frames. */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'runtime_unavailable',
  'internal',
  /** GitHub refused the browser's token (expired or revoked): sign in to GitHub again. */
  'github_unauthorized',
  /** GitHub's rate limit is spent; `data.resetAt` (ISO) says when it resets. */
  'github_rate_limited',
  /** GitHub could not be reached, or failed. */
  'github_unavailable',
] as const;
/**
 * Why the execution gateway refused or ended a request (`executionGateway.error`'s `code`):
 * `not_allowed` the capability is not one the BFF answers (the runtime handles it itself, or
 * nobody does); `unknown_model` no configured model has that id; `budget_exhausted` the user's
 * daily token budget is spent; `rate_limited` too many requests now (`retryAfterMs` says when);
 * `timeout` the request took longer than the gateway allows; `cancelled` the runtime cancelled it;
 * `upstream` the model server failed (its status is in the message); `bad_request` the request
 * or the upstream's verdict on it; `context_overflow` the conversation does not fit the model's
 * context window; `unauthorized` the upstream refused the BFF's key.
 */
export const GATEWAY_ERROR_CODES = [
  'not_allowed',
  'unknown_model',
  'budget_exhausted',
  'rate_limited',
  'timeout',
  'cancelled',
  'upstream',
  'bad_request',
  'context_overflow',
  'unauthorized',
] as const;

/** The wire API a configured model speaks: `openai` (chat completions and responses) or `anthropic` (messages). */
export const MODEL_APIS = ['openai', 'anthropic'] as const;

/** The API of one `inference` request; `openai-*` need an `openai` model, `anthropic-messages` an `anthropic` one. */
export const INFERENCE_APIS = ['openai-chat', 'openai-responses', 'anthropic-messages'] as const;

/**
 * WebSocket close codes used by both the browser stream and the runtime link.
 * 4000–4999 are ours; the meaning mirrors the HTTP status where one fits.
 */
export const CLOSE_CODES = {
  /** The peer sent something that is not a valid frame too many times. */
  badFrames: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  /** The peer speaks another protocol version. */
  protocolMismatch: 4406,
  /** No heartbeat arrived in time. */
  timeout: 4408,
  /** A newer connection for the same runtime replaced this one. */
  replaced: 4409,
  tooLarge: 4413,
  /** The peer sent frames faster than allowed. */
  rateLimited: 4429,
  /** The reader could not keep up; resume from the last seq. */
  slowConsumer: 4430,
  /**
   * The credential this connection was opened with was revoked or expired, or its session signed
   * out: get a fresh token (or sign in again), then reconnect. Not final, unlike `unauthorized`.
   */
  reauthenticate: 4440,
  /** The server is shutting down; reconnect later. */
  goingAway: 4503,
  /**
   * This instance of a cluster is draining (or no longer holds the runtime's link): reconnect at
   * once, without backing off; the load balancer sends the new connection to another instance.
   */
  reconnectElsewhere: 4504,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/**
 * Why an agent endpoint refused a frame (its `error` frame's `code`): `bad_frame` not JSON or not a
 * frame; `not_registered` a frame before `register`; `already_registered` a second `register`;
 * `agent_id_taken` another kind of agent of this runtime has the id; `invalid_event` the event
 * does not match the protocol's schema; `unknown_turn` no turn of that thread and turn id is open
 * for this agent; `protocol` another version of the frames.
 */
export const AGENT_ENDPOINT_ERROR_CODES = [
  'bad_frame',
  'not_registered',
  'already_registered',
  'agent_id_taken',
  'invalid_event',
  'unknown_turn',
  'protocol',
] as const;

/** What the agent is doing now; the chat shows it and the Stop button follows it. */
export const AGENT_STATES = ['thinking', 'running', 'idle', 'error'] as const;

/** The kinds of thread event, in the order of `EventBodySchema`'s options. */
export const EVENT_KIND_LIST = [
  'message.user',
  'message.delta',
  'message.agent',
  'tool.call',
  'tool.output',
  'tool.result',
  'file.write',
  'status',
  'plan',
  'permission.request',
  'permission.answer',
] as const;

/**
 * The kinds an agent's history of a thread keeps (the runtime's thread history, a moved thread's
 * `thread.continue`): what was said and done, not how it streamed (no deltas or statuses).
 */
export const HISTORY_EVENT_KINDS = [
  'message.user',
  'message.agent',
  'tool.call',
  'tool.output',
  'tool.result',
  'file.write',
] as const;

/** How far a plan entry is (an ACP agent's plan). */
export const PLAN_ENTRY_STATUSES = ['pending', 'in_progress', 'completed'] as const;
export const PLAN_ENTRY_PRIORITIES = ['high', 'medium', 'low'] as const;
/** What choosing a permission option means (ACP's `PermissionOptionKind`). */
export const PERMISSION_OPTION_KINDS = ['allow_once', 'allow_always', 'reject_once', 'reject_always'] as const;
/** The agents a runtime runs: its own (`shell`, `llm`), an ACP command, a process on its agent endpoint. */
export const AGENT_KINDS = ['built-in', 'acp', 'external'] as const;
/**
 * Whose models an agent calls: `gateway`, the runtime's keyless endpoint (the BFF's models and
 * key, through its execution gateway); `own`, the person's own login or key on their machine.
 */
export const MODEL_ACCESS = ['gateway', 'own'] as const;
/** Who settled a permission request: a person, the timeout (denied), or a Stop (denied). */
export const PERMISSION_ANSWERERS = ['user', 'timeout', 'stop'] as const;

export const RUNTIME_KINDS = ['sandbox', 'machine'] as const;
/** `paused`: its sandbox is paused with its files kept (idle); the next message resumes it. */
export const RUNTIME_STATUSES = ['starting', 'ready', 'offline', 'paused', 'stopping', 'stopped', 'failed'] as const;
/** The state of the runtime link as the BFF sees it. */
export const LINK_STATES = ['connecting', 'open', 'resuming', 'offline'] as const;
/** The steps that bring a runtime up, in order: the sandbox log's checklist. */
export const RUNTIME_STEPS = ['create', 'clone', 'install', 'settings', 'start', 'ready'] as const;
/** Steps later in a runtime's life, logged (with their durations) each time they happen. */
export const LIFECYCLE_STEPS = ['pause', 'resume'] as const;
export const STEP_STATES = ['started', 'ok', 'failed', 'skipped'] as const;
export const LOG_KINDS = ['step', 'link', 'status', 'error'] as const;
