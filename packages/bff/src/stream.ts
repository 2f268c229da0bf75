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
import type { RawData, WebSocket } from 'ws';
import type { Grant, GrantWatcher } from './credential-watch.js';
import type { EntryWriter, ThreadsMessage } from './entry-writer.js';
import { userChannel, type Hub, type ReplayPages, type SubscribeOptions } from './hub.js';
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

/** The raw socket under a WebSocket: corked so a tick's frames leave in one write. */
export interface Transport {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
}

/**
 * The hub of thread events and runtime-log entries, which keeps each entry as its WebSocket frame
 * (`entryFrame`): built once as it is fanned out, the same bytes written to every subscriber's
 * socket, and all the hub holds of it for a reader that fell behind.
 */
export type EntryHub = Hub<ThreadEvent | LogEntry, Buffer>;

/**
 * A server's WebSocket text frame carrying `payload` (RFC 6455 §5.2: final, unmasked, no
 * extension: the stream's server negotiates none), header and payload in one buffer.
 */
export function textFrame(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(payload, header, 'utf8');
  return frame;
}

/** The frame of a seq topic's entry (`event` or `log`); the hub keeps it (`EntryHub`). */
export function entryFrame(topic: string, entry: ThreadEvent | LogEntry): Buffer {
  return textFrame(
    JSON.stringify(
      topic.startsWith('thread:')
        ? { type: 'event', topic, event: entry as ThreadEvent }
        : { type: 'log', topic, entry: entry as LogEntry },
    ),
  );
}

/**
 * The connections that sent something in this turn of the event loop: one callback at its end
 * writes for all of them (rather than one scheduled per connection, for every subscriber of every
 * event).
 */
let endingTurn: StreamConnection[] = [];
/** The list of the turn before, emptied, taken as the next turn's (no new array per turn). */
let endedTurn: StreamConnection[] = [];

function endTurns(): void {
  const connections = endingTurn;
  endingTurn = endedTurn;
  for (const connection of connections) connection.endTurn();
  connections.length = 0;
  endedTurn = connections;
}

/** The frames last joined by `joinedFrames`, and their join. */
let lastJoined: { frames: Buffer[]; joined: Buffer } = { frames: [], joined: Buffer.alloc(0) };

/**
 * The frames one after the other in one buffer. Connections that follow the same topics queue the
 * same frames in a turn of the event loop, one after the other: each but the first gets the join
 * already made. Only the very same frames, in the same order, share it.
 */
function joinedFrames(frames: Buffer[]): Buffer {
  const last = lastJoined.frames;
  if (last.length === frames.length && frames.every((frame, index) => frame === last[index])) {
    return lastJoined.joined;
  }
  const joined = Buffer.concat(frames);
  lastJoined = { frames: frames.slice(), joined };
  return joined;
}

/** The payload of a frame made by `textFrame`. */
function payloadOf(frame: Buffer): Buffer {
  return frame.subarray(frame[1] === 126 ? 4 : frame[1] === 127 ? 10 : 2);
}

/** What every stream of a BFF shares: one object, not one per connection. */
export interface StreamDeps {
  store: Store;
  hub: EntryHub;
  runtimes: Runtimes;
  /** How a thread is shown (`EntryWriter.view`). */
  writer: Pick<EntryWriter, 'view'>;
  limits?: StreamLimits;
  /** Ends a connection whose credential is revoked or expires (`CredentialWatch`). */
  credentials?: { add(watcher: GrantWatcher): void; remove(watcher: GrantWatcher): void };
}

/** Who opened a stream, and with what credential (watched while the stream is open). */
export interface StreamOpener {
  user: User;
  grant: Grant;
}

/**
 * The connection of each stream socket: the socket's listeners are shared functions that look it
 * up, rather than closures per socket (an idle connection's memory is mostly what it holds).
 */
const connections = new WeakMap<WebSocket, StreamConnection>();

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  connections.get(this)?.received(data, isBinary);
}

function onSocketGone(this: WebSocket): void {
  connections.get(this)?.dispose();
}

/**
 * One browser's `WS /api/stream`: subscriptions to topics the user owns, each replayed from the
 * seq the browser asks for and then live. Every frame in is validated; every topic is checked
 * against the user; a topic that does not exist and one that is not the user's get the same answer.
 */
export class StreamConnection implements GrantWatcher {
  private readonly subscriptions = new Map<Topic, { close(): void }>();
  private badFrames = 0;
  private readonly frames: TokenBucket;
  private closed = false;
  private corked = false;
  /** Frames of this turn of the event loop not yet written: they leave in one buffer at its end. */
  private queued: Buffer[] = [];
  /** Whether this connection is on `endingTurn`. */
  private flushing = false;
  private readonly user: User;
  readonly grant: Grant;

  constructor(
    private readonly socket: WebSocket,
    opener: StreamOpener,
    private readonly deps: StreamDeps,
    /** The socket under the WebSocket; without it every frame is its own write. */
    private readonly transport?: Transport,
  ) {
    this.user = opener.user;
    this.grant = opener.grant;
    const perSecond = deps.limits?.framesPerSecond ?? 50;
    this.frames = new TokenBucket({ burst: perSecond * 2, perMinute: perSecond * 60 });
    connections.set(socket, this);
    socket.on('message', onSocketMessage);
    socket.on('close', onSocketGone);
    socket.on('error', onSocketGone);
    // A stream lives no longer than the credential it was opened with.
    deps.credentials?.add(this);
    this.send({ type: 'welcome', protocol: PROTOCOL_VERSION, user: this.user });
  }

  /** The credential it was opened with was revoked or expired. */
  credentialEnded(): void {
    this.close(CLOSE_CODES.reauthenticate, 'the credentials were revoked or expired; authenticate again');
  }

  /** A frame from the browser. */
  received(data: RawData, isBinary: boolean): void {
    // A store failure while subscribing answers this frame; it must not end the process.
    this.receive(data, isBinary).catch(() =>
      this.send({ type: 'error', code: 'internal', message: 'That frame could not be handled; try again.' }),
    );
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
        this.subscriptions.get(frame.topic)?.close();
        this.subscriptions.delete(frame.topic);
        return;
      case 'subscribe':
        await this.subscribe(frame.topic, frame.after ?? 0, frame.batch ?? false);
        return;
    }
  }

  private async subscribe(requested: Topic, after: number, batch: boolean): Promise<void> {
    // A resubscribe replaces the old subscription (a client resuming after a gap it noticed).
    this.subscriptions.get(requested)?.close();
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
      case 'runtime-log':
        this.follow(new TopicFollow(this, streamTopic.runtimeLog(id), null, after, batch));
        return;
      case 'thread':
        this.follow(new TopicFollow(this, streamTopic.thread(id), id, after, batch));
        return;
    }
  }

  /**
   * Follows a seq topic: its stored entries after `after`, `caught-up`, then live entries (the
   * hub calls the follow's methods).
   */
  private follow(follow: TopicFollow): void {
    this.subscriptions.set(follow.topic, this.deps.hub.subscribe(follow.topic, follow));
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
    this.subscriptions.set(topic, { close: stop });
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
  sendEvents(topic: `thread:${string}`, page: StoredEvent[]): void {
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

  send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  /**
   * Resolves once the socket has sent most of what is queued, or closed; a reader that does not
   * read for `maxStallMs` is closed rather than held (with its page) for ever.
   */
  async drained(): Promise<void> {
    const deadline = Date.now() + (this.deps.limits?.maxStallMs ?? 30_000);
    while (!this.closed && this.socket.bufferedAmount > REPLAY_HIGH_WATER) {
      if (Date.now() > deadline) {
        this.close(CLOSE_CODES.slowConsumer, 'stopped reading; reconnect and resume');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** A page of a thread's events as stored (a follow's replay). */
  storedEvents(threadId: string, after: number, limit: number, maxBytes: number): Promise<StoredEvent[]> {
    return this.deps.store.listStoredEvents(threadId, after, limit, maxBytes);
  }

  /** True while the socket's queue is too long to take live entries (the hub keeps them, or the store has them). */
  behind(): boolean {
    return this.socket.bufferedAmount > LIVE_HIGH_WATER;
  }

  sendRaw(json: string): void {
    if (!this.mayWrite()) return;
    // After the frames queued before it.
    this.writeFrames();
    const transport = this.transport;
    if (transport && !this.corked) {
      // What else is sent in this turn (a replay page's frames) leaves with it, in one write.
      this.corked = true;
      transport.cork();
      this.flushAtTurnEnd();
    }
    this.socket.send(json);
  }

  /**
   * Sends a frame made by `textFrame`: straight onto the socket, which is what the WebSocket would
   * write for it, when it is open (no frame of its own can be half written: it writes whole
   * frames, synchronously).
   */
  sendFrame(frame: Buffer): void {
    if (!this.mayWrite()) return;
    if (this.transport && this.socket.readyState === this.socket.OPEN) {
      if (this.queued.length === 0) this.flushAtTurnEnd();
      this.queued.push(frame);
    } else this.socket.send(payloadOf(frame), { binary: false });
  }

  /**
   * Writes the frames queued in this turn of the event loop, as one buffer: the same buffer for
   * every connection that queued the same frames (all of a topic's live subscribers, as a rule).
   */
  private writeFrames(): void {
    const frames = this.queued;
    if (frames.length === 0) return;
    // The array is kept for the next turn (one fewer allocation per subscriber and turn).
    const write =
      this.closed || this.socket.readyState !== this.socket.OPEN
        ? null
        : frames.length === 1
          ? frames[0]!
          : joinedFrames(frames);
    frames.length = 0;
    if (write) this.transport!.write(write);
  }

  /** Whether a frame may be sent now (the reader is not too far behind). */
  private mayWrite(): boolean {
    if (this.closed) return false;
    const limit = this.deps.limits?.maxBufferedBytes ?? 4 * 1024 * 1024;
    if (this.socket.bufferedAmount > limit) {
      // A reader this far behind would make us buffer without bound; it resumes from its seq.
      this.close(CLOSE_CODES.slowConsumer, 'too far behind; reconnect and resume');
      return false;
    }
    return true;
  }

  /** Has `endTurn` called at the end of this turn of the event loop (once, whatever is sent). */
  private flushAtTurnEnd(): void {
    if (this.flushing) return;
    this.flushing = true;
    endingTurn.push(this);
    if (endingTurn.length === 1) process.nextTick(endTurns);
  }

  /** The turn of the event loop ends: what it sent leaves, corked JSON frames first, then the frames queued after them. */
  endTurn(): void {
    this.flushing = false;
    if (this.corked) {
      this.corked = false;
      this.transport!.uncork();
    }
    this.writeFrames();
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

  /** Ends every subscription (the socket closed, or is being closed). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.credentials?.remove(this);
    for (const subscription of this.subscriptions.values()) subscription.close();
    this.subscriptions.clear();
  }
}

/**
 * One followed seq topic of a stream: what the hub calls for it. One object per subscription with
 * its methods on the prototype, so an idle subscription costs an object, not a closure per callback.
 * A thread's replay (and any catch-up) reads its events as stored and sends them on unparsed: in
 * `events` frames when the subscriber asked for `batch`, else one `event` frame each, as live
 * events go.
 */
class TopicFollow implements SubscribeOptions<ThreadEvent | LogEntry, StoredEvent, Buffer>, ReplayPages<StoredEvent> {
  constructor(
    private readonly stream: StreamConnection,
    readonly topic: SeqTopic,
    /** The thread followed, whose replay reads its events as stored; null for a runtime log. */
    private readonly threadId: string | null,
    readonly after: number,
    private readonly batch: boolean,
  ) {}

  get replay(): ReplayPages<StoredEvent> | undefined {
    return this.threadId === null ? undefined : this;
  }

  read(after: number, limit: number, maxBytes: number): Promise<StoredEvent[]> {
    return this.stream.storedEvents(this.threadId!, after, limit, maxBytes);
  }

  deliver(page: StoredEvent[]): void {
    const topic = this.topic as `thread:${string}`;
    if (this.batch) this.stream.sendEvents(topic, page);
    else for (const stored of page) this.stream.sendRaw(eventFrameJson(topic, storedEventJson(stored)));
  }

  onEntry(entry: ThreadEvent | LogEntry): void {
    this.stream.sendFrame(entryFrame(this.topic, entry));
  }

  onKept(frame: Buffer): void {
    this.stream.sendFrame(frame);
  }

  beforePage(): Promise<void> {
    return this.stream.drained();
  }

  behind(): boolean {
    return this.stream.behind();
  }

  onCaughtUp(seq: number): void {
    this.stream.send({ type: 'caught-up', topic: this.topic, seq });
  }

  onError(): void {
    const what = this.threadId === null ? 'the log' : 'the thread';
    this.stream.send({
      type: 'error',
      code: 'internal',
      message: `Reading ${what} failed; resubscribe.`,
      topic: this.topic,
    });
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
