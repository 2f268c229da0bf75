import type { EventBody, LogBody, LogEntry, Thread, ThreadEvent } from '@remote-chat/protocol';
import type { Hub } from './hub.js';
import { KeyedQueue } from './keyed-queue.js';
import type { AppendResult, LinkReceipt, Store, ThreadRecord } from './store/store.js';
import { topics } from './topics.js';

/** The title a thread gets from its first message. */
function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line || 'New thread';
}

export function publicThread(record: ThreadRecord): Thread {
  const { userId: _user, titled: _titled, ...thread } = record;
  return thread;
}

/**
 * Appends thread events and runtime-log entries and publishes them. Append-then-publish is
 * serialised per topic, so subscribers see entries in seq order as they are committed.
 */
export class Journal {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly store: Store,
    private readonly hub: Hub<ThreadEvent | LogEntry>,
  ) {}

  appendEvent(
    thread: Pick<ThreadRecord, 'id' | 'runtimeId' | 'titled'>,
    body: EventBody,
    receipt?: LinkReceipt,
  ): Promise<AppendResult> {
    const topic = topics.thread(thread.id);
    return this.queue.run(topic, async () => {
      const result = await this.store.appendEvent(thread.id, body, receipt);
      if (!result.created) return result;
      this.hub.publish(topic, result.event);
      let updated: ThreadRecord | null = null;
      if (body.kind === 'message.user' && !thread.titled && result.event.seq === 1) {
        updated = await this.store.updateThread(thread.id, { title: titleFrom(body.text), titled: false });
      }
      // The thread list shows activity: tell it the thread moved, at most once per user message
      // or agent turn, not for every output chunk.
      if (updated || body.kind === 'message.user' || body.kind === 'status') {
        updated ??= await this.store.getThread(thread.id);
        if (updated) this.hub.notify(topics.threads(thread.runtimeId), publicThread(updated));
      }
      return result;
    });
  }

  appendLog(runtimeId: string, body: LogBody): Promise<LogEntry> {
    const topic = topics.runtimeLog(runtimeId);
    return this.queue.run(topic, async () => {
      const entry = await this.store.appendLog(runtimeId, body);
      this.hub.publish(topic, entry);
      return entry;
    });
  }

  /** Tells a runtime's thread-list subscribers that a thread was made or renamed. */
  notifyThread(thread: ThreadRecord): void {
    this.hub.notify(topics.threads(thread.runtimeId), publicThread(thread));
  }

  /** Waits for every queued append. */
  drain(): Promise<void> {
    return this.queue.drain();
  }
}
