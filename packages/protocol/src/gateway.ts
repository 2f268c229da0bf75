import { z } from 'zod';
import { IdSchema } from './common.js';
import { isPlainObject, isText, keyCount, withShortcut } from './shortcuts.js';
import { GATEWAY_ERROR_CODES, INFERENCE_APIS, MODEL_APIS } from './constants.js';

export { GATEWAY_ERROR_CODES, INFERENCE_APIS, MODEL_APIS } from './constants.js';

/**
 * The execution gateway: capability calls a runtime makes that the BFF answers (model inference
 * first). They travel on the runtime link as frames of their own beside `data`, never stored and
 * never resent: a request lives as long as the link it was made on, and a link drop fails it.
 *
 * runtime → BFF: `executionGateway.request`, `executionGateway.cancel`.
 * BFF → runtime: zero or more `executionGateway.notification`, then exactly one of
 * `executionGateway.reply` or `executionGateway.error`.
 */

const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const REQUEST_ID_MAX = 128;

/** A request id the runtime chose, unique per link. */
export const GatewayRequestIdSchema = z.string().min(1).max(REQUEST_ID_MAX).regex(REQUEST_ID_PATTERN);

/** A capability name: `inference` today; others (filesystem, browser, a hosted tool) need no new frame. */
export const CapabilitySchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_.-]*$/);
export type Capability = z.infer<typeof CapabilitySchema>;

export const GatewayErrorCodeSchema = z.enum(GATEWAY_ERROR_CODES);
export type GatewayErrorCode = z.infer<typeof GatewayErrorCodeSchema>;

/** runtime → BFF: asks for a capability call. */
export const GatewayRequestFrameSchema = z.strictObject({
  type: z.literal('executionGateway.request'),
  requestId: GatewayRequestIdSchema,
  capability: CapabilitySchema,
  /** The capability's input (for `inference`, an `InferenceRequest`). */
  payload: z.unknown(),
});

/** runtime → BFF: the caller gave up on a request (its client disconnected, the agent stopped). */
export const GatewayCancelFrameSchema = z.strictObject({
  type: z.literal('executionGateway.cancel'),
  requestId: GatewayRequestIdSchema,
});

/** BFF → runtime: one piece of a streamed answer (for `inference`, one upstream stream event). */
export const GatewayNotificationFrameSchema = z.strictObject({
  type: z.literal('executionGateway.notification'),
  requestId: GatewayRequestIdSchema,
  payload: z.unknown(),
});

/** BFF → runtime: the request's answer; nothing follows it. */
export const GatewayReplyFrameSchema = z.strictObject({
  type: z.literal('executionGateway.reply'),
  requestId: GatewayRequestIdSchema,
  payload: z.unknown(),
});

/** BFF → runtime: the request failed; nothing follows it. */
export const GatewayErrorFrameSchema = z.strictObject({
  type: z.literal('executionGateway.error'),
  requestId: GatewayRequestIdSchema,
  code: GatewayErrorCodeSchema,
  /** A sentence a person can act on; never a key. */
  message: z.string().max(4096),
  /** With `rate_limited` (and an upstream 429): how long to wait before trying again. */
  retryAfterMs: z.number().int().nonnegative().optional(),
});

/** The gateway frames a runtime sends. */
export const GatewayFromRuntimeFrameSchema = z.discriminatedUnion('type', [
  GatewayRequestFrameSchema,
  GatewayCancelFrameSchema,
]);
export type GatewayFromRuntimeFrame = z.infer<typeof GatewayFromRuntimeFrameSchema>;

/** The gateway frames a runtime receives; a streamed answer's notifications by a shortcut (shortcuts.ts). */
export const GatewayToRuntimeFrameSchema = withShortcut(
  z.discriminatedUnion('type', [GatewayNotificationFrameSchema, GatewayReplyFrameSchema, GatewayErrorFrameSchema]),
  (value) =>
    isPlainObject(value) &&
    value['type'] === 'executionGateway.notification' &&
    keyCount(value) === 3 &&
    'payload' in value &&
    isText(value['requestId'], 1, REQUEST_ID_MAX, REQUEST_ID_PATTERN),
);
export type GatewayToRuntimeFrame = z.infer<typeof GatewayToRuntimeFrameSchema>;
export type GatewayErrorFrame = z.infer<typeof GatewayErrorFrameSchema>;

/**
 * Whether a parsed JSON frame's `type` names an unnumbered frame: the execution gateway's, or a
 * workspace push (`link.ts`), which share its channel. Such a frame is checked by the side's
 * unnumbered-frame schema, never numbered, stored or resent.
 */
export function isGatewayFrameType(type: unknown): boolean {
  return typeof type === 'string' && (type.startsWith('executionGateway.') || type.startsWith('workspace.'));
}

/** A configured model's id: what `llm:<id>` and an inference request's `model` name. */
export const ModelIdSchema = z
  .string()
  .min(1)
  .max(48)
  .regex(/^[A-Za-z0-9_.-]+$/, 'model ids are letters, digits, ".", "-" and "_"');

export const ModelApiSchema = z.enum(MODEL_APIS);
export type ModelApi = z.infer<typeof ModelApiSchema>;

/** A model the BFF offers, as runtimes and browsers see it: never a key, never a base URL. */
export const ModelInfoSchema = z.object({
  id: ModelIdSchema,
  /** A name for people, shown in the agent picker. */
  label: z.string().min(1).max(200),
  /** `openai` serves `openai-chat` and `openai-responses` requests; `anthropic` serves `anthropic-messages`. */
  api: ModelApiSchema,
  /** Tokens the model takes in at most, when configured; agents summarise to stay within it. */
  contextWindow: z.number().int().positive().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export const InferenceApiSchema = z.enum(INFERENCE_APIS);
export type InferenceApi = z.infer<typeof InferenceApiSchema>;

/** The payload of an `inference` request. */
export const InferenceRequestSchema = z.object({
  api: InferenceApiSchema,
  /** A configured model id (`ModelInfo.id`); the BFF puts the upstream's model name into `body`. */
  model: z.string().min(1).max(200),
  /**
   * The request body of `api` as its official docs define it, passed through. With
   * `stream: true`, each upstream stream event comes back as one notification: an OpenAI chunk
   * (or responses event) object, or `{ event, data }` for Anthropic.
   */
  body: z.record(z.string(), z.unknown()),
  /** The thread the call is for, so usage is counted per thread. */
  threadId: IdSchema.optional(),
});
export type InferenceRequest = z.infer<typeof InferenceRequestSchema>;

/** Tokens one call used. */
export const TokenUsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** The reply payload of a streamed `inference` request (a non-streamed one replies with the whole response). */
export const InferenceStreamReplySchema = z.object({ usage: TokenUsageSchema });
export type InferenceStreamReply = z.infer<typeof InferenceStreamReplySchema>;

/** An Anthropic stream event as a notification payload. */
export const AnthropicStreamEventSchema = z.object({ event: z.string(), data: z.record(z.string(), z.unknown()) });
export type AnthropicStreamEvent = z.infer<typeof AnthropicStreamEventSchema>;
