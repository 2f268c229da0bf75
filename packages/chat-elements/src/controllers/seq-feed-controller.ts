import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { SeqTopic, ServerFrameOf } from '@remote-chat/protocol';
import type { RemoteChatClient } from '../client/remote-chat-client.js';

/** `idle`: nothing to follow. `loading`: reading history. `live`: caught up and listening. */
export type FeedStatus = 'idle' | 'loading' | 'live' | 'error';

export interface SeqFeedOptions<T extends { seq: number }> {
  /** The stream topic of an id. */
  topic: (id: string) => SeqTopic;
  /** One page of history after a seq, over REST (canonical). */
  loadPage: (
    client: RemoteChatClient,
    id: string,
    after: number,
    signal: AbortSignal,
  ) => Promise<{ items: T[]; lastSeq: number }>;
  /** The entries a stream frame carries (one, or a replay's batch), in seq order; none if it carries none. */
  entriesOf: (frame: ServerFrameOf<'event' | 'events' | 'log'>) => readonly T[];
  /** New entries, in seq order, each seen once. */
  onEntries: (entries: T[]) => void;
  /** What was shown belongs to another id (or none): start over. */
  onReset: () => void;
}

/**
 * Follows a seq topic: reads its history over HTTP, page by page, then listens on the stream from
 * the last seq read, so that nothing is missed between the two and nothing arrives twice.
 * Follows while the host is connected; `follow()` switches to another id.
 */
export class SeqFeedController<T extends { seq: number }> implements ReactiveController {
  status: FeedStatus = 'idle';
  error: unknown;
  /** The seq of the last entry handed to `onEntries`. */
  lastSeq = 0;
  private client: RemoteChatClient | undefined;
  private id: string | undefined;
  private abort: AbortController | undefined;
  private unsubscribe: (() => void) | undefined;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: SeqFeedOptions<T>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    this.start();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.stop();
  }

  /** Follows `id` through `client`; does nothing if both are what it already follows. */
  follow(client: RemoteChatClient | undefined, id: string | undefined): void {
    if (client === this.client && id === this.id) return;
    const wasFollowing = Boolean(this.client && this.id);
    this.stop();
    this.client = client;
    this.id = id;
    this.lastSeq = 0;
    // Entries set by hand (no client) stay until something is followed instead.
    if (wasFollowing || (client && id)) this.options.onReset();
    this.setStatus('idle');
    this.start();
  }

  /** Tries again after an error. */
  retry(): void {
    this.stop();
    this.start();
  }

  private start(): void {
    const { client, id } = this;
    if (!this.connected || !client || !id || this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    this.setStatus('loading');
    void this.catchUp(client, id, abort.signal);
  }

  private async catchUp(client: RemoteChatClient, id: string, signal: AbortSignal): Promise<void> {
    try {
      for (;;) {
        const page = await this.options.loadPage(client, id, this.lastSeq, signal);
        if (signal.aborted) return;
        this.take(page.items);
        if (page.items.length === 0 || this.lastSeq >= page.lastSeq) break;
      }
    } catch (error) {
      if (signal.aborted) return;
      this.error = error;
      this.abort = undefined;
      this.setStatus('error');
      return;
    }
    this.unsubscribe = client.subscribe<SeqTopic>(this.options.topic(id), this.lastSeq, (frame) => {
      if (frame.type === 'caught-up') this.setStatus('live');
      else if (frame.type === 'error') {
        this.error = new Error(frame.message);
        this.setStatus('error');
      } else {
        // A batch is taken in one pass: one update of the host, however many events it holds.
        this.take(this.options.entriesOf(frame));
      }
    });
    // The history is shown; the stream only adds to it.
    this.setStatus('live');
  }

  private take(entries: readonly T[]): void {
    const fresh = entries.filter((e) => e.seq > this.lastSeq);
    if (fresh.length === 0) return;
    this.lastSeq = fresh[fresh.length - 1]!.seq;
    this.options.onEntries(fresh);
    this.host.requestUpdate();
  }

  private stop(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private setStatus(status: FeedStatus): void {
    if (status !== 'error') this.error = undefined;
    if (this.status === status) return;
    this.status = status;
    this.host.requestUpdate();
  }
}
