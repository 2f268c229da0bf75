import { z } from 'zod';
import { IdSchema, LIMITS, SeqSchema, TimestampSchema } from './common.js';
import { AGENT_STATES } from './constants.js';
import { TokenUsageSchema } from './gateway.js';

export { AGENT_STATES } from './constants.js';

/** Agent ids: `shell`, `llm` (the first configured model), `llm:<model id>`, or the id an external agent registered with. */
export const AgentIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/);

/** An id a producer picks for one message or tool call, unique within a thread. */
const LocalIdSchema = z.string().min(1).max(128);

/** Workspace-relative path as the agent reported it. */
const PathSchema = z.string().min(1).max(4096);

/** What the agent is doing now; the chat shows it and the Stop button follows it. */
export const AgentStateSchema = z.enum(AGENT_STATES);
export type AgentState = z.infer<typeof AgentStateSchema>;

/** The tools the built-in agents call. External agents may name others. */
export const ToolNameSchema = z.string().min(1).max(64);

/**
 * The body of every thread event, discriminated on `kind`. Agents produce these without a seq;
 * the BFF stores them and gives each its seq.
 */
export const EventBodySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message.user'),
    /** The id the browser chose; a retry with the same id is stored once. */
    clientId: LocalIdSchema,
    text: z.string().max(LIMITS.maxMessageChars),
    /** The agent that answers this message. */
    agent: AgentIdSchema,
  }),
  z.object({
    kind: z.literal('message.delta'),
    messageId: LocalIdSchema,
    /** Text to append to the streamed message. */
    text: z.string().max(LIMITS.maxOutputChunkChars),
  }),
  z.object({
    kind: z.literal('message.agent'),
    messageId: LocalIdSchema,
    /** The whole message, markdown; replaces the streamed deltas. */
    text: z.string().max(LIMITS.maxMessageChars * 4),
    agent: AgentIdSchema,
    /** The configured model that answered (`ModelInfo.id`), for an `llm` agent. */
    model: z.string().min(1).max(200).optional(),
    /** Tokens the model calls of this answer took (every step of it, summaries included). */
    usage: TokenUsageSchema.optional(),
  }),
  z.object({
    kind: z.literal('tool.call'),
    callId: LocalIdSchema,
    tool: ToolNameSchema,
    /** A one-line description, such as the command line. */
    title: z.string().max(4096),
    /** The tool's input as the agent gave it. */
    input: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    kind: z.literal('tool.output'),
    callId: LocalIdSchema,
    stream: z.enum(['stdout', 'stderr']),
    /** Raw text, ANSI escapes included; renderers must treat it as untrusted. */
    data: z.string().max(LIMITS.maxOutputChunkChars),
  }),
  z.object({
    kind: z.literal('tool.result'),
    callId: LocalIdSchema,
    ok: z.boolean(),
    /** The exit code of a command, when it exited by itself. */
    exitCode: z.number().int().nullable().optional(),
    /** The signal that ended a command, such as `SIGTERM` after a cancel. */
    signal: z.string().max(32).nullable().optional(),
    durationMs: z.number().nonnegative(),
    /** Why it failed, for a person: "cancelled", "timed out after 600 s", … */
    error: z.string().max(4096).optional(),
  }),
  z.object({
    kind: z.literal('file.write'),
    callId: LocalIdSchema.optional(),
    path: PathSchema,
    /** Unified diff of the change; empty when the content did not change. */
    diff: z.string().max(LIMITS.maxMessageChars * 4),
    /** Whether the file was new. */
    created: z.boolean(),
    bytes: z.number().int().nonnegative(),
  }),
  z.object({
    kind: z.literal('status'),
    state: AgentStateSchema,
    /** A short explanation, shown with `error`. */
    message: z.string().max(4096).optional(),
  }),
]);
export type EventBody = z.infer<typeof EventBodySchema>;
export type EventKind = EventBody['kind'];
export const EVENT_KINDS = EventBodySchema.options.map((o) => o.shape.kind.value) as EventKind[];

/** An event as stored in a thread: its body plus the thread, the seq and the time. */
export const ThreadEventSchema = z.intersection(
  z.object({
    threadId: IdSchema,
    seq: SeqSchema,
    at: TimestampSchema,
  }),
  EventBodySchema,
);
export type ThreadEvent = z.infer<typeof ThreadEventSchema>;
/** A thread event of one kind. */
export type ThreadEventOf<K extends EventKind> = Extract<ThreadEvent, { kind: K }>;
