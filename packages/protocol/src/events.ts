import { z } from 'zod';
import { IdSchema, LIMITS, SeqSchema, TimestampSchema } from './common.js';
import {
  AGENT_STATES,
  PERMISSION_ANSWERERS,
  PERMISSION_OPTION_KINDS,
  PLAN_ENTRY_PRIORITIES,
  PLAN_ENTRY_STATUSES,
} from './constants.js';
import { TokenUsageSchema } from './gateway.js';
import { isPlainObject, isText, keyCount, withShortcut } from './shortcuts.js';

export { AGENT_STATES } from './constants.js';

/** Agent ids: `shell`, `llm` (the first configured model), `llm:<model id>`, or the id an external agent registered with. */
export const AgentIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/);

const LOCAL_ID_MAX = 128;
const STATUS_MESSAGE_MAX = 4096;

/** An id a producer picks for one message or tool call, unique within a thread. */
const LocalIdSchema = z.string().min(1).max(LOCAL_ID_MAX);

/** Workspace-relative path as the agent reported it. */
const PathSchema = z.string().min(1).max(4096);

/** What the agent is doing now; the chat shows it and the Stop button follows it. */
export const AgentStateSchema = z.enum(AGENT_STATES);
export type AgentState = z.infer<typeof AgentStateSchema>;

/** The tools the built-in agents call. External agents may name others. */
export const ToolNameSchema = z.string().min(1).max(64);

/** One option of a permission request, as the agent offered it. */
export const PermissionOptionSchema = z.object({
  /** What `POST /api/threads/:id/permissions/:requestId` sends back to choose it. */
  optionId: z.string().min(1).max(128),
  /** The button's text, e.g. "Allow once". */
  name: z.string().max(200),
  /** What choosing it means. */
  kind: z.enum(PERMISSION_OPTION_KINDS),
});
export type PermissionOption = z.infer<typeof PermissionOptionSchema>;

/** What an agent asks a person before it does something: a `permission.request` without its ids. */
export const PermissionQuestionSchema = z.object({
  /** What is asked, for people. */
  title: z.string().max(4096),
  /** The tool call it is about, when the agent named one (`callId` of its `tool.call`). */
  toolCall: z
    .object({
      callId: LocalIdSchema.optional(),
      tool: ToolNameSchema.optional(),
      title: z.string().max(4096).optional(),
      input: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  /** The choices, in the agent's order. */
  options: z.array(PermissionOptionSchema).min(1).max(16),
});
export type PermissionQuestion = z.infer<typeof PermissionQuestionSchema>;

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
    message: z.string().max(STATUS_MESSAGE_MAX).optional(),
  }),
  /** The agent's plan as it stands now (an ACP agent's `plan` update); each replaces the last. */
  z.object({
    kind: z.literal('plan'),
    entries: z
      .array(
        z.object({
          /** What the step is, for people. */
          content: z.string().max(4096),
          status: z.enum(PLAN_ENTRY_STATUSES),
          priority: z.enum(PLAN_ENTRY_PRIORITIES),
        }),
      )
      .max(200),
  }),
  /**
   * The agent asks before it does something (run a command, edit a file); it waits until a
   * `permission.answer` with the same `requestId`, which comes from a person or the timeout.
   */
  PermissionQuestionSchema.extend({
    kind: z.literal('permission.request'),
    /** Unique within the thread; the route's `:requestId`. */
    requestId: LocalIdSchema,
  }),
  /**
   * How a permission request was settled; the first answer to a request is the only one stored.
   * A person chose `optionId`; or no one answered in time (`by: timeout`) or Stop ended the turn
   * (`by: stop`), and the agent was refused (`denied`).
   */
  z.object({
    kind: z.literal('permission.answer'),
    requestId: LocalIdSchema,
    /** The option a person chose. */
    optionId: z.string().min(1).max(128).optional(),
    /** True when the agent was refused without a choice (timeout, Stop). */
    denied: z.boolean().optional(),
    by: z.enum(PERMISSION_ANSWERERS),
  }),
]);
withShortcut(EventBodySchema, isStreamedEventBody);
export type EventBody = z.infer<typeof EventBodySchema>;
export type EventKind = EventBody['kind'];
export const EVENT_KINDS = EventBodySchema.options.map((o) => o.shape.kind.value) as EventKind[];

const AGENT_STATE_SET: ReadonlySet<unknown> = new Set(AGENT_STATES);

/**
 * The shortcut of EventBodySchema (see shortcuts.ts): what a turn streams most, a model's text,
 * a command's output and the agent's status, exactly as the schema takes them.
 */
function isStreamedEventBody(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  switch (value['kind']) {
    case 'message.delta':
      return (
        keyCount(value) === 3 &&
        isText(value['messageId'], 1, LOCAL_ID_MAX) &&
        isText(value['text'], 0, LIMITS.maxOutputChunkChars)
      );
    case 'tool.output':
      return (
        keyCount(value) === 4 &&
        isText(value['callId'], 1, LOCAL_ID_MAX) &&
        (value['stream'] === 'stdout' || value['stream'] === 'stderr') &&
        isText(value['data'], 0, LIMITS.maxOutputChunkChars)
      );
    case 'status': {
      if (!AGENT_STATE_SET.has(value['state'])) return false;
      const keys = keyCount(value);
      return keys === 2 || (keys === 3 && isText(value['message'], 0, STATUS_MESSAGE_MAX));
    }
    default:
      return false;
  }
}

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
