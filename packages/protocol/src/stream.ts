import { z } from 'zod';
import { ThreadEventSchema } from './events.js';
import { ErrorCodeSchema, IdSchema, SeqSchema } from './common.js';
import { LogEntrySchema, RuntimeSchema, ThreadSchema, UserSchema } from './resources.js';
import type { SEQ_TOPIC_FAMILIES } from './topics.js';

/** Topics of the browser stream: one of the `TOPIC_FAMILIES` in `topics.ts`, with its id. */
export const TopicSchema = z.union([
  z.literal('runtimes'),
  z.templateLiteral(['threads:', IdSchema]),
  z.templateLiteral(['runtime-log:', IdSchema]),
  z.templateLiteral(['thread:', IdSchema]),
]);
export type Topic = z.infer<typeof TopicSchema>;

/** Topics whose entries carry a seq and can be resumed after one. */
export type SeqTopic = `${(typeof SEQ_TOPIC_FAMILIES)[number]}:${string}`;

/** Browser → BFF frames on `WS /api/stream`. */
export const ClientFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subscribe'),
    topic: TopicSchema,
    /** Replay entries with a seq above this one first. Ignored by snapshot topics. @default 0 */
    after: SeqSchema.optional(),
    /**
     * Thread topics: send the replay (and any later catch-up) in `events` frames of many events
     * each; live events after `caught-up` stay one `event` frame each. Ignored by other topics.
     * @default false
     */
    batch: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), topic: TopicSchema }),
  z.strictObject({ type: z.literal('ping'), id: z.number().int().optional() }),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

/** BFF → browser frames on `WS /api/stream`. */
export const ServerFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), protocol: z.number().int(), user: UserSchema }),
  /** A thread event, replayed or live, in seq order. */
  z.object({ type: z.literal('event'), topic: TopicSchema, event: ThreadEventSchema }),
  /**
   * Thread events of a replay or catch-up, in seq order and following on from the last one sent,
   * for a subscriber that asked for `batch`. At most `LIMITS.maxBatchFrameBytes` (an event larger
   * on its own goes alone); the first of a replay holds at most `LIMITS.firstBatchEvents`.
   */
  z.object({ type: z.literal('events'), topic: TopicSchema, events: z.array(ThreadEventSchema).min(1) }),
  /** A runtime-log entry, replayed or live, in seq order. */
  z.object({ type: z.literal('log'), topic: TopicSchema, entry: LogEntrySchema }),
  /** The replay of a seq topic has reached the live edge; `seq` is the last one sent. */
  z.object({ type: z.literal('caught-up'), topic: TopicSchema, seq: SeqSchema }),
  z.object({ type: z.literal('runtimes'), topic: z.literal('runtimes'), runtimes: z.array(RuntimeSchema) }),
  z.object({ type: z.literal('runtime'), topic: z.literal('runtimes'), runtime: RuntimeSchema }),
  z.object({ type: z.literal('runtime-removed'), topic: z.literal('runtimes'), id: IdSchema }),
  z.object({ type: z.literal('threads'), topic: TopicSchema, threads: z.array(ThreadSchema) }),
  z.object({ type: z.literal('thread'), topic: TopicSchema, thread: ThreadSchema }),
  /** A thread of the runtime was deleted. */
  z.object({ type: z.literal('thread-removed'), topic: TopicSchema, id: IdSchema }),
  z.object({
    type: z.literal('error'),
    code: ErrorCodeSchema,
    message: z.string(),
    /** The topic the error is about, when it is about one. */
    topic: TopicSchema.optional(),
  }),
  z.object({ type: z.literal('pong'), id: z.number().int().optional() }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
