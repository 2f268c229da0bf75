import {
  CLOSE_CODES,
  PROTOCOL_VERSION,
  ServerFrameSchema,
  TOPIC_FRAME_TYPES,
  frameFits,
  isSeqFamily,
  topicFamily,
  type ClientFrame,
  type ServerFrame,
  type Topic,
  type TopicFamily,
} from '@remote-chat/protocol';
import type { ConnectionChangeDetail, ConnectionStatus } from './connection-status.js';
import { ChatClientError, TokenError, isRetryable } from './errors.js';
import { ReconnectingSocket } from './reconnecting-socket.js';
import { applyToSnapshot, seqEntriesOf, sliceEntries } from './topic-frames.js';

export interface BrowserStreamOptions {
  /**
   * The `ws:` or `wss:` URL of `/api/stream`, resolved before each attempt (a one-time ticket in
   * it is good for one attempt only). A rejection that retrying may cure (a network failure, a
   * 5xx) is retried with backoff; any other (no token the BFF accepts) closes the stream with
   * `unauthorized`.
   */
  url: () => string | Promise<string>;
  /** The WebSocket class; the global one when undefined. */
  WebSocket: typeof WebSocket | undefined;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  onStatus: (detail: ConnectionChangeDetail) => void;
  /** The BFF ended the stream because its credential ended (`reauthenticate`); it reconnects next. */
  onReauthenticate?: () => void;
}

interface Subscriber {
  readonly listener: (frame: ServerFrame) => void;
  /** The seq of the last entry this listener received (seq topics only). */
  lastSeq: number;
}

interface TopicState {
  readonly topic: Topic;
  readonly family: TopicFamily;
  readonly seqTopic: boolean;
  readonly subscribers: Set<Subscriber>;
  /** Snapshot topics: the last snapshot with later updates applied, for listeners that join late. */
  snapshot: ServerFrame | undefined;
  /** A resubscription to heal a gap is under way; until its `caught-up`, gaps are expected. */
  healing: boolean;
  /** Gap resubscriptions on this connection; past the limit a gap is accepted rather than looped on. */
  heals: number;
}

/** Resubscriptions per topic and connection before a gap is delivered as it is. */
const MAX_HEALS = 3;

/** Close codes after which retrying cannot help: the session is gone or speaks another protocol. */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.unauthorized,
  CLOSE_CODES.forbidden,
  CLOSE_CODES.protocolMismatch,
]);

const BACKOFF = { minMs: 500, maxMs: 15_000, factor: 1.8 } as const;

/** Resolved for an attempt that was called off; the socket opens nothing once closed. */
const ABANDONED_URL = 'ws://invalid./';

/**
 * The one socket to `/api/stream` that every subscription of a client shares.
 *
 * Seq topics (`thread:ID`, `runtime-log:ID`) are resumed after a reconnect from the last seq each
 * listener has; entries at or below it are dropped, so a listener sees every seq once, in order.
 * Snapshot topics (`runtimes`, `threads:ID`) are simply snapshotted again.
 */
export class BrowserStream {
  status: ConnectionStatus = 'closed';
  private socket: ReconnectingSocket | undefined;
  private readonly topics = new Map<Topic, TopicState>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private pingId = 0;
  private lastFrameAt = 0;

  constructor(private readonly options: BrowserStreamOptions) {}

  subscribe(topic: Topic, after: number, listener: (frame: ServerFrame) => void): () => void {
    const subscriber: Subscriber = { listener, lastSeq: after };
    let state = this.topics.get(topic);
    if (!state) {
      const family = topicFamily(topic);
      state = {
        topic,
        family,
        seqTopic: isSeqFamily(family),
        subscribers: new Set([subscriber]),
        snapshot: undefined,
        healing: false,
        heals: 0,
      };
      this.topics.set(topic, state);
      this.sendSubscribe(state);
    } else if (state.seqTopic) {
      // The shared server subscription is past what this listener needs: replay from its seq.
      // The listeners already there drop what they have seen.
      const replay = after < lowestSeq(state);
      state.subscribers.add(subscriber);
      if (replay) this.resubscribe(state);
    } else {
      state.subscribers.add(subscriber);
      const joined = state;
      queueMicrotask(() => {
        if (joined.snapshot && joined.subscribers.has(subscriber)) this.call(subscriber, joined.snapshot);
      });
    }
    this.ensureSocket();
    const subscribed = state;
    return () => this.unsubscribe(subscribed, subscriber);
  }

  /** Retries now if the socket is down (after `close()` or a refused session, too). */
  reconnect(): void {
    if (this.socket) this.socket.reconnect();
    else if (this.topics.size > 0) this.ensureSocket();
  }

  /** Closes the socket and forgets every subscription. */
  close(): void {
    this.topics.clear();
    this.dropSocket();
    this.setStatus({ status: 'closed' });
  }

  private ensureSocket(): void {
    if (this.socket) return;
    const socket: ReconnectingSocket = new ReconnectingSocket(
      () => this.nextUrl(socket),
      { WebSocket: this.options.WebSocket, backoff: BACKOFF, minUptimeMs: 5_000, connectTimeoutMs: 8_000 },
      { open: this.handleOpen, close: this.handleClose, message: this.handleMessage },
    );
    this.socket = socket;
    globalThis.addEventListener?.('online', this.handleOnline);
    this.setStatus({ status: 'connecting' });
  }

  /**
   * Adds jitter on top of the socket's exponential delay, so that clients don't retry in step,
   * then resolves the URL. It never rejects: the socket would stop reconnecting for good.
   */
  private async nextUrl(socket: ReconnectingSocket): Promise<string> {
    let attempt = socket.retryCount;
    for (;;) {
      if (attempt > 1) {
        const base = Math.min(BACKOFF.maxMs, BACKOFF.minMs * BACKOFF.factor ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * base));
      }
      if (this.socket !== socket) return ABANDONED_URL;
      try {
        return await this.options.url();
      } catch (error) {
        if (this.socket !== socket) return ABANDONED_URL;
        if (!isRetryable(error)) {
          if (!(error instanceof TokenError || error instanceof ChatClientError)) {
            console.warn('remote-chat: could not open the stream', error);
          }
          // Closing first makes the socket drop this attempt once the URL resolves.
          this.dropSocket();
          const forbidden = error instanceof ChatClientError && error.status === 403;
          this.setStatus({ status: 'closed', closeCode: forbidden ? CLOSE_CODES.forbidden : CLOSE_CODES.unauthorized });
          return ABANDONED_URL;
        }
        this.setStatus({ status: 'reconnecting' });
        attempt = Math.max(attempt, 1) + 1;
      }
    }
  }

  private dropSocket(): void {
    this.stopPing();
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    globalThis.removeEventListener?.('online', this.handleOnline);
    socket.close(1000);
  }

  private readonly handleOpen = (): void => {
    this.lastFrameAt = Date.now();
    for (const state of this.topics.values()) {
      state.healing = false;
      state.heals = 0;
      this.sendSubscribe(state);
    }
    this.startPing();
    this.setStatus({ status: 'open' });
  };

  private readonly handleClose = (event: { code: number }): void => {
    this.stopPing();
    if (event.code === CLOSE_CODES.reauthenticate) this.options.onReauthenticate?.();
    if (FINAL_CLOSE_CODES.has(event.code)) {
      this.dropSocket();
      this.setStatus({ status: 'closed', closeCode: event.code });
      return;
    }
    this.setStatus({ status: 'reconnecting', closeCode: event.code });
  };

  private readonly handleOnline = (): void => {
    if (this.status === 'reconnecting') this.socket?.reconnect();
  };

  private readonly handleMessage = (event: MessageEvent): void => {
    this.lastFrameAt = Date.now();
    if (typeof event.data !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      return;
    }
    const parsed = ServerFrameSchema.safeParse(json);
    if (!parsed.success) {
      console.warn('remote-chat: ignoring a stream frame that does not match the protocol', parsed.error);
      return;
    }
    const frame = parsed.data;
    switch (frame.type) {
      case 'welcome':
        if (frame.protocol !== PROTOCOL_VERSION) {
          console.warn(`remote-chat: the BFF speaks protocol ${frame.protocol}, this client ${PROTOCOL_VERSION}`);
        }
        return;
      case 'pong':
        return;
      case 'error':
        if (frame.topic) this.deliver(frame.topic, frame);
        else console.warn(`remote-chat: stream error ${frame.code}: ${frame.message}`);
        return;
      default:
        this.deliver(frame.topic, frame);
    }
  };

  private deliver(topic: Topic, frame: ServerFrame): void {
    const state = this.topics.get(topic);
    if (!state || !frameFits(state.family, frame)) return;
    if (!state.seqTopic) state.snapshot = applyToSnapshot(state.snapshot, frame);
    if (frame.type === 'caught-up') state.healing = false;
    const entries = seqEntriesOf(frame);
    let gap = false;
    for (const subscriber of [...state.subscribers]) {
      if (!state.subscribers.has(subscriber)) continue;
      if (!entries) {
        this.call(subscriber, frame);
        continue;
      }
      // What this listener has not seen, up to a hole: a batch is passed on in one call.
      let skip = 0;
      while (skip < entries.length && entries[skip]!.seq <= subscriber.lastSeq) skip++;
      let seq = subscriber.lastSeq;
      let count = 0;
      for (let i = skip; i < entries.length; i++) {
        const next = entries[i]!.seq;
        if (next <= seq) break;
        if (next > seq + 1 && state.heals < MAX_HEALS) {
          // Something went missing: replay from the store rather than show a hole.
          gap = true;
          break;
        }
        seq = next;
        count++;
      }
      if (count === 0) continue;
      subscriber.lastSeq = seq;
      this.call(subscriber, sliceEntries(frame, skip, count));
    }
    if (gap && !state.healing) {
      state.healing = true;
      state.heals += 1;
      this.resubscribe(state);
    }
  }

  private call(subscriber: Subscriber, frame: ServerFrame): void {
    try {
      subscriber.listener(frame);
    } catch (error) {
      // One listener's bug must not starve the others.
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  private unsubscribe(state: TopicState, subscriber: Subscriber): void {
    if (!state.subscribers.delete(subscriber) || state.subscribers.size > 0) return;
    if (this.topics.get(state.topic) !== state) return;
    this.topics.delete(state.topic);
    this.send({ type: 'unsubscribe', topic: state.topic });
  }

  private sendSubscribe(state: TopicState): void {
    if (!state.seqTopic) {
      this.send({ type: 'subscribe', topic: state.topic });
      return;
    }
    // Where the family has `events` frames, a replay comes in them, and listeners take it in one pass.
    const batch = (TOPIC_FRAME_TYPES[state.family] as readonly string[]).includes('events');
    this.send({ type: 'subscribe', topic: state.topic, after: lowestSeq(state), ...(batch && { batch }) });
  }

  /** Unsubscribe then subscribe: works whether or not the server treats a second subscribe as a restart. */
  private resubscribe(state: TopicState): void {
    this.send({ type: 'unsubscribe', topic: state.topic });
    this.sendSubscribe(state);
  }

  private send(frame: ClientFrame): void {
    // While down, nothing is sent: `handleOpen` subscribes every topic afresh.
    this.socket?.send(JSON.stringify(frame));
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      const sentAt = Date.now();
      this.send({ type: 'ping', id: ++this.pingId });
      clearTimeout(this.pongTimer);
      // Any frame proves the socket alive; silence means a half-open connection.
      this.pongTimer = setTimeout(() => {
        if (this.lastFrameAt < sentAt) this.socket?.reconnect(4408, 'no pong');
      }, this.options.pongTimeoutMs);
    }, this.options.pingIntervalMs);
  }

  private stopPing(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }

  private setStatus(detail: ConnectionChangeDetail): void {
    if (detail.status === this.status) return;
    this.status = detail.status;
    this.options.onStatus(detail);
  }
}

function lowestSeq(state: TopicState): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const subscriber of state.subscribers) lowest = Math.min(lowest, subscriber.lastSeq);
  return Number.isFinite(lowest) ? lowest : 0;
}
