import { z } from 'zod';
import { AgentIdSchema, ThreadEventSchema } from './events.js';
import { AgentKindSchema } from './agents.js';
import { IdSchema, LIMITS, SeqSchema } from './common.js';
import {
  BranchSchema,
  LogEntrySchema,
  ProviderIdSchema,
  RepoSchema,
  RuntimeKindSchema,
  RuntimeSchema,
  ThreadIssueSchema,
  ThreadSchema,
  UserSchema,
} from './resources.js';
import { GitHubTokenSchema } from './github.js';

/** `GET /api/config`: what this BFF offers. Readable without signing in. */
export const ConfigResponseSchema = z.object({
  protocol: z.number().int(),
  /** The signed-in user, or null. */
  user: UserSchema.nullable(),
  providers: z.array(
    z.object({
      id: ProviderIdSchema,
      label: z.string(),
      kind: RuntimeKindSchema,
      description: z.string(),
      /**
       * Its platform pauses an idle runtime (files kept) instead of stopping it at the idle window
       * (`limits.idleTimeoutMs`). Absent from older BFFs: read as false.
       */
      pausesWhenIdle: z.boolean().optional(),
    }),
  ),
  /**
   * The agents a runtime may offer: `shell`, the `llm` agents of the configured models, and the
   * configured ACP agents (`kind: acp`; a runtime runs one only where it finds its command, see
   * `Runtime.agents`).
   */
  agents: z.array(
    z.object({ id: AgentIdSchema, label: z.string(), description: z.string(), kind: AgentKindSchema.optional() }),
  ),
  /** GitHub sign-in: on when the BFF has an OAuth app; `webUrl` is the GitHub host (Enterprise Server too). */
  github: z.object({ enabled: z.boolean(), webUrl: z.string().optional() }),
  limits: z.object({
    maxMessageChars: z.number().int(),
    maxBodyBytes: z.number().int(),
    /**
     * How long a sandbox runtime may sit idle (from `Runtime.lastActivityAt`) before it is paused
     * or stopped; machines never are. Absent from older BFFs.
     */
    idleTimeoutMs: z.number().int().positive().optional(),
  }),
});
export type ConfigResponse = z.infer<typeof ConfigResponseSchema>;

/** A runtime's name as a person gives it: trimmed, not empty, short enough for a picker row. */
export const RuntimeNameSchema = z.string().trim().min(1).max(LIMITS.maxRuntimeNameChars);

/** `POST /api/runtimes` */
export const CreateRuntimeRequestSchema = z.strictObject({
  provider: ProviderIdSchema,
  /** Shown in the picker; defaults to the repository's name or a generated one (`calm-otter`). */
  name: RuntimeNameSchema.optional(),
  repo: RepoSchema.optional(),
  branch: BranchSchema.optional(),
  /** The default agent of the runtime's threads. @default "shell" */
  agent: AgentIdSchema.optional(),
  /**
   * The user's GitHub token, for the `clone` step of `repo` only: used for that one command and
   * never stored (a public repository needs none).
   */
  githubToken: GitHubTokenSchema.optional(),
});
export type CreateRuntimeRequest = z.infer<typeof CreateRuntimeRequestSchema>;

/** `PATCH /api/runtimes/:id` */
export const UpdateRuntimeRequestSchema = z.strictObject({
  name: RuntimeNameSchema,
});
export type UpdateRuntimeRequest = z.infer<typeof UpdateRuntimeRequestSchema>;

export const RuntimeListResponseSchema = z.object({ runtimes: z.array(RuntimeSchema) });
export type RuntimeListResponse = z.infer<typeof RuntimeListResponseSchema>;

/** `GET /api/runtimes/:id/log?after=SEQ` */
export const LogPageQuerySchema = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(LIMITS.maxEventsPage).default(LIMITS.maxEventsPage),
});
export const LogPageResponseSchema = z.object({
  entries: z.array(LogEntrySchema),
  /** The newest seq of the log when the page was read. */
  lastSeq: SeqSchema,
});
export type LogPageResponse = z.infer<typeof LogPageResponseSchema>;

/** `POST /api/runtimes/:id/threads` */
export const CreateThreadRequestSchema = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  /** The GitHub issue the thread starts from (its first message is the issue, edited by the user). */
  issue: ThreadIssueSchema.optional(),
});
export type CreateThreadRequest = z.infer<typeof CreateThreadRequestSchema>;

/** `PATCH /api/threads/:id`: renames it, archives it (`archived: true`) or unarchives it; at least one. */
export const UpdateThreadRequestSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    archived: z.boolean().optional(),
  })
  .refine((body) => body.title !== undefined || body.archived !== undefined, {
    message: 'Give a title, archived, or both.',
  });
export type UpdateThreadRequest = z.infer<typeof UpdateThreadRequestSchema>;

/**
 * `POST /api/threads/:id/move`: the thread continues on another of the caller's runtimes (same
 * id, URL and events); the BFF hands that runtime the conversation so far (`thread.continue`).
 */
export const MoveThreadRequestSchema = z.strictObject({
  /** The runtime the thread continues on: the caller's, not the thread's current one. */
  runtimeId: IdSchema,
});
export type MoveThreadRequest = z.infer<typeof MoveThreadRequestSchema>;

export const ThreadListResponseSchema = z.object({ threads: z.array(ThreadSchema) });
export type ThreadListResponse = z.infer<typeof ThreadListResponseSchema>;

/** `GET /api/threads/:id/events?after=SEQ&limit=N` */
export const EventPageQuerySchema = LogPageQuerySchema;
export const EventPageResponseSchema = z.object({
  events: z.array(ThreadEventSchema),
  lastSeq: SeqSchema,
});
export type EventPageResponse = z.infer<typeof EventPageResponseSchema>;

/** `POST /api/threads/:id/messages` */
export const SendMessageRequestSchema = z.strictObject({
  /** Chosen by the client; sending the same id again stores the message once. */
  clientId: z
    .string()
    .min(8)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/),
  text: z.string().min(1).max(LIMITS.maxMessageChars),
  /** Which agent answers; defaults to the runtime's agent. */
  agent: AgentIdSchema.optional(),
});
export type SendMessageRequest = z.infer<typeof SendMessageRequestSchema>;

export const SendMessageResponseSchema = z.object({
  event: ThreadEventSchema,
  /** False when this clientId had been sent before and the stored message is returned. */
  created: z.boolean(),
});
export type SendMessageResponse = z.infer<typeof SendMessageResponseSchema>;

/** `POST /api/threads/:threadId/permissions/:requestId`: a person's answer to a permission request. */
export const PermissionAnswerRequestSchema = z.strictObject({
  /** One of the request's `options`. */
  optionId: z.string().min(1).max(128),
});
export type PermissionAnswerRequest = z.infer<typeof PermissionAnswerRequestSchema>;

/** Its answer (202); a request answered before gets 409 `conflict` with `data.answer`, the stored answer. */
export const PermissionAnswerResponseSchema = z.object({ answer: ThreadEventSchema });
export type PermissionAnswerResponse = z.infer<typeof PermissionAnswerResponseSchema>;

/** The route parameters of a permission answer. */
export const PermissionParamsSchema = z.object({ threadId: IdSchema, requestId: z.string().min(1).max(128) });

/** Route parameters. */
export const IdParamsSchema = z.object({ id: IdSchema });

/** `POST /api/threads/:id/uploads?name=FILE` (the body is the file): where it was put. */
export const UploadedFileSchema = z.object({
  /** Relative to the workspace, e.g. `uploads/20261123-081500-screenshot.png`. */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
});
export type UploadedFile = z.infer<typeof UploadedFileSchema>;

/** Tokens and calls over some span. */
export const UsageTotalsSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Model calls counted. */
  requests: z.number().int().nonnegative(),
});
export type UsageTotals = z.infer<typeof UsageTotalsSchema>;

/** `GET /api/usage`: the caller's model usage through the execution gateway. Days are UTC. */
export const UsageResponseSchema = z.object({
  /** Today, `YYYY-MM-DD` (UTC): the day the budget counts. */
  day: z.string(),
  today: UsageTotalsSchema,
  total: UsageTotalsSchema,
  /** The per-user daily token budget (input plus output), or null when there is none. */
  dailyTokens: z.number().int().positive().nullable(),
  /** Per model id, most used first. */
  models: z.array(z.object({ model: z.string(), today: UsageTotalsSchema, total: UsageTotalsSchema })),
  /** Per thread (calls that named one), most used first. */
  threads: z.array(
    z.object({ threadId: IdSchema, runtimeId: IdSchema, today: UsageTotalsSchema, total: UsageTotalsSchema }),
  ),
});
export type UsageResponse = z.infer<typeof UsageResponseSchema>;
