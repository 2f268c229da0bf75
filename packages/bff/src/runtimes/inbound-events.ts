import type { EventBody, FromRuntimeMessage } from '@remote-chat/protocol';
import type { Logger } from 'pino';
import type { EntryWriter } from '../entry-writer.js';
import type { Store, ThreadRecord } from '../store/store.js';
import type { LiveRuntime } from './live-links.js';
import type { RuntimeView } from './public-view.js';

/** What a machine runtime is called before it said which folder it serves. */
export const MACHINE_DEFAULT_NAME = 'Machine';

export interface InboundEventsOptions {
  store: Store;
  writer: EntryWriter;
  view: RuntimeView;
  logger: Logger;
  /** A runtime's `runtime.info` is stored (a machine is ready only then: the picker needs its project). */
  onInfo: (live: LiveRuntime) => Promise<void>;
  /** An event came out of the runtime: it is in use (`LiveLinks.markActive`). */
  markActive: (live: LiveRuntime) => void;
}

/**
 * Stores what arrives from a runtime over its link: the events its agents produce, into its own
 * threads only, and what it reports about itself (`runtime.info`).
 */
export class InboundEvents {
  constructor(private readonly options: InboundEventsOptions) {}

  /**
   * Handles a message from a runtime. The link is pipelined: this is called for the next frame
   * before the previous one's commit finished, so appends to a thread batch into group commits.
   * Appends are still issued in link order (the ownership lookups are chained), and a frame whose
   * seq is already stored (a resend after a failure) is skipped. Resolves once what the frame
   * carried is durable; returns nothing for a frame it skips.
   */
  receive(live: LiveRuntime, incoming: FromRuntimeMessage, seq: number): Promise<void> | undefined {
    if (seq <= live.storedReceived) return undefined;
    if (incoming.type !== 'thread.event') return this.receiveInfo(live, incoming, seq);
    const event = incoming.event;
    if (event.kind === 'message.user') {
      // Only people write user messages.
      this.options.logger.warn({ runtimeId: live.id }, 'runtime sent a message.user event; dropped');
      return this.options.store.setLinkReceived(live.id, seq);
    }
    // The common case, an event for a thread known to be the runtime's with nothing queued ahead
    // of it: appended now, in this call (no step on the ordering chain, no async function: the
    // stream of a busy runtime comes through here, and each promise less is felt).
    if (live.orderingPending === 0 && live.threads.has(incoming.threadId)) {
      return this.append(live, incoming.threadId, event, seq).then(() => {
        if (seq > live.storedReceived) live.storedReceived = seq;
      });
    }
    return this.receiveAfterLookup(live, incoming.threadId, event, seq);
  }

  /** An event whose thread must be looked up first: appended in link order, after those ahead of it. */
  private async receiveAfterLookup(live: LiveRuntime, threadId: string, event: EventBody, seq: number): Promise<void> {
    live.orderingPending++;
    const step = live.ordering.then(async () => {
      try {
        const thread = await this.ownThread(live, threadId);
        return thread ? { stored: this.append(live, thread.id, event, seq) } : null;
      } finally {
        live.orderingPending--;
      }
    });
    live.ordering = step.then(
      () => undefined,
      () => undefined,
    );
    const appending = await step;
    if (appending) {
      await appending.stored;
      live.storedReceived = Math.max(live.storedReceived, seq);
      return;
    }
    this.options.logger.warn(
      { runtimeId: live.id, threadId },
      'runtime wrote to a thread that is not its own; dropped',
    );
    await this.options.store.setLinkReceived(live.id, seq);
  }

  /** What a runtime reports about itself (`runtime.info`): stored, and shown. */
  private async receiveInfo(
    live: LiveRuntime,
    incoming: Exclude<FromRuntimeMessage, { type: 'thread.event' }>,
    seq: number,
  ): Promise<void> {
    const { store } = this.options;
    const record = await store.getRuntime(live.id);
    // A machine is called after its folder, until a person renames it: then their name stays.
    const previous = record?.info?.['project'];
    const unnamed = record?.name === MACHINE_DEFAULT_NAME || record?.name === previous;
    const named = record?.kind === 'machine' && incoming.project && unnamed ? { name: incoming.project } : {};
    const updated = await store.updateRuntime(live.id, { info: incoming, ...named });
    if (updated) this.options.view.publish(updated);
    await this.options.onInfo(live);
    await store.setLinkReceived(live.id, seq);
  }

  /**
   * Appends an event of a thread that is the runtime's own, in link order (the caller's part);
   * resolves once it is durable.
   */
  private append(live: LiveRuntime, threadId: string, event: EventBody, seq: number): Promise<unknown> {
    // The event and the link seq it came in are stored together: a resend is never stored twice.
    const stored = this.options.writer.appendEvent({ id: threadId, runtimeId: live.id, titled: true }, event, {
      receipt: { runtimeId: live.id, seq },
    });
    // Now, in link order: browsers may see the event before it is durable (and acknowledged), and
    // the idle check must not find the runtime neither busy nor recently active meanwhile.
    this.options.markActive(live);
    if (event.kind === 'status') {
      if (event.state === 'running' || event.state === 'thinking') live.busy.add(threadId);
      else live.busy.delete(threadId);
    }
    return stored;
  }

  /** The thread if it is the runtime's own, else null (a runtime may only write to, or spend for, its own). */
  async ownThread(
    live: LiveRuntime,
    threadId: string,
  ): Promise<Pick<ThreadRecord, 'id' | 'runtimeId' | 'titled'> | null> {
    if (live.threads.has(threadId)) return { id: threadId, runtimeId: live.id, titled: true };
    const thread = await this.options.store.getThread(threadId);
    if (!thread || thread.runtimeId !== live.id) return null;
    live.threads.add(threadId);
    return { id: threadId, runtimeId: live.id, titled: true };
  }
}
