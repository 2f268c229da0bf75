import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';

/** An API token as listed: never the secret itself. */
export const ApiTokenSchema = z.object({
  id: IdSchema,
  name: z.string().max(100),
  createdAt: TimestampSchema,
  /** Null for a token that does not expire. */
  expiresAt: TimestampSchema.nullable(),
  lastUsedAt: TimestampSchema.nullable(),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;

/** `POST /api/tokens` */
export const CreateApiTokenRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  /** Days until it expires; omitted for a token that does not expire. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequestSchema>;

/** The answer to `POST /api/tokens`: the only time the secret is shown. */
export const CreatedApiTokenSchema = ApiTokenSchema.extend({
  /** `rc_…`; store it now, it cannot be shown again. */
  token: z.string(),
});
export type CreatedApiToken = z.infer<typeof CreatedApiTokenSchema>;

export const ApiTokenListResponseSchema = z.object({ tokens: z.array(ApiTokenSchema) });
export type ApiTokenListResponse = z.infer<typeof ApiTokenListResponseSchema>;

/**
 * `POST /api/client-tokens`, called by a host site's server with its API token: a short-lived
 * token for one of its own users, for `<remote-chat token="…">` on a page of `origin`.
 */
export const CreateClientTokenRequestSchema = z.strictObject({
  /** The host site's own id for its user. */
  userId: z.string().min(1).max(200),
  /** Shown in the chat. @default userId */
  name: z.string().trim().min(1).max(200).optional(),
  /** The origin of the page that will use the token (its audience); must be on the allow-list. */
  origin: z.string().url().max(300),
  /** Lifetime in seconds. @default 600 */
  ttlSeconds: z.number().int().min(1).max(3600).optional(),
});
export type CreateClientTokenRequest = z.infer<typeof CreateClientTokenRequestSchema>;

export const ClientTokenResponseSchema = z.object({
  /** `rcc_…`, sent as `Authorization: Bearer` from the host page. */
  token: z.string(),
  expiresAt: TimestampSchema,
});
export type ClientTokenResponse = z.infer<typeof ClientTokenResponseSchema>;

/** `POST /api/stream-tickets`: a one-time ticket for opening `WS /api/stream?ticket=…`. */
export const StreamTicketResponseSchema = z.object({
  ticket: z.string(),
  expiresAt: TimestampSchema,
});
export type StreamTicketResponse = z.infer<typeof StreamTicketResponseSchema>;

/**
 * `POST /api/machine-tokens`, called by a host site's server with its API token: a token with
 * which one of its users connects their own machine (`remote-chat-runtime connect`). It opens
 * runtime links for that user and nothing else.
 */
export const CreateMachineTokenRequestSchema = z.strictObject({
  /** The host site's own id for its user. */
  userId: z.string().min(1).max(200),
  /** Shown in the chat. @default userId */
  userName: z.string().trim().min(1).max(200).optional(),
  /** What the token is for, e.g. the machine's name. */
  name: z.string().trim().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type CreateMachineTokenRequest = z.infer<typeof CreateMachineTokenRequestSchema>;

/**
 * A thread token as listed (`GET /api/threads/:threadId/agent-tokens`): never the secret. A thread
 * token lets a self-run agent process anywhere dial the BFF's `/api/agent` and answer that one thread.
 */
export const AgentTokenSchema = z.object({
  id: IdSchema,
  threadId: IdSchema,
  name: z.string().max(100),
  createdAt: TimestampSchema,
  lastUsedAt: TimestampSchema.nullable(),
});
export type AgentToken = z.infer<typeof AgentTokenSchema>;

/** `POST /api/threads/:threadId/agent-tokens` */
export const CreateAgentTokenRequestSchema = z.strictObject({
  /** What it is for, e.g. the machine the agent runs on. @default 'Thread token' */
  name: z.string().trim().min(1).max(100).optional(),
});
export type CreateAgentTokenRequest = z.infer<typeof CreateAgentTokenRequestSchema>;

/** The answer to `POST /api/threads/:threadId/agent-tokens`: the only time the secret is shown. */
export const CreatedAgentTokenSchema = AgentTokenSchema.extend({
  /** `rcat_…`; the agent sends it as `Authorization: Bearer` to `/api/agent`. */
  token: z.string(),
});
export type CreatedAgentToken = z.infer<typeof CreatedAgentTokenSchema>;

export const AgentTokenListResponseSchema = z.object({ tokens: z.array(AgentTokenSchema) });
export type AgentTokenListResponse = z.infer<typeof AgentTokenListResponseSchema>;
