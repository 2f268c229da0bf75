import type { RawData, WebSocket } from 'ws';
import { CLOSE_CODES, LIMITS, type LinkFrame, type LinkMessageSchema, type LinkState } from '@remote-chat/protocol';
import { LinkFrameTooLargeError, LinkOutboxFullError } from './errors.js';
import { encodeFrame, frameParser, rawDataBytes, rawDataText, type FrameParser } from './frames.js';
import { MemoryOutbox, type LinkOutbox } from './outbox.js';

/** After this many malformed frames on one socket the session closes it with `badFrames`. */
export const MAX_BAD_FRAMES = 20;

/** WebSocket's own close code for a message over the receiver's limit (RFC 6455, 7.4.1). */
const MESSAGE_TOO_BIG = 1009;

/** How long a closed socket gets to finish its closing handshake before it is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** How often `caughtUp` repeats its ping until it is answered. */
const PROBE_REPEAT_MS = 500;

/** The close code for "the message handler failed"; the peer resends from the last ack. */
const HANDLER_FAILED = 1011;

/** Default fill of the outbox (of its frame or byte limit, whichever is fuller) at which `pressure` turns on. */
export const DEFAULT_HIGH_WATER = 0.8;
/** Default fill at or below which `pressure` turns off again. */
export const DEFAULT_LOW_WATER = 0.5;

/**
 * The execution gateway's channel on a link: frames beside `data` that are neither numbered,
 * acknowledged, stored nor resent. A request made on a link lives as long as that link's socket
 * stays up; its owners watch `onState` and fail what was in flight when it goes offline.
 */
export interface LinkGatewayOptions<GIn> {
  /** Validates incoming gateway frames (GatewayToRuntimeFrameSchema on the runtime, GatewayFromRuntimeFrameSchema in the BFF). */
  inbound: LinkMessageSchema<GIn>;
  /** Hears each valid incoming gateway frame, in arrival order. A throw is the handler's own. */
  onFrame: (frame: GIn) => void;
  /** Largest gateway frame in bytes, both directions. @default LIMITS.maxGatewayFrameBytes */
  maxFrameBytes?: number;
}

export interface LinkSessionOptions<In, GIn = never> {
  /** Validates incoming data messages (ToRuntimeMessageSchema on the runtime side, FromRuntimeMessageSchema in the BFF). */
  inbound: LinkMessageSchema<In>;
  /**
   * Handles one incoming message; the frame is acknowledged only after this resolves (so the BFF
   * acks after storing). Called strictly in seq order, one at a time. If it throws, the socket is
   * closed with 1011 and the peer resends the frame after reconnecting.
   */
  onMessage: (message: In, seq: number) => Promise<void> | void;
  /** Most unacknowledged outgoing frames kept; past it `send` throws LinkOutboxFullError and `sendOrHold` holds. @default 10_000 */
  maxOutbox?: number;
  /**
   * `pressure` turns on once the outbox is this full: a fraction of `maxOutbox` frames or of the
   * outbox's byte bound (`LinkOutbox.maxBytes`), whichever is fuller. What lies above it is
   * headroom for the events producers still emit after they paused. @default 0.8
   */
  highWater?: number;
  /** `pressure` turns off again once acknowledgements bring the fill down to this fraction. @default 0.5 */
  lowWater?: number;
  /** Where `sendOrHold` reports holding messages in memory. @default console.error */
  log?: (line: string) => void;
  /** How often a ping goes out. @default 15_000 */
  heartbeatMs?: number;
  /** Close the socket when nothing arrived for this long. @default 45_000 */
  deadAfterMs?: number;
  /** The last seq already handled from the peer (e.g. read back after a restart). @default 0 */
  lastReceived?: number;
  /** Maximum frame size in bytes, both directions. @default LIMITS.maxLinkFrameBytes */
  maxFrameBytes?: number;
  /** How long acknowledgements are held to be batched. @default 20 */
  ackDelayMs?: number;
  /**
   * Start handling a message before the previous one's promise settles. Messages are still
   * started, and acknowledged, in seq order; this lets a handler that batches (the BFF's group
   * commit) see many at once. On a failure, messages after the failed one may already have taken
   * effect and will be resent: the handler must recognise them (the BFF checks the link seq it
   * stored with each event). @default false
   */
  pipelined?: boolean;
  /**
   * How fast the peer may send. Called at each `attach`, it makes the check of that socket's
   * frames: asked once for every well-formed frame with its type, it answers whether the frame is
   * within the socket's budget. The first frame over it closes the socket with `rateLimited`
   * (4429) and nothing more is read from that socket; the peer may dial again. @default no limit
   */
  frameGate?: () => FrameGate;
  /** The execution gateway's frames; without it they count as malformed. @default none */
  gateway?: LinkGatewayOptions<GIn>;
}

/** One socket's frame budget (see `LinkSessionOptions.frameGate`): asked with a link frame's type, or `gateway` for an execution-gateway frame; true admits the frame. */
export type FrameGate = (type: string) => boolean;

/** Where a session keeps its unacknowledged outgoing frames. */
export interface LinkSessionStorage<Out> {
  /** @default a new MemoryOutbox */
  outbox?: LinkOutbox<Out>;
}

/** The stream under a link's WebSocket, as far as the session uses it (`attach`). */
export interface LinkTransport {
  cork(): void;
  uncork(): void;
}

/** A `caughtUp` caller waiting until every seq up to `upTo` is handled, or the epoch is abandoned. */
interface HandledWaiter {
  upTo: number;
  epoch: number;
  resolve: () => void;
}

type StateListener = (state: LinkState, detail?: string) => void;
type PressureListener = (pressure: boolean) => void;

/**
 * One side of the runtime link: numbers outgoing messages, keeps them until the peer
 * acknowledges them, resends them after a reconnect, and hands incoming messages to `onMessage`
 * exactly once and in order. Sockets come and go (`attach` / `detach`); the session outlives them.
 *
 * @example
 * const session = new LinkSession<FromRuntimeMessage, ToRuntimeMessage>({
 *   inbound: ToRuntimeMessageSchema,
 *   onMessage: (message) => host.handle(message),
 * });
 * await dialLink({ url, runtimeId, token, session });
 * session.send({ type: 'runtime.info', ... });
 */
export class LinkSession<Out, In, GOut = never, GIn = never> {
  /** Largest `data` frame in bytes. */
  readonly maxFrameBytes: number;
  /** Largest gateway frame in bytes (0 without a gateway channel). */
  readonly maxGatewayFrameBytes: number;

  readonly #onMessage: (message: In, seq: number) => Promise<void> | void;
  readonly #onGatewayFrame: ((frame: GIn) => void) | undefined;
  readonly #parse: FrameParser<In, GIn>;
  readonly #outbox: LinkOutbox<Out>;
  readonly #maxOutbox: number;
  readonly #heartbeatMs: number;
  readonly #deadAfterMs: number;
  readonly #ackDelayMs: number;
  readonly #listeners = new Set<StateListener>();
  readonly #pressureListeners = new Set<PressureListener>();
  readonly #highWater: number;
  readonly #lowWater: number;
  readonly #log: (line: string) => void;
  readonly #frameGate: (() => FrameGate) | undefined;

  #state: LinkState = 'offline';
  #socket: WebSocket | undefined;
  /** The stream under #socket, corked while a turn of the event loop writes to it (`attach`). */
  #transport: LinkTransport | undefined;
  #corked = false;
  #detachSocket: (() => void) | undefined;
  #everOpen = false;
  #badFrames = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #deadTimer: NodeJS.Timeout | undefined;
  /** When the last frame arrived on the socket (performance.now()). */
  #lastHeard = 0;

  /** Highest seq handled by `onMessage`. */
  #lastReceived: number;
  /** Highest seq accepted into the handling queue (≥ #lastReceived). */
  #queuedUpTo: number;
  /** Bumped when the queue is abandoned after a handler failure; stale jobs then do nothing. */
  #epoch = 0;
  /** Not pipelined: each message's handling, chained after the one before it. */
  #queue: Promise<void> = Promise.resolve();
  /** Pipelined: seqs above #lastReceived whose handling finished, waiting for the ones before them. */
  readonly #doneAhead = new Set<number>();
  /** Pipelined: the lowest seq whose handling failed, dealt with once every seq before it is handled. */
  #failedAhead: { seq: number; error: unknown } | null = null;
  /** Pipelined: `caughtUp` callers waiting for what was accepted before their pong to be handled. */
  #handledWaiters: HandledWaiter[] = [];
  #ackDue = false;
  #ackTimer: NodeJS.Timeout | undefined;
  readonly #pipelined: boolean;

  /** The pings of `caughtUp` waiting for their pong, by their `t` (negative: heartbeats send the time). */
  #probes = new Map<number, { resolve: (handled: Promise<void>) => void; reject: (error: Error) => void }>();
  #lastProbe = 0;

  /** Messages `sendOrHold` took while the outbox was at its limit, oldest first; not yet numbered. */
  #held: Out[] = [];
  #pressure = false;

  constructor(options: LinkSessionOptions<In, GIn> & LinkSessionStorage<Out>) {
    this.#onMessage = options.onMessage;
    this.#onGatewayFrame = options.gateway?.onFrame;
    this.maxGatewayFrameBytes = options.gateway ? (options.gateway.maxFrameBytes ?? LIMITS.maxGatewayFrameBytes) : 0;
    this.#pipelined = options.pipelined ?? false;
    this.#frameGate = options.frameGate;
    this.#parse = frameParser(options.inbound, options.gateway?.inbound);
    this.#outbox = options.outbox ?? new MemoryOutbox<Out>();
    this.#maxOutbox = options.maxOutbox ?? 10_000;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#deadAfterMs = options.deadAfterMs ?? 45_000;
    this.#ackDelayMs = options.ackDelayMs ?? 20;
    this.maxFrameBytes = options.maxFrameBytes ?? LIMITS.maxLinkFrameBytes;
    this.#lastReceived = options.lastReceived ?? 0;
    this.#queuedUpTo = this.#lastReceived;
    this.#highWater = options.highWater ?? DEFAULT_HIGH_WATER;
    this.#lowWater =
      options.lowWater ?? (this.#highWater > DEFAULT_LOW_WATER ? DEFAULT_LOW_WATER : this.#highWater / 2);
    if (!(this.#lowWater >= 0 && this.#lowWater < this.#highWater && this.#highWater <= 1)) {
      throw new RangeError(
        `LinkSession needs 0 <= lowWater < highWater <= 1; got lowWater ${this.#lowWater}, highWater ${this.#highWater}`,
      );
    }
    this.#log = options.log ?? ((line) => console.error(line));
    // An outbox read back from disk may start out full.
    this.#pressure = this.#fill() >= this.#highWater;
  }

  /** 'connecting' | 'open' | 'resuming' | 'offline'. */
  get state(): LinkState {
    return this.#state;
  }

  /** The largest frame of either channel; diallers and servers pass it to `ws` as `maxPayload`. */
  get maxPayloadBytes(): number {
    return Math.max(this.maxFrameBytes, this.maxGatewayFrameBytes);
  }

  /**
   * Writes an execution gateway frame now, on the open socket: it is not kept, numbered or resent.
   * Returns false when no socket is open (the caller fails its request: a link drop fails it
   * anyway). Throws LinkFrameTooLargeError past `maxGatewayFrameBytes`.
   */
  sendGateway(frame: GOut): boolean {
    const text = JSON.stringify(frame);
    const bytes = Buffer.byteLength(text);
    if (bytes > this.maxGatewayFrameBytes) throw new LinkFrameTooLargeError(bytes, this.maxGatewayFrameBytes);
    const socket = this.#socket;
    if (!socket || socket.readyState !== socket.OPEN || this.#state !== 'open') return false;
    this.#write(text);
    return true;
  }

  /**
   * Resolves once every data frame the peer sent before it answered a ping of ours is handled:
   * after a reconnect, all it resent (a side resends as it attaches, before it reads anything
   * more). Rejects if the link is not open, or closes before the answer.
   */
  async caughtUp(): Promise<void> {
    if (!this.#socket || this.#state !== 'open') throw new Error('the link is not open');
    const t = --this.#lastProbe;
    const handled = new Promise<Promise<void>>((resolve, reject) => this.#probes.set(t, { resolve, reject }));
    const ping = () => this.#write(encodeFrame<Out>({ type: 'ping', t }));
    ping();
    // Again now and then: a ping that reached the peer in its handshake's last read went unseen.
    const again = setInterval(ping, PROBE_REPEAT_MS);
    try {
      await await handled;
    } finally {
      clearInterval(again);
    }
  }

  /** Highest in-order seq handled from the peer. */
  get lastReceived(): number {
    return this.#lastReceived;
  }

  /** Unacknowledged outgoing frames. */
  get pending(): number {
    return this.#outbox.size;
  }

  /** Messages `sendOrHold` keeps in memory because the outbox was at its limit; they join it as acknowledgements make room. */
  get held(): number {
    return this.#held.length;
  }

  /**
   * Back-pressure: true once the outbox is `highWater` full (of its frame or byte limit) or
   * messages are held, until acknowledgements bring it down to `lowWater`. Producers should stop
   * taking in more (the shell agent stops reading its commands' output) while it is on.
   */
  get pressure(): boolean {
    return this.#pressure;
  }

  /** Hears every change of `pressure`; returns an unsubscribe function. */
  onPressure(listener: (pressure: boolean) => void): () => void {
    this.#pressureListeners.add(listener);
    return () => this.#pressureListeners.delete(listener);
  }

  /**
   * Queue a message: assigns the next seq, keeps it until acked, sends now if attached. Returns the
   * seq. Throws LinkOutboxFullError when the outbox is at its limit (or `sendOrHold` holds messages,
   * which must go first) and LinkFrameTooLargeError for a frame over `maxFrameBytes`.
   */
  send(message: Out): number {
    if (this.#held.length > 0) throw new LinkOutboxFullError(this.#maxOutbox);
    const seq = this.#append(message);
    this.#updatePressure();
    return seq;
  }

  /**
   * Like `send`, but a full outbox does not refuse the message: it is held in memory, in order
   * behind any held before it, and joins the outbox (numbered then) as acknowledgements make room.
   * Returns the seq, or undefined while held. Meant for producers that watch `pressure`, so that
   * what is held stays small; the first message held in an episode is logged. Still throws
   * LinkFrameTooLargeError.
   */
  sendOrHold(message: Out): number | undefined {
    if (this.#held.length === 0) {
      try {
        return this.send(message);
      } catch (error) {
        if (!(error instanceof LinkOutboxFullError)) throw error;
        this.#log(
          `the link outbox is full (${error.limit} ${error.unit}); holding messages in memory until the peer acknowledges more`,
        );
      }
    } else {
      // The seq it will get is at least this one; check the size now, not when it is released.
      this.#checkSize(message, this.#outbox.lastSeq + this.#held.length + 1);
    }
    this.#held.push(message);
    this.#updatePressure();
    return undefined;
  }

  /** Numbers a message into the outbox and writes it if attached; throws like `send`. */
  #append(message: Out): number {
    if (this.#outbox.size >= this.#maxOutbox) throw new LinkOutboxFullError(this.#maxOutbox);
    const seq = this.#outbox.lastSeq + 1;
    const text = this.#checkSize(message, seq);
    const assigned = this.#outbox.append(message);
    if (assigned === seq) this.#write(text);
    else this.#write(encodeFrame<Out>({ type: 'data', seq: assigned, message }));
    return assigned;
  }

  /** The frame of `message` under `seq`; throws LinkFrameTooLargeError if it is too large. */
  #checkSize(message: Out, seq: number): string {
    const text = encodeFrame<Out>({ type: 'data', seq, message });
    const bytes = Buffer.byteLength(text);
    if (bytes > this.maxFrameBytes) throw new LinkFrameTooLargeError(bytes, this.maxFrameBytes);
    return text;
  }

  /** Moves held messages into the outbox, in order, while it has room. */
  #releaseHeld(): void {
    if (this.#held.length === 0) return;
    let released = 0;
    while (this.#held.length > 0) {
      try {
        this.#append(this.#held[0]!);
      } catch (error) {
        if (error instanceof LinkOutboxFullError) break;
        // Checked when it was held; only a failing outbox (a disk error) gets here. Keep the order: drop this one.
        this.#log(`cannot queue a held message: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.#held.shift();
      released++;
    }
    if (this.#held.length === 0) this.#log(`the link outbox has room again; ${released} held message(s) queued`);
  }

  /** How full the outbox is: the fuller of its frame and byte limits, 0 to 1 (more with held messages). */
  #fill(): number {
    const frames = this.#outbox.size / this.#maxOutbox;
    const { bytes, maxBytes } = this.#outbox;
    const fill = bytes !== undefined && maxBytes ? Math.max(frames, bytes / maxBytes) : frames;
    return this.#held.length > 0 ? Math.max(fill, 1 + this.#held.length) : fill;
  }

  #updatePressure(): void {
    const fill = this.#fill();
    const pressure = this.#pressure ? fill > this.#lowWater : fill >= this.#highWater;
    if (pressure === this.#pressure) return;
    this.#pressure = pressure;
    for (const listener of [...this.#pressureListeners]) {
      try {
        listener(pressure);
      } catch {
        // A listener's failure is its own; the link goes on.
      }
    }
  }

  /** After acknowledgements: held messages go into the outbox, and the pressure may ease. */
  #acknowledged(): void {
    this.#releaseHeld();
    this.#updatePressure();
  }

  /**
   * After a successful handshake: resend every kept frame above peerLastReceived, start
   * heartbeats, route frames. Replaces (closes with 4409) any socket already attached.
   *
   * When the peer reports a `lastReceived` that cannot come from this session's numbering (above
   * anything sent, or below what it already acknowledged) one side lost its state in a restart;
   * the kept frames are then renumbered to follow the peer's `lastReceived` so nothing is skipped.
   *
   * `transport`, the stream under the WebSocket, if known: corked for the rest of a turn of the
   * event loop at its first write, so that what a busy side sends in one turn (a runtime's burst of
   * events, a resend) leaves in one write, not a system call per frame.
   */
  attach(socket: WebSocket, peerLastReceived: number, transport?: LinkTransport): void {
    // The state goes straight on to 'open': a replaced socket is no outage.
    if (this.#socket) this.#release(this.#socket, CLOSE_CODES.replaced, 'replaced by a newer connection', false);
    if (socket.readyState !== socket.OPEN) {
      this.#setState('offline', 'the socket closed during the handshake');
      return;
    }
    const outbox = this.#outbox;
    if (peerLastReceived > outbox.lastSeq || peerLastReceived < outbox.ackedUpTo) outbox.rebase(peerLastReceived + 1);
    else outbox.ack(peerLastReceived);
    // Before the socket is set: what is released now goes out with the resend below.
    this.#acknowledged();

    this.#socket = socket;
    this.#transport = transport;
    this.#everOpen = true;
    this.#badFrames = 0;
    const admit = this.#frameGate?.();
    const onMessage = (data: RawData): void => this.#onFrame(socket, data, admit);
    const onClose = (code: number, reason: Buffer): void => {
      if (this.#socket !== socket) return;
      this.#cleanup();
      this.#setState('offline', describeClose(code, reason.toString()));
    };
    const onError = (): void => {
      // 'close' follows every 'error'; nothing to do but keep the error from going unhandled.
    };
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.on('error', onError);
    this.#detachSocket = () => {
      socket.off('message', onMessage);
      socket.off('close', onClose);
    };
    this.#heartbeat = setInterval(
      () => this.#write(encodeFrame<Out>({ type: 'ping', t: Date.now() })),
      this.#heartbeatMs,
    );
    this.#heartbeat.unref();
    this.#lastHeard = performance.now();
    this.#deadTimer = setTimeout(() => this.#checkAlive(socket), this.#deadAfterMs);
    this.#deadTimer.unref();

    this.#setState('open');
    for (const entry of outbox.after(peerLastReceived)) {
      this.#write(encodeFrame<Out>({ type: 'data', seq: entry.seq, message: entry.message }));
    }
  }

  /** Close the current socket (if any) with a code/reason and go offline; kept frames stay for the next attach. */
  detach(code = 1000, reason = 'detached'): void {
    if (this.#socket) this.#release(this.#socket, code, reason);
    else this.#setState('offline', reason);
  }

  /** Subscribe to state changes; returns an unsubscribe function. */
  onState(listener: (state: LinkState, detail?: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * For diallers (`dialLink`, `LinkDialer`): a dial started. Shows 'connecting' before the first
   * successful handshake and 'resuming' after, unless a socket is attached.
   */
  dialling(): void {
    if (!this.#socket) this.#setState(this.#everOpen ? 'resuming' : 'connecting');
  }

  /** For diallers: a dial failed; goes 'offline' with the reason unless a socket is attached. */
  dialFailed(detail: string): void {
    if (!this.#socket) this.#setState('offline', detail);
  }

  #onFrame(socket: WebSocket, data: RawData, admit: FrameGate | undefined): void {
    if (socket !== this.#socket) return;
    try {
      // Noted, not a timer moved per frame: the dead-link timer looks when it fires (#checkAlive).
      this.#lastHeard = performance.now();
      const bytes = rawDataBytes(data);
      const parsed = bytes > this.maxPayloadBytes ? null : this.#parse(rawDataText(data));
      if (bytes > (parsed?.channel === 'gateway' ? this.maxGatewayFrameBytes : this.maxFrameBytes)) {
        // As the socket does past its own limit: a peer that sends this much is not one to read on.
        this.#release(socket, MESSAGE_TOO_BIG, 'frame too large');
        socket.pause();
        return;
      }
      if (!parsed) {
        this.#badFrame(socket);
        return;
      }
      if (admit && !admit(parsed.channel === 'link' ? parsed.frame.type : 'gateway')) {
        this.#release(socket, CLOSE_CODES.rateLimited, 'too many frames; slow down');
        // What the peer already sent is not read: a flood costs no more than this.
        socket.pause();
        return;
      }
      if (parsed.channel === 'link') this.#route(socket, parsed.frame);
      else this.#gatewayFrame(parsed.frame);
    } catch {
      // A frame never throws out of the socket's event handler.
      this.#badFrame(socket);
    }
  }

  /** The dead-link timer fired: closes the socket if nothing arrived for `deadAfterMs`, else waits on. */
  #checkAlive(socket: WebSocket): void {
    if (socket !== this.#socket) return;
    const quiet = performance.now() - this.#lastHeard;
    if (quiet >= this.#deadAfterMs) {
      this.#release(socket, CLOSE_CODES.timeout, `nothing arrived for ${this.#deadAfterMs} ms`);
      return;
    }
    this.#deadTimer = setTimeout(() => this.#checkAlive(socket), this.#deadAfterMs - quiet);
    this.#deadTimer.unref();
  }

  #gatewayFrame(frame: GIn): void {
    try {
      this.#onGatewayFrame?.(frame);
    } catch (error) {
      // The handler's failure is its own, not a malformed frame.
      this.#log(`a gateway frame's handler failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #route(socket: WebSocket, frame: LinkFrame<In>): void {
    switch (frame.type) {
      case 'data':
        this.#receive(socket, frame.seq, frame.message);
        return;
      case 'ack':
        this.#outbox.ack(frame.upTo);
        this.#acknowledged();
        return;
      case 'ping':
        this.#write(encodeFrame<Out>({ type: 'pong', t: frame.t }));
        return;
      case 'pong':
        this.#probes.get(frame.t)?.resolve(this.#handledSoFar());
        this.#probes.delete(frame.t);
        return;
      case 'hello':
      case 'welcome':
        this.#badFrame(socket);
        return;
    }
  }

  #receive(socket: WebSocket, seq: number, message: In): void {
    if (seq <= this.#queuedUpTo) {
      // A resend of something already handled: drop it, but acknowledge again so the peer stops.
      if (seq <= this.#lastReceived) this.#scheduleAck();
      return;
    }
    if (seq !== this.#queuedUpTo + 1) {
      this.#release(socket, CLOSE_CODES.badFrames, `seq gap: expected ${this.#queuedUpTo + 1}, got ${seq}`);
      return;
    }
    this.#queuedUpTo = seq;
    const epoch = this.#epoch;
    if (this.#pipelined) this.#startPipelined(epoch, seq, message);
    else this.#queue = this.#queue.then(() => this.#handleInTurn(epoch, seq, message));
  }

  /**
   * Pipelined: starts handling a message now, and notes its end when it comes. Ends are taken in
   * seq order (#handled holds back one that finished before those ahead of it): no chain of
   * promises per message, and none at all for a handler that finished synchronously.
   */
  #startPipelined(epoch: number, seq: number, message: In): void {
    let handling: Promise<void> | void;
    try {
      handling = this.#onMessage(message, seq);
    } catch (error) {
      this.#failed(epoch, seq, error);
      return;
    }
    if (handling === undefined) this.#handled(epoch, seq);
    else
      handling.then(
        () => this.#handled(epoch, seq),
        (error: unknown) => this.#failed(epoch, seq, error),
      );
  }

  /** Not pipelined: handles a message once the one before it is handled, then notes its end. */
  async #handleInTurn(epoch: number, seq: number, message: In): Promise<void> {
    // Abandoned after an earlier failure.
    if (epoch !== this.#epoch) return;
    try {
      await this.#onMessage(message, seq);
    } catch (error) {
      this.#abandon(seq, error);
      return;
    }
    this.#lastReceived = seq;
    this.#scheduleAck();
  }

  /** Pipelined: `seq` was handled; acknowledges it with every finished one after it, in order. */
  #handled(epoch: number, seq: number): void {
    if (epoch !== this.#epoch) return;
    if (seq !== this.#lastReceived + 1) {
      this.#doneAhead.add(seq);
      return;
    }
    let last = seq;
    while (this.#doneAhead.size > 0 && this.#doneAhead.delete(last + 1)) last++;
    this.#lastReceived = last;
    this.#scheduleAck();
    const failed = this.#failedAhead;
    if (failed?.seq === last + 1) this.#abandon(failed.seq, failed.error);
    else this.#wakeHandledWaiters();
  }

  /** Pipelined: handling `seq` failed; dealt with in its turn, once everything before it is handled. */
  #failed(epoch: number, seq: number, error: unknown): void {
    if (epoch !== this.#epoch) return;
    if (seq === this.#lastReceived + 1) this.#abandon(seq, error);
    else if (!this.#failedAhead || seq < this.#failedAhead.seq) this.#failedAhead = { seq, error };
  }

  /** Abandons everything queued from `seq` on; the peer resends from our last acknowledgement. */
  #abandon(seq: number, error: unknown): void {
    this.#epoch++;
    this.#queuedUpTo = this.#lastReceived;
    this.#doneAhead.clear();
    this.#failedAhead = null;
    this.#wakeHandledWaiters();
    const text = error instanceof Error ? error.message : String(error);
    if (this.#socket) this.#release(this.#socket, HANDLER_FAILED, `handling seq ${seq} failed: ${text}`);
  }

  /** Resolves once every message accepted so far is handled, or abandoned after a failure. */
  #handledSoFar(): Promise<void> {
    if (!this.#pipelined) return this.#queue;
    if (this.#lastReceived >= this.#queuedUpTo) return Promise.resolve();
    return new Promise((resolve) => this.#handledWaiters.push({ upTo: this.#queuedUpTo, epoch: this.#epoch, resolve }));
  }

  #wakeHandledWaiters(): void {
    if (this.#handledWaiters.length === 0) return;
    const waiting: HandledWaiter[] = [];
    for (const waiter of this.#handledWaiters) {
      if (waiter.epoch !== this.#epoch || this.#lastReceived >= waiter.upTo) waiter.resolve();
      else waiting.push(waiter);
    }
    this.#handledWaiters = waiting;
  }

  #scheduleAck(): void {
    this.#ackDue = true;
    if (this.#ackTimer) return;
    this.#ackTimer = setTimeout(() => this.#flushAck(), this.#ackDelayMs);
    this.#ackTimer.unref();
  }

  #flushAck(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (!this.#ackDue) return;
    this.#ackDue = false;
    // Without a socket the next handshake carries lastReceived instead.
    this.#write(encodeFrame<Out>({ type: 'ack', upTo: this.#lastReceived }));
  }

  #badFrame(socket: WebSocket): void {
    this.#badFrames++;
    if (this.#badFrames >= MAX_BAD_FRAMES) {
      this.#release(socket, CLOSE_CODES.badFrames, `${this.#badFrames} malformed frames`);
    }
  }

  #write(text: string): void {
    const socket = this.#socket;
    if (!socket || socket.readyState !== socket.OPEN) return;
    const transport = this.#transport;
    if (transport && !this.#corked) {
      this.#corked = true;
      transport.cork();
      process.nextTick(() => {
        this.#corked = false;
        transport.uncork();
      });
    }
    // With a callback, a failed write (the socket is going away) is reported there instead of
    // thrown; 'close' handles the rest.
    socket.send(text, ignoreError);
  }

  /** Stop using `socket`: close it, stop the timers, go offline (unless `announce` is false). */
  #release(socket: WebSocket, code: number, reason: string, announce = true): void {
    if (socket !== this.#socket) return;
    this.#flushAck();
    this.#cleanup();
    closeSocket(socket, code, reason);
    if (announce) this.#setState('offline', describeClose(code, reason));
  }

  #cleanup(): void {
    for (const probe of this.#probes.values()) probe.reject(new Error('the link closed before it caught up'));
    this.#probes.clear();
    this.#detachSocket?.();
    this.#detachSocket = undefined;
    this.#socket = undefined;
    this.#transport = undefined;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#deadTimer);
    this.#heartbeat = undefined;
    this.#deadTimer = undefined;
  }

  #setState(state: LinkState, detail?: string): void {
    if (state === this.#state && state !== 'offline') return;
    this.#state = state;
    for (const listener of [...this.#listeners]) {
      try {
        listener(state, detail);
      } catch {
        // A listener's failure is its own; the link goes on.
      }
    }
  }
}

/** Closes a socket with a code, destroying it if the peer does not finish the closing handshake. */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  socket.on('error', () => {});
  if (socket.readyState === socket.CLOSED) return;
  try {
    // Close reasons are limited to 123 bytes.
    socket.close(code, truncateUtf8(reason, 120));
  } catch {
    socket.terminate();
    return;
  }
  const timer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function ignoreError(): void {}

/** What each close code means, for a close without a reason. */
const CLOSE_WORDS: Record<number, string> = {
  1000: 'the connection was closed',
  1001: 'the other end went away',
  1006: 'the connection dropped',
  [CLOSE_CODES.badFrames]: 'too many malformed messages',
  [CLOSE_CODES.unauthorized]: 'the credential was refused',
  [CLOSE_CODES.forbidden]: 'not allowed',
  [CLOSE_CODES.protocolMismatch]: 'the two ends speak different protocol versions',
  [CLOSE_CODES.timeout]: 'nothing arrived in time',
  [CLOSE_CODES.replaced]: 'a newer connection replaced this one',
  [CLOSE_CODES.tooLarge]: 'a message was too large',
  [CLOSE_CODES.rateLimited]: 'messages came too fast',
  [CLOSE_CODES.slowConsumer]: 'the reader fell behind',
  [CLOSE_CODES.reauthenticate]: 'the credential expired or was revoked',
  [CLOSE_CODES.goingAway]: 'shutting down',
};

/** "Disconnected: runtime shutting down." — the reason in words, without WebSocket close codes. */
export function describeClose(code: number, reason: string): string {
  return `Disconnected: ${reason || CLOSE_WORDS[code] || 'the connection closed'}.`;
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = text;
  while (Buffer.byteLength(out) > maxBytes) out = out.slice(0, -1);
  return out;
}
