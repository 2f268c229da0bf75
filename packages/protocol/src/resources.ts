import { z } from 'zod';
import { AgentIdSchema } from './events.js';
import { RuntimeAgentSchema } from './agents.js';
import { IdSchema, SeqSchema, TimestampSchema } from './common.js';
import {
  LIFECYCLE_STEPS,
  LINK_STATES,
  RUNTIME_KINDS,
  RUNTIME_STATUSES,
  RUNTIME_STEPS,
  STEP_STATES,
} from './constants.js';

export {
  LIFECYCLE_STEPS,
  LINK_STATES,
  RUNTIME_KINDS,
  RUNTIME_STATUSES,
  RUNTIME_STEPS,
  STEP_STATES,
} from './constants.js';

/** `sandbox`: a provider made it. `machine`: a user's computer that dialled in. */
export const RuntimeKindSchema = z.enum(RUNTIME_KINDS);
export type RuntimeKind = z.infer<typeof RuntimeKindSchema>;

export const RuntimeStatusSchema = z.enum(RUNTIME_STATUSES);
export type RuntimeStatus = z.infer<typeof RuntimeStatusSchema>;

/** The state of the runtime link as the BFF sees it. */
export const LinkStateSchema = z.enum(LINK_STATES);
export type LinkState = z.infer<typeof LinkStateSchema>;

/** Provider ids; `process` is the default and needs nothing installed. */
export const ProviderIdSchema = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9-]+$/);

/** A GitHub repository as `owner/name`. */
export const RepoSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$/, 'a repository is "owner/name"');

/** A git branch name, checked loosely (git checks the rest). */
export const BranchSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^(?!-)[A-Za-z0-9._/-]+$/, 'not a branch name');

/** A user's computer that dialled in; its folders are runtimes of kind `machine`. */
export const MachineSchema = z.object({
  /** Stable per computer (kept in the user's config folder), not derived from host name or network. */
  id: IdSchema,
  /** The host name, for people. */
  name: z.string().max(200),
});
export type Machine = z.infer<typeof MachineSchema>;

export const RuntimeSchema = z.object({
  id: IdSchema,
  name: z.string().max(200),
  kind: RuntimeKindSchema,
  provider: ProviderIdSchema,
  status: RuntimeStatusSchema,
  link: LinkStateSchema,
  /** The repository cloned into the workspace, if any. */
  repo: RepoSchema.nullable(),
  branch: BranchSchema.nullable(),
  /** The agent a new thread uses unless the message names another. */
  agent: AgentIdSchema,
  /** The workspace folder's name and git remote, as the runtime reported them. */
  project: z.string().max(200).nullable(),
  gitRemote: z.string().max(2048).nullable(),
  /** The computer a `machine` runtime runs on; null for sandboxes. */
  machine: MachineSchema.nullable(),
  /**
   * The agents it reported it can run (its own, and configured ACP agents whose command it
   * found), for the picker; empty until it first reported. Absent from older BFFs.
   */
  agents: z.array(RuntimeAgentSchema).optional(),
  /** The seq of the newest runtime-log entry. */
  logSeq: SeqSchema,
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  /**
   * When a message last went in, an event came out or a thread was opened: what the idle window
   * counts from (so the runtime has been idle since). Null before anything happened on it; kept in
   * the store at most a minute behind. Absent from older BFFs.
   */
  lastActivityAt: TimestampSchema.nullable().optional(),
});
export type Runtime = z.infer<typeof RuntimeSchema>;

export const RuntimeStepSchema = z.enum([...RUNTIME_STEPS, ...LIFECYCLE_STEPS]);
export type RuntimeStep = z.infer<typeof RuntimeStepSchema>;

export const StepStateSchema = z.enum(STEP_STATES);
export type StepState = z.infer<typeof StepStateSchema>;

/** The body of a runtime-log entry. */
export const LogBodySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('step'),
    step: RuntimeStepSchema,
    state: StepStateSchema,
    /** Set when the step ended. */
    durationMs: z.number().nonnegative().optional(),
    /** What the step printed, or why it failed or was skipped. */
    detail: z
      .string()
      .max(16 * 1024)
      .optional(),
  }),
  z.object({
    kind: z.literal('link'),
    state: LinkStateSchema,
    detail: z.string().max(4096).optional(),
  }),
  z.object({
    kind: z.literal('status'),
    status: RuntimeStatusSchema,
    detail: z.string().max(4096).optional(),
  }),
  z.object({
    kind: z.literal('error'),
    message: z.string().max(16 * 1024),
    /** What the user can do about it. */
    hint: z.string().max(4096).optional(),
  }),
]);
export type LogBody = z.infer<typeof LogBodySchema>;

export const LogEntrySchema = z.intersection(
  z.object({ runtimeId: IdSchema, seq: SeqSchema, at: TimestampSchema }),
  LogBodySchema,
);
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** The issue a thread was started from: the thread links back to it. */
export const ThreadIssueSchema = z.object({
  repo: RepoSchema,
  number: z.number().int().positive(),
  title: z.string().max(500),
  htmlUrl: z.string().max(2000),
});
export type ThreadIssue = z.infer<typeof ThreadIssueSchema>;

export const ThreadSchema = z.object({
  id: IdSchema,
  runtimeId: IdSchema,
  title: z.string().max(200),
  /** The GitHub issue it was started from, if any: the chat links back to it. */
  issue: ThreadIssueSchema.nullable().optional(),
  /** The seq of the newest event. */
  lastSeq: SeqSchema,
  createdAt: TimestampSchema,
  /** The last activity: a user message, an agent turn's status, a rename. Lists sort by it. */
  updatedAt: TimestampSchema,
  /** When the user archived it (lists hide it unless asked); null or absent when not archived. */
  archivedAt: TimestampSchema.nullable().optional(),
  /**
   * Self-run agents connected to this thread now with a thread token (kind `external`), which the
   * composer's picker offers beside the runtime's; absent when none.
   */
  agents: z.array(RuntimeAgentSchema).max(64).optional(),
});
export type Thread = z.infer<typeof ThreadSchema>;

export const UserSchema = z.object({
  id: IdSchema,
  name: z.string().max(200),
});
export type User = z.infer<typeof UserSchema>;
