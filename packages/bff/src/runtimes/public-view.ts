import { MachineSchema, RuntimeAgentSchema, streamTopic, type Runtime } from '@remote-chat/protocol';
import { z } from 'zod';
import { userChannel } from '../hub.js';
import type { EntryHub } from '../stream.js';
import type { RuntimeRecord } from '../store/store.js';
import type { LiveRuntime } from './live-links.js';

/** The frames `runtimes` subscribers get. */
export type RuntimesMessage = { type: 'runtime'; runtime: Runtime } | { type: 'runtime-removed'; id: string };

/** What the picker shows from a runtime's last `runtime.info`. */
const ReportedInfoSchema = z.object({
  agents: z.array(RuntimeAgentSchema).optional(),
  project: z.string().nullable().optional(),
  gitRemote: z.string().nullable().optional(),
  machine: MachineSchema.nullable().optional(),
});

/**
 * Runtimes as the API and the `runtimes` topic show them: a stored record without its owner,
 * provider state and link bookkeeping, with what it last reported about itself and its live link
 * state; and the one place that tells a user's `runtimes` subscribers about a change.
 */
export class RuntimeView {
  constructor(
    private readonly hub: EntryHub,
    /** The link this BFF holds for a runtime, if any: its state and its last activity are live. */
    private readonly liveOf: (runtimeId: string) => LiveRuntime | undefined,
  ) {}

  /** The public view of a stored runtime, with the live link state. */
  toPublic(record: RuntimeRecord): Runtime {
    const { userId: _u, providerState: _p, info, linkReceived: _l, ...runtime } = record;
    const reported = ReportedInfoSchema.safeParse(info ?? {});
    const live = this.liveOf(record.id);
    return {
      ...runtime,
      // The store's copy may be a minute behind the link's.
      lastActivityAt: live ? new Date(live.lastActivity).toISOString() : record.lastActivityAt,
      project: reported.success ? (reported.data.project ?? null) : null,
      gitRemote: reported.success ? (reported.data.gitRemote ?? null) : null,
      machine: reported.success ? (reported.data.machine ?? null) : null,
      agents: reported.success ? (reported.data.agents ?? []) : [],
      link: live?.link ?? 'offline',
    };
  }

  /** Tells the owner's `runtimes` subscribers how the runtime looks now. */
  publish(record: RuntimeRecord): void {
    this.hub.notify(userChannel(streamTopic.runtimes, record.userId), {
      type: 'runtime',
      runtime: this.toPublic(record),
    } satisfies RuntimesMessage);
  }

  /** Tells the owner's `runtimes` subscribers that the runtime is gone. */
  publishRemoved(record: RuntimeRecord): void {
    this.hub.notify(userChannel(streamTopic.runtimes, record.userId), {
      type: 'runtime-removed',
      id: record.id,
    } satisfies RuntimesMessage);
  }
}
