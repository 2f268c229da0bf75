import {
  CLOSE_CODES,
  FromRuntimeMessageSchema,
  FromRuntimeUnnumberedFrameSchema,
  type FromRuntimeMessage,
  type FromRuntimeUnnumberedFrame,
  type ToRuntimeUnnumberedFrame,
  type LinkState,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import { LinkDialer, LinkSession } from '@remote-chat/link';
import { RemoteChatError } from '../errors.js';
import { linkFrameGate } from '../rate-limiter.js';
import type { RuntimeEndpoint } from '../providers/provider.js';
import type { ServerSecret } from '../secrets.js';
import type { RuntimeRecord, Store } from '../store/store.js';
import { StoredOutbox } from './stored-outbox.js';

/** The BFF's end of a runtime link: data messages both ways; gateway requests and push results in, answers and pushes out. */
export type RuntimeLinkSession = LinkSession<
  ToRuntimeMessage,
  FromRuntimeMessage,
  ToRuntimeUnnumberedFrame,
  FromRuntimeUnnumberedFrame
>;

/** A runtime this BFF holds a link to, or is bringing up. */
export interface LiveRuntime {
  id: string;
  userId: string;
  session: RuntimeLinkSession;
  /** The session's outbox, kept in the store. */
  outbox: StoredOutbox;
  /** The send in flight (see `LiveLinks.exclusive`). */
  sending: Promise<void>;
  dialer: LinkDialer<ToRuntimeMessage, FromRuntimeMessage, ToRuntimeUnnumberedFrame, FromRuntimeUnnumberedFrame> | null;
  /** Aborted when the runtime is deleted or the BFF closes. */
  abort: AbortController;
  link: LinkState;
  /** Threads known to belong to this runtime: a runtime may only write to its own. */
  threads: Set<string>;
  /**
   * When a message went in, an event came out or a thread was opened (or the runtime became
   * ready), for the idle shutdown and the public `lastActivityAt`. Set with `LiveLinks.markActive`.
   */
  lastActivity: number;
  /** The `lastActivity` last written to the store (0: none). */
  activitySaved: number;
  /** Threads whose agent is working (last status `thinking` or `running`). */
  busy: Set<string>;
  /** When the provider was last asked whether the runtime's process is gone. */
  lastProbe: number;
  /** Its sandbox is paused (idle): no link, work waits in the outbox until a message resumes it. */
  paused: boolean;
  /** Restarts after the runtime's process was found gone, for the restart budget. */
  restarts: number[];
  /** The highest link seq whose event is committed: frames at or below it are resends. */
  storedReceived: number;
  /** Chains the ownership checks of incoming events, so appends keep link order. */
  ordering: Promise<void>;
  /** Steps on `ordering` that have not issued their append yet: while any has, none may skip it. */
  orderingPending: number;
}

export interface LiveLinksOptions {
  store: Store;
  secret: ServerSecret;
  /** Hears a write of an outbox that failed in the background. */
  onOutboxError: (runtimeId: string, error: unknown) => void;
  /** How long `connect` waits for the link to open. @default 15_000 */
  linkTimeoutMs?: number;
  /** Handles a message from a runtime; its frame is acknowledged once this resolves. */
  onMessage: (live: LiveRuntime, message: FromRuntimeMessage, seq: number) => Promise<void> | undefined;
  /** Hears every change of a link's state. */
  onState: (live: LiveRuntime, state: LinkState, detail?: string) => Promise<void>;
  /** Hears each unnumbered frame a runtime sends (gateway requests, push results; not acknowledged). */
  onGatewayFrame: (live: LiveRuntime, frame: FromRuntimeUnnumberedFrame) => void;
  /** Hears that a runtime's last activity was written to the store, or could not be. */
  onActivitySaved: (live: LiveRuntime, error?: unknown) => void;
  /**
   * Several instances (cluster/): takes the runtime's lease before its link is made here;
   * `force` for a runtime that dialled this instance. Without it every link is this BFF's.
   */
  takeLease?: (runtimeId: string, force: boolean) => Promise<boolean>;
}

/** A runtime's last activity is written to the store at most this often (and when its link is let go). */
const SAVE_ACTIVITY_EVERY_MS = 60_000;

/**
 * The links this BFF holds, one per runtime it serves: made when a runtime is brought up or a
 * machine dials in, kept across reconnects (the session outlives its sockets), and let go when
 * the runtime stops, fails or is deleted.
 */
export class LiveLinks {
  private readonly live = new Map<string, LiveRuntime>();
  /** Links being made (their outbox is loading), so two callers get the same one. */
  private readonly making = new Map<string, Promise<LiveRuntime>>();

  constructor(private readonly options: LiveLinksOptions) {}

  get(runtimeId: string): LiveRuntime | undefined {
    return this.live.get(runtimeId);
  }

  /** Whether a link is held for the runtime, or being made. */
  has(runtimeId: string): boolean {
    return this.live.has(runtimeId) || this.making.has(runtimeId);
  }

  /** The link of a runtime that can take work, or runtime_unavailable. */
  async require(runtimeId: string): Promise<LiveRuntime> {
    const live = this.live.get(runtimeId) ?? (await this.making.get(runtimeId));
    if (!live) throw new RemoteChatError('runtime_unavailable', 'The runtime is not running.');
    return live;
  }

  all(): LiveRuntime[] {
    return [...this.live.values()];
  }

  /**
   * The runtime's link, made (offline, not dialled, its outbox loaded from the store) when none is
   * held yet. In a cluster it takes the runtime's lease first (`force`: whoever held it) and
   * throws runtime_unavailable when another instance holds it.
   */
  async ensure(record: RuntimeRecord, force = false): Promise<LiveRuntime> {
    const existing = this.live.get(record.id) ?? this.making.get(record.id);
    if (existing) return existing;
    const making = this.make(record, force).finally(() => this.making.delete(record.id));
    this.making.set(record.id, making);
    return making;
  }

  private async make(record: RuntimeRecord, force: boolean): Promise<LiveRuntime> {
    if (this.options.takeLease && !(await this.options.takeLease(record.id, force)))
      throw new RemoteChatError('runtime_unavailable', 'Another instance holds the runtime’s link.');
    const outbox = await StoredOutbox.load(this.options.store, record.id, (error) =>
      this.options.onOutboxError(record.id, error),
    );
    // The idle window goes on from the last use the store knows of, across BFF restarts.
    const saved = record.lastActivityAt ? Date.parse(record.lastActivityAt) : 0;
    const live: LiveRuntime = {
      id: record.id,
      userId: record.userId,
      dialer: null,
      abort: new AbortController(),
      link: 'offline',
      threads: new Set(),
      lastActivity: saved || Date.now(),
      activitySaved: saved,
      busy: new Set(),
      paused: record.status === 'paused',
      lastProbe: 0,
      restarts: [],
      storedReceived: record.linkReceived,
      ordering: Promise.resolve(),
      orderingPending: 0,
      outbox,
      sending: Promise.resolve(),
      session: new LinkSession<
        ToRuntimeMessage,
        FromRuntimeMessage,
        ToRuntimeUnnumberedFrame,
        FromRuntimeUnnumberedFrame
      >({
        inbound: FromRuntimeMessageSchema,
        outbox,
        // Kept in the store, not memory: nothing sent is refused for a full outbox.
        maxOutbox: Number.POSITIVE_INFINITY,
        lastReceived: record.linkReceived,
        pipelined: true,
        // Per socket, dialled or accepted: a runtime that floods its link is cut off alone.
        frameGate: () => linkFrameGate(),
        onMessage: (incoming, seq) => this.options.onMessage(live, incoming, seq),
        gateway: {
          inbound: FromRuntimeUnnumberedFrameSchema,
          onFrame: (frame) => this.options.onGatewayFrame(live, frame),
        },
      }),
    };
    live.session.onState((state, detail) => void this.options.onState(live, state, detail));
    this.live.set(record.id, live);
    if (this.options.takeLease)
      void this.claimHandoffs(live).catch((error: unknown) => this.options.onOutboxError(live.id, error));
    return live;
  }

  /**
   * Numbers the messages other instances took for the runtime into its outbox (one transaction
   * moves them from `handoffs` to `outbound`), then hands them to the link, in order.
   */
  claimHandoffs(live: LiveRuntime): Promise<void> {
    return this.exclusive(live, async () => {
      for (;;) {
        const entries = await this.options.store.claimHandoffs(live.id, live.outbox.lastSeq + 1);
        if (entries.length === 0) return;
        let moved = false;
        for (const entry of entries) if (live.session.send(entry.message) !== entry.seq) moved = true;
        // A renumbering (the runtime lost its state) meanwhile moved their seqs.
        if (moved) live.outbox.rewrite();
        await live.outbox.written();
      }
    });
  }

  /**
   * Another instance took the runtime's lease (its runtime dialled that one): drops the link here
   * without writing anything more of it to the store, which is the new holder's now.
   */
  async forget(live: LiveRuntime): Promise<void> {
    if (this.live.get(live.id) !== live) return;
    this.live.delete(live.id);
    live.abort.abort();
    await live.dialer?.stop();
    live.session.detach(CLOSE_CODES.reconnectElsewhere, 'another instance holds this runtime now');
  }

  /**
   * Sends messages to a runtime in order. When this resolves they are in the store under their
   * link seqs: the session delivers them once the link is up, after any restart of either side,
   * and the runtime handles each once. Rejects (nothing kept for sure) if the store failed.
   */
  send(live: LiveRuntime, messages: readonly ToRuntimeMessage[]): Promise<void> {
    return this.exclusive(live, async () => {
      for (const message of messages) live.session.send(message);
      await live.outbox.written();
    });
  }

  /**
   * Runs `work` while no other send to the runtime runs, for a send that stores its message
   * itself under `live.outbox.lastSeq + 1` (a user message, in the transaction of its event) and
   * then hands it to `live.session.send`: nothing else may take that seq meanwhile.
   */
  exclusive<T>(live: LiveRuntime, work: () => Promise<T>): Promise<T> {
    const run = live.sending.then(work);
    live.sending = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * The runtime was used now: the idle window starts again. Written to the store at most once a
   * minute (a store write per message would cost more than the page showing it is worth).
   */
  markActive(live: LiveRuntime): void {
    live.lastActivity = Date.now();
    if (live.lastActivity - live.activitySaved >= SAVE_ACTIVITY_EVERY_MS) void this.saveActivity(live);
  }

  /** Writes the runtime's last activity to the store if it moved since the last write. */
  private async saveActivity(live: LiveRuntime): Promise<void> {
    if (live.lastActivity <= live.activitySaved) return;
    live.activitySaved = live.lastActivity;
    try {
      await this.options.store.recordActivity(live.id, new Date(live.activitySaved).toISOString());
      this.options.onActivitySaved(live);
    } catch (error) {
      this.options.onActivitySaved(live, error);
    }
  }

  /** Forgets a runtime's link; stop its dialler first. */
  delete(runtimeId: string): void {
    this.live.delete(runtimeId);
  }

  /** Stops dialling, closes the link with `goingAway` and forgets it: the runtime stops or goes. */
  async release(live: LiveRuntime, reason: string): Promise<void> {
    await live.dialer?.stop();
    live.session.detach(CLOSE_CODES.goingAway, reason);
    this.live.delete(live.id);
    await this.saveActivity(live);
  }

  /** The runtime's link credential: derived from the server secret, never stored. */
  tokenFor(runtimeId: string): string {
    return this.options.secret.derive('runtime-link', runtimeId);
  }

  /**
   * Dials a sandbox's runtime at its endpoint and keeps the link up (redialling after a drop);
   * resolves once it is open, rejects when it does not open in time or the runtime is cancelled.
   */
  async connect(live: LiveRuntime, endpoint: RuntimeEndpoint): Promise<void> {
    await live.dialer?.stop();
    const opened = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error('the runtime did not answer on its link in time'));
      }, this.options.linkTimeoutMs ?? 15_000);
      const stop = live.session.onState((state) => {
        if (state !== 'open') return;
        clearTimeout(timer);
        stop();
        resolve();
      });
      live.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        stop();
        reject(new Error('cancelled'));
      });
    });
    live.dialer = new LinkDialer({
      url: endpoint.linkUrl,
      runtimeId: live.id,
      token: this.tokenFor(live.id),
      session: live.session,
      // A runtime reached through its provider's stream (an SSH channel) rather than by the URL's host.
      ...(endpoint.connect && { createConnection: endpoint.connect }),
      ...(endpoint.headers && { headers: endpoint.headers }),
    });
    live.dialer.start();
    await opened;
  }

  /** Closes every link (runtimes keep running) and forgets them. */
  async closeAll(code: number = CLOSE_CODES.goingAway, reason = 'server shutting down'): Promise<void> {
    await Promise.all(
      this.all().map(async (live) => {
        await live.dialer?.stop();
        live.session.detach(code, reason);
        await this.saveActivity(live);
      }),
    );
    this.live.clear();
  }
}
