// The agent endpoint's frames: what an external agent process (any language) and the side that
// hosts it speak over one WebSocket. A runtime serves it on loopback at `/codebolt?agentId=…`
// (authenticated by the runtime's agent secret); the BFF serves the same frames at `/api/agent`
// to a self-run agent holding a thread token. docs/agent-protocol.md documents them with examples.
import { z } from 'zod';
import { IdSchema, LIMITS } from './common.js';
import { AGENT_ENDPOINT_ERROR_CODES, PERMISSION_ANSWERERS, PERMISSION_OPTION_KINDS } from './constants.js';
import { BUILT_IN_AGENT_IDS } from './agents.js';
import { AgentIdSchema, EventBodySchema, PermissionQuestionSchema } from './events.js';

export { AGENT_ENDPOINT_ERROR_CODES } from './constants.js';

/** The version of the agent endpoint's frames; `register` may name it, `registered` always does. */
export const AGENT_ENDPOINT_VERSION = 1;

/** The WebSocket path of a runtime's agent endpoint (the name the issue gives it). */
export const AGENT_ENDPOINT_PATH = '/codebolt';

/**
 * The id an external agent answers to: as an ACP agent's, letters, digits, `_ . -`, not `shell` or
 * `llm`, no `:` (which picks an llm model).
 */
export const ExternalAgentIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'may hold only letters, digits, _ . and -')
  .refine((id) => !(BUILT_IN_AGENT_IDS as readonly string[]).includes(id), 'is the id of a built-in agent');

/** Names one turn: a user message the agent answers. Its seq in the thread, as a string. */
const TurnIdSchema = z.string().min(1).max(64);

/** The agent's own name for one of its permission requests, echoed in the answer. */
const AskIdSchema = z.string().min(1).max(128);

/**
 * The events an external agent may send: every `EventBody` except what only people and the host
 * write (`message.user`, `permission.request`, `permission.answer`; an agent asks with the
 * `permission.request` frame instead, and the host writes the events).
 */
export const AgentEventBodySchema = EventBodySchema.refine(
  (event) => !['message.user', 'permission.request', 'permission.answer'].includes(event.kind),
  { message: 'agents may not send message.user or permission events' },
);

/** Frames an agent sends. */
export const AgentToHostFrameSchema = z.discriminatedUnion('type', [
  /**
   * The first frame: who the agent is. The `agentId` of the URL's query wins; when both are given
   * they must be equal.
   */
  z.object({
    type: z.literal('register'),
    /** As in the seeds' transport; only `agent` is accepted. @default 'agent' */
    clientType: z.literal('agent').optional(),
    agentId: ExternalAgentIdSchema.optional(),
    /** Shown in the picker. @default the agent id */
    label: z.string().min(1).max(200).optional(),
    /** One or two sentences about what it does. */
    description: z.string().max(2000).optional(),
    /** The frames' version the agent speaks. @default AGENT_ENDPOINT_VERSION */
    protocol: z.number().int().positive().optional(),
  }),
  /** One thread event of a turn the agent was given. */
  z.object({
    type: z.literal('event'),
    threadId: IdSchema,
    turnId: TurnIdSchema,
    event: AgentEventBodySchema,
  }),
  /**
   * Asks the person before doing something, within an open turn: the chat shows `title` and the
   * options as buttons (to every browser of the user), and the host answers with one
   * `permission.answer` frame — the option a person chose, or denied when no one answered in time
   * or the person pressed Stop. Wait for it before going on.
   */
  PermissionQuestionSchema.extend({
    type: z.literal('permission.request'),
    threadId: IdSchema,
    turnId: TurnIdSchema,
    /** Yours: unique among your open requests of the turn; the answer names it. */
    requestId: AskIdSchema,
  }),
  /** The agent is done with the turn (after a `cancel` too). `error` ends it with that sentence. */
  z.object({
    type: z.literal('done'),
    threadId: IdSchema,
    turnId: TurnIdSchema,
    error: z.string().max(4096).optional(),
  }),
]);
export type AgentToHostFrame = z.infer<typeof AgentToHostFrameSchema>;

/** An event the agent had before this turn, in the `transcript` of a `message`. */
const TranscriptEntrySchema = EventBodySchema;

/** Frames the host (a runtime, or the BFF for a thread token) sends an agent. */
export const HostToAgentFrameSchema = z.discriminatedUnion('type', [
  /** The answer to `register`: the agent is listed from now on. */
  z.object({
    type: z.literal('registered'),
    /** This connection's id (the agent id; a newer connection with it replaces this one). */
    connectionId: z.string().min(1).max(128),
    agentId: ExternalAgentIdSchema,
    protocol: z.number().int().positive(),
    /** Set when a thread token opened the connection: the only thread it answers. */
    threadId: IdSchema.optional(),
  }),
  /**
   * A user message for the agent to answer: send `event` frames with this `threadId` and `turnId`,
   * then `done`. Turns of one thread come one at a time; turns of different threads may overlap.
   */
  z.object({
    type: z.literal('message'),
    threadId: IdSchema,
    turnId: TurnIdSchema,
    /** The id the person's browser gave the message. */
    messageId: z.string().min(1).max(128),
    text: z.string().max(LIMITS.maxMessageChars),
    /** The agent id the message named. */
    agent: AgentIdSchema,
    /**
     * The thread so far (user messages, agent messages, tool calls, file writes; no deltas), oldest
     * first, when this connection has not had a turn of the thread before; absent afterwards.
     */
    transcript: z.array(TranscriptEntrySchema).optional(),
    /** Older events were left out of `transcript` to keep the frame small. */
    transcriptTruncated: z.boolean().optional(),
  }),
  /**
   * How a `permission.request` of yours was settled: `by: user` with the option a person chose
   * (`optionId` and its `kind`), or `denied: true` with `by: timeout` (no answer in time) or
   * `by: stop` (the person stopped the turn).
   */
  z.object({
    type: z.literal('permission.answer'),
    threadId: IdSchema,
    turnId: TurnIdSchema,
    requestId: AskIdSchema,
    by: z.enum(PERMISSION_ANSWERERS),
    optionId: z.string().min(1).max(128).optional(),
    kind: z.enum(PERMISSION_OPTION_KINDS).optional(),
    denied: z.boolean().optional(),
  }),
  /** The person pressed Stop: end the turn soon (send `done`). After a second it is ended for you. */
  z.object({ type: z.literal('cancel'), threadId: IdSchema, turnId: TurnIdSchema }),
  /** A frame of yours was refused (nothing of it was stored), or the connection is about to close. */
  z.object({
    type: z.literal('error'),
    code: z.enum(AGENT_ENDPOINT_ERROR_CODES),
    message: z.string(),
    threadId: IdSchema.optional(),
    turnId: TurnIdSchema.optional(),
  }),
]);
export type HostToAgentFrame = z.infer<typeof HostToAgentFrameSchema>;
