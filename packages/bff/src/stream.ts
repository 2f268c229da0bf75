import {
  CLOSE_CODES,
  ClientFrameSchema,
  LIMITS,
  PROTOCOL_VERSION,
  parseTopic,
  streamTopic,
  type LogEntry,
  type SeqTopic,
  type ServerFrame,
  type ThreadEvent,
  type Topic,
  type TopicFrame,
  type User,
} from '@remote-chat/protocol';
import type { WebSocket } from 'ws';
import type { EntryWriter, ThreadsMessage } from './entry-writer.js';
import { userChannel, type Hub, type ReplayPages, type SeqEntry } from './hub.js';
import { TokenBucket } from './rate-limiter.js';
import { ownedRuntime, ownedThread } from './ownership.js';
import type { Runtimes } from './runtimes/runtimes.js';
import type { RuntimesMessage } from './runtimes/public-view.js';
import type { Store } from './store/store.js';
import { storedEventJson, type StoredEvent } from './store/stored-event.js';

export interface StreamLimits {
  /** Close a connection whose unsent bytes pass this: it resumes from its last seq. @default 4 MiB */
  maxBufferedBytes?: number;
  /** Frames a client may send per second, on average, in bursts of up to twice that. @default 50 */
  framesPerSecond?: number;
  /** Invalid frames tolerated before the connection is closed. @default 20 */
  maxBadFrames?: number;
  /**
   * Close a connection whose replay waited this long for its socket to drain (a reader that
   * stopped reading): it resumes from its last seq. @default 30 s
   */
  maxStallMs?: number;
}

/** A replay reads its next page only once the socket's queue is below this. */
const REPLAY_HIGH_WATER = 512 * 1024;
/** Past this in the socket's queue, live events are left in the store and replayed from it. */
const LIVE_HIGH_WATER = 2 * 1024 * 1024;

/** The raw socket under a WebSocket, corked so a tick's frames leave in one write. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Entry frame JSON by entry object. The hub hands every subscriber of a topic the same object, so
 * an event fanned out to a hundred browsers is serialised once.
 */
const serialized = new WeakMap<object, string>();

interface Deps {
  store: Store;
  hub: Hub<ThreadEvent | LogEntry>;
  runtimes: Runtimes;
  /** How a thread is shown (`EntryWriter.view`). */
  writer: Pick<EntryWriter, 'view'>;
  limits?: StreamLimits;
  /** The socket under the WebSocket; without it every frame is its own write. */
  transport?: Corkable;
}

/**
 * One browser's `WS /api/stream`: subscriptions to topics the user owns, each replayed from the
 * seq the browser asks for and then live. Every frame in is validated; every topic is checked
 * against the user; a topic that does not exist and one that is not the user's get the same answer.
 */
export class StreamConnection {
  private readonly subscriptions = new Map<Topic, () => void>();
  private badFrames = 0;
  private readonly frames: TokenBucket;
  private closed = false;
  private corked = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly user: User,
    private readonly deps: Deps,
  ) {
    const perSecond = deps.limits?.framesPerSecond ?? 50;
    this.frames = new TokenBucket({ burst: perSecond * 2, perMinute: perSecond * 60 });
    socket.on('message', (data, isBinary) => {
      // A store failure while subscribing answers this frame; it must not end the process.
      this.receive(data, isBinary).catch(() =>
        this.send({ type: 'error', code: 'internal', message: 'That frame could not be handled; try again.' }),
      );
    });
    socket.on('close', () => this.dispose());
    socket.on('error', () => this.dispose());
    this.send({ type: 'welcome', protocol: PROTOCOL_VERSION, user });
  }

  private async receive(data: unknown, isBinary: boolean): Promise<void> {
    if (this.closed) return;
    if (this.frames.take() > 0) {
      this.close(CLOSE_CODES.rateLimited, 'too many frames; slow down and reconnect');
      return;
    }
    let raw: unknown;
    try {
      if (isBinary) throw new Error('binary');
      raw = JSON.parse(String(data));
    } catch {
      return this.reject('Frames are JSON text.');
    }
    const parsed = ClientFrameSchema.safeParse(raw);
    if (!parsed.success) return this.reject(`Not a valid frame: ${parsed.error.issues[0]?.message ?? 'wrong shape'}.`);
    const frame = parsed.data;
    switch (frame.type) {
      case 'ping':
        this.send({ type: 'pong', ...(frame.id !== undefined && { id: frame.id }) });
        return;
      case 'unsubscribe':
        this.subscriptions.get(frame.topic)?.();
        this.subscriptions.delete(frame.topic);
        return;
      case 'subscribe':
        await this.subscribe(frame.topic, frame.after ?? 0, frame.batch ?? false);
        return;
    }
  }

  private async subscribe(requested: Topic, after: number, batch: boolean): Promise<void> {
    // A resubscribe replaces the old subscription (a client resuming after a gap it noticed).
    this.subscriptions.get(requested)?.();
    this.subscriptions.delete(requested);
    const { store, runtimes, writer } = this.deps;
    const userId = this.user.id;
    const notFound = () =>
      this.send({ type: 'error', code: 'not_found', message: `No such topic: ${requested}.`, topic: requested });
    // The frame schema let only topic names through; a name it let through that names nothing
    // here is answered like a topic that does not exist.
    const parsed = parseTopic(requested);
    if (!parsed) return notFound();

    if (parsed.family === 'runtimes') {
      const topic = streamTopic.runtimes;
      await this.snapshotThenLive(
        topic,
        userChannel(topic, userId),
        async () => {
          const list = await store.listRuntimes(userId);
          return { type: 'runtimes', topic, runtimes: list.map((r) => runtimes.toPublic(r)) };
        },
        (message) => {
          const m = message as RuntimesMessage;
          return m.type === 'runtime'
            ? { type: 'runtime', topic, runtime: m.runtime }
            : { type: 'runtime-removed', topic, id: m.id };
        },
      );
      return;
    }

    const { family, id } = parsed;
    const owned = family === 'thread' ? await ownedThread(store, userId, id) : await ownedRuntime(store, userId, id);
    if (this.closed) return;
    if (!owned) return notFound();
    switch (family) {
      case 'threads': {
        const topic = streamTopic.threads(id);
        await this.snapshotThenLive(
          topic,
          topic,
          async () => ({
            type: 'threads',
            topic,
            threads: (await store.listThreads(id)).map((thread) => writer.view(thread)),
          }),
          (message) => {
            const m = message as ThreadsMessage;
            return m.type === 'thread'
              ? { type: 'thread', topic, thread: m.thread }
              : { type: 'thread-removed', topic, id: m.id };
          },
        );
        return;
      }
      case 'runtime-log': {
        const topic = streamTopic.runtimeLog(id);
        this.follow(topic, after, (entry) => ({ type: 'log', topic, entry: entry as LogEntry }), 'the log');
        return;
      }
      case 'thread': {
        const topic = streamTopic.thread(id);
        // The replay reads events as stored and sends them on unparsed: in `events` frames when
        // the subscriber asked for `batch`, else one `event` frame each, as live events go.
        const replay: ReplayPages<StoredEvent> = {
          read: (from, limit, maxBytes) => store.listStoredEvents(id, from, limit, maxBytes),
          deliver: batch
            ? (page) => this.sendEvents(topic, page)
            : (page) => {
                for (const stored of page) this.sendRaw(eventFrameJson(topic, storedEventJson(stored)));
              },
        };
        this.follow(
          topic,
          after,
          (event) => ({ type: 'event', topic, event: event as ThreadEvent }),
          'the thread',
          replay,
        );
        return;
      }
    }
  }

  /**
   * Follows a seq topic: its stored entries after `after`, `caught-up`, then live entries. Each
   * entry's frame is serialised once for every subscriber (the hub hands them all one object).
   * With `replay`, the replay and any later catch-up are read and sent by it, a page at a time.
   */
  private follow<T extends SeqTopic, P extends SeqEntry>(
    topic: T,
    after: number,
    toFrame: (entry: ThreadEvent | LogEntry) => TopicFrame<T>,
    what: string,
    replay?: ReplayPages<P>,
  ): void {
    const subscription = this.deps.hub.subscribe<P>(topic, {
      after,
      onEntry: (entry) => {
        let json = serialized.get(entry);
        if (json === undefined) {
          json = JSON.stringify(toFrame(entry));
          serialized.set(entry, json);
        }
        this.sendRaw(json);
      },
      ...(replay && { replay }),
      beforePage: () => this.drained(),
      behind: () => this.socket.bufferedAmount > LIVE_HIGH_WATER,
      onCaughtUp: (seq) => this.send({ type: 'caught-up', topic, seq }),
      onError: () =>
        this.send({ type: 'error', code: 'internal', message: `Reading ${what} failed; resubscribe.`, topic }),
    });
    this.subscriptions.set(topic, () => subscription.close());
  }

  /**
   * Listens first, then reads and sends the snapshot; updates that arrive meanwhile are held and
   * sent after it, so the snapshot can never overwrite a newer update on the client.
   */
  private async snapshotThenLive<T extends Topic>(
    topic: T,
    channel: string,
    snapshot: () => Promise<TopicFrame<T>>,
    toFrame: (message: unknown) => TopicFrame<T>,
  ): Promise<void> {
    let held: unknown[] | null = [];
    const stop = this.deps.hub.listen(channel, (message) => {
      if (held) held.push(message);
      else this.send(toFrame(message));
    });
    this.subscriptions.set(topic, stop);
    try {
      this.send(await snapshot());
    } finally {
      const pending = held;
      held = null;
      for (const message of pending) this.send(toFrame(message));
    }
  }

  /**
   * Sends a replay page as `events` frames of at most `LIMITS.maxBatchFrameBytes` each (an event
   * larger on its own goes alone), built from each event's JSON text without parsing it again.
   */
  private sendEvents(topic: `thread:${string}`, page: StoredEvent[]): void {
    const head = `{"type":"events","topic":${JSON.stringify(topic)},"events":[`;
    const empty = Buffer.byteLength(head) + 2;
    let parts: string[] = [];
    let bytes = empty;
    for (const stored of page) {
      const json = storedEventJson(stored);
      const size = Buffer.byteLength(json) + 1;
      if (parts.length > 0 && bytes + size > LIMITS.maxBatchFrameBytes) {
        this.sendRaw(`${head}${parts.join(',')}]}`);
        parts = [];
        bytes = empty;
      }
      parts.push(json);
      bytes += size;
    }
    if (parts.length > 0) this.sendRaw(`${head}${parts.join(',')}]}`);
  }

  private send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  /**
   * Resolves once the socket has sent most of what is queued, or closed; a reader that does not
   * read for `maxStallMs` is closed rather than held (with its page) for ever.
   */
  private async drained(): Promise<void> {
    const deadline = Date.now() + (this.deps.limits?.maxStallMs ?? 30_000);
    while (!this.closed && this.socket.bufferedAmount > REPLAY_HIGH_WATER) {
      if (Date.now() > deadline) {
        this.close(CLOSE_CODES.slowConsumer, 'stopped reading; reconnect and resume');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private sendRaw(json: string): void {
    if (this.closed) return;
    const limit = this.deps.limits?.maxBufferedBytes ?? 4 * 1024 * 1024;
    if (this.socket.bufferedAmount > limit) {
      // A reader this far behind would make us buffer without bound; it resumes from its seq.
      this.close(CLOSE_CODES.slowConsumer, 'too far behind; reconnect and resume');
      return;
    }
    const transport = this.deps.transport;
    if (transport && !this.corked) {
      // Everything sent in this tick (a replay page, a group commit's events) leaves in one write.
      this.corked = true;
      transport.cork();
      process.nextTick(() => {
        this.corked = false;
        transport.uncork();
      });
    }
    this.socket.send(json);
  }

  private reject(message: string): void {
    this.badFrames += 1;
    this.send({ type: 'error', code: 'bad_request', message });
    if (this.badFrames >= (this.deps.limits?.maxBadFrames ?? 20))
      this.close(CLOSE_CODES.badFrames, 'too many invalid frames');
  }

  /** Closes the connection with a close code; the browser may reconnect and resume from its seqs. */
  close(code: number, reason: string): void {
    this.dispose();
    this.socket.close(code, reason);
    // A peer that does not read never answers the close frame; do not hold its buffers for the
    // ws default of 30 s.
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.subscriptions.values()) stop();
    this.subscriptions.clear();
  }
}

/**
 * The `event` frame of a stored event's JSON text (`storedEventJson`): a replay of a long thread
 * neither parses nor re-serialises the bodies it sends (the browser's guard checks every frame).
 */
function eventFrameJson(topic: `thread:${string}`, eventJson: string): string {
  return `{"type":"event","topic":${JSON.stringify(topic)},"event":${eventJson}}`;
}

/** The largest frame a browser may send on the stream. */
export const STREAM_MAX_PAYLOAD = LIMITS.maxStreamFrameBytes;
