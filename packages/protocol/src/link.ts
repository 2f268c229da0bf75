import { z } from 'zod';
import { AgentIdSchema, EventBodySchema } from './events.js';
import { IdSchema, LIMITS, SeqSchema, isId } from './common.js';
import {
  GatewayFromRuntimeFrameSchema,
  GatewayRequestIdSchema,
  GatewayToRuntimeFrameSchema,
  ModelInfoSchema,
} from './gateway.js';
import { GitHubTokenSchema } from './github.js';
import { BranchSchema, MachineSchema } from './resources.js';
import { RuntimeAgentSchema } from './agents.js';
import { isPlainObject, keyCount, shortcutOf, withShortcut } from './shortcuts.js';

/**
 * The runtime link: one WebSocket between the BFF and a runtime, whichever side dialled.
 *
 * The dialler sends `hello`; the listener answers `welcome` or closes with a close code. After
 * that both sides send `data` frames numbered 1, 2, 3… per direction and acknowledge what they
 * have durably handled with `ack` (cumulative). A side keeps what the other has not acknowledged
 * and, after a reconnect, resends everything above the `lastReceived` the other side reported in
 * its `hello` / `welcome`. Receivers drop a `data` frame whose seq they have already handled, so a
 * resend is never handled twice. `ping` / `pong` are the heartbeats. The execution gateway's
 * frames (`gateway.ts`) share the socket but not the numbering: they are neither acknowledged nor
 * resent.
 */

/** A message from the BFF to a runtime. */
export const ToRuntimeMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message.send'),
    threadId: IdSchema,
    /** The stored `message.user` event's seq in its thread. */
    seq: SeqSchema,
    clientId: z.string().min(1).max(128),
    text: z.string().max(LIMITS.maxMessageChars),
    agent: AgentIdSchema,
  }),
  z.object({ type: z.literal('thread.cancel'), threadId: IdSchema }),
  /**
   * A piece of a file a person uploaded, in order: `offset` 0 starts the file, `final` ends it.
   * The runtime writes it at `path` (relative to the workspace, under `uploads/`); it is complete
   * before any message sent after the upload is handled, since the link keeps order.
   */
  z.object({
    type: z.literal('file.upload'),
    threadId: IdSchema,
    path: z.string().regex(/^uploads\/[A-Za-z0-9._-]{1,160}$/),
    offset: z.number().int().nonnegative().max(LIMITS.maxUploadBytes),
    /** Base64 bytes. */
    data: z.string().max(Math.ceil((LIMITS.uploadChunkBytes * 4) / 3) + 4),
    final: z.boolean(),
  }),
  /**
   * The thread continues on this runtime (it moved here from another): its conversation so far,
   * oldest first, sent ahead of its next message. The runtime's agents take it as the thread's
   * history (replacing any it kept); files of the previous workspace are not part of it.
   */
  z.object({
    type: z.literal('thread.continue'),
    threadId: IdSchema,
    /** User and agent messages, tool calls, their output (cut) and results, file writes; no deltas or statuses. */
    history: z.array(EventBodySchema).max(10_000),
    /** Older turns were left out to keep it under `LIMITS.maxMovedHistoryBytes`. */
    truncated: z.boolean(),
  }),
  /** The runtime should stop its work and exit. */
  z.object({ type: z.literal('runtime.shutdown'), reason: z.string().max(200) }),
  /**
   * The models the BFF offers through its execution gateway (none when none is configured); sent
   * after every handshake. The runtime keeps the latest list for its agents.
   */
  z.object({ type: z.literal('models'), models: z.array(ModelInfoSchema).max(100) }),
  /**
   * A person's answer to a `permission.request` of the thread (already stored as its
   * `permission.answer` event); the runtime hands it to the agent that asked.
   */
  z.object({
    type: z.literal('permission.answer'),
    threadId: IdSchema,
    requestId: z.string().min(1).max(128),
    optionId: z.string().min(1).max(128),
  }),
]);
export type ToRuntimeMessage = z.infer<typeof ToRuntimeMessageSchema>;

/** A message from a runtime to the BFF. */
export const FromRuntimeMessageSchema = z.discriminatedUnion('type', [
  /** An event an agent produced; the BFF stores it in the thread and gives it a seq. */
  z.object({ type: z.literal('thread.event'), threadId: IdSchema, event: EventBodySchema }),
  /** What the runtime is and can do; sent after every handshake. */
  z.object({
    type: z.literal('runtime.info'),
    version: z.string().max(64),
    /** The agents it can run: its own, and the configured ACP agents whose command it found. */
    agents: z.array(RuntimeAgentSchema).max(200),
    /** The workspace's folder name and git remote, shown in the picker. */
    project: z.string().max(200).nullable(),
    gitRemote: z.string().max(2048).nullable(),
    /** Set by `remote-chat-runtime connect`: the computer this folder is on. */
    machine: MachineSchema.nullable().optional(),
  }),
]);
// A runtime's streamed events by a shortcut (shortcuts.ts), the events' own for the event.
const eventShortcut = shortcutOf(EventBodySchema)!;
withShortcut(
  FromRuntimeMessageSchema,
  (value) =>
    isPlainObject(value) &&
    value['type'] === 'thread.event' &&
    keyCount(value) === 3 &&
    isId(value['threadId']) &&
    eventShortcut(value['event']),
);
export type FromRuntimeMessage = z.infer<typeof FromRuntimeMessageSchema>;

/** The dialler's first frame. */
export const HelloFrameSchema = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  runtimeId: IdSchema,
  /** The runtime's credential (sandbox) or the user's API token (machine). */
  token: z.string().min(16).max(512),
  /** The highest `data` seq this side has handled from the other, for resends. */
  lastReceived: SeqSchema,
});
export type HelloFrame = z.infer<typeof HelloFrameSchema>;

/** The listener's answer to a valid `hello`. */
export const WelcomeFrameSchema = z.strictObject({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  runtimeId: IdSchema,
  lastReceived: SeqSchema,
});
export type WelcomeFrame = z.infer<typeof WelcomeFrameSchema>;

export const AckFrameSchema = z.strictObject({ type: z.literal('ack'), upTo: SeqSchema });
export const PingFrameSchema = z.strictObject({ type: z.literal('ping'), t: z.number() });
export const PongFrameSchema = z.strictObject({ type: z.literal('pong'), t: z.number() });

/** The schema of one direction's `data` messages (ToRuntimeMessageSchema or FromRuntimeMessageSchema). */
export type LinkMessageSchema<M> = z.ZodType<M>;

/**
 * Both link directions share every frame but the payload of `data`, which differs by direction.
 * A `data` frame goes by the message schema's shortcut, if it has one (shortcuts.ts).
 */
export function linkFrameSchema<T extends z.ZodType>(message: T) {
  const messageShortcut = shortcutOf(message);
  const schema = z.discriminatedUnion('type', [
    HelloFrameSchema,
    WelcomeFrameSchema,
    z.strictObject({ type: z.literal('data'), seq: z.number().int().positive(), message }),
    AckFrameSchema,
    PingFrameSchema,
    PongFrameSchema,
  ]);
  if (!messageShortcut) return schema;
  return withShortcut(
    schema,
    (value) =>
      isPlainObject(value) &&
      value['type'] === 'data' &&
      keyCount(value) === 3 &&
      Number.isSafeInteger(value['seq']) &&
      (value['seq'] as number) > 0 &&
      messageShortcut(value['message']),
  );
}

/**
 * BFF → runtime, unnumbered like the execution gateway's frames: push the workspace (committed
 * first if it has changes) to a new branch with the user's GitHub token. It carries a token, so it
 * is never numbered, stored (the BFF's link outbox is in its store) or resent: it lives as long as
 * the socket it was written on, and a link drop fails it.
 */
export const WorkspacePushFrameSchema = z.strictObject({
  type: z.literal('workspace.push'),
  requestId: GatewayRequestIdSchema,
  /** The thread the push shows in, as a tool card. */
  threadId: IdSchema,
  branch: BranchSchema,
  /** For this one `git push` only: its environment, never argv, a file or an agent's environment. */
  token: GitHubTokenSchema,
  /** The commit message when there are changes to commit. */
  message: z.string().min(1).max(2000),
});
export type WorkspacePushFrame = z.infer<typeof WorkspacePushFrameSchema>;

/** runtime → BFF: how a `workspace.push` ended. */
export const WorkspacePushResultFrameSchema = z.strictObject({
  type: z.literal('workspace.pushResult'),
  requestId: GatewayRequestIdSchema,
  ok: z.boolean(),
  /** The commit pushed. */
  commit: z
    .string()
    .regex(/^[0-9a-f]{40,64}$/)
    .optional(),
  /** The branch the workspace was on before the push, if any (a pull request's base). */
  base: BranchSchema.nullable().optional(),
  /** Why it failed: `no_access` (the token may not push), `rejected` (the branch exists and moved), `network`, `failed`. */
  reason: z.enum(['no_access', 'rejected', 'network', 'failed']).optional(),
  /** A sentence a person can act on; never the token. */
  error: z.string().max(4096).optional(),
});
export type WorkspacePushResultFrame = z.infer<typeof WorkspacePushResultFrameSchema>;

/** The unnumbered frames a runtime receives: the execution gateway's answers and workspace pushes. */
export const ToRuntimeUnnumberedFrameSchema = z.discriminatedUnion('type', [
  GatewayToRuntimeFrameSchema,
  WorkspacePushFrameSchema,
]);
export type ToRuntimeUnnumberedFrame = z.infer<typeof ToRuntimeUnnumberedFrameSchema>;

/** The unnumbered frames the BFF receives: gateway requests and cancels, and push results. */
export const FromRuntimeUnnumberedFrameSchema = z.discriminatedUnion('type', [
  GatewayFromRuntimeFrameSchema,
  WorkspacePushResultFrameSchema,
]);
export type FromRuntimeUnnumberedFrame = z.infer<typeof FromRuntimeUnnumberedFrameSchema>;

/** Frames a runtime receives: the link's frames and the unnumbered ones (`gateway.ts`, pushes). */
export const ToRuntimeFrameSchema = z.union([linkFrameSchema(ToRuntimeMessageSchema), ToRuntimeUnnumberedFrameSchema]);
export type ToRuntimeFrame = z.infer<typeof ToRuntimeFrameSchema>;

/** Frames the BFF receives from a runtime: the link's frames and the unnumbered ones. */
export const FromRuntimeFrameSchema = z.union([
  linkFrameSchema(FromRuntimeMessageSchema),
  FromRuntimeUnnumberedFrameSchema,
]);
export type FromRuntimeFrame = z.infer<typeof FromRuntimeFrameSchema>;

/** A link frame whose `data` carries messages of type M, for code that handles either direction. */
export type LinkFrame<M> = z.infer<ReturnType<typeof linkFrameSchema<LinkMessageSchema<M>>>>;
