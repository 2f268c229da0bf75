import {
  CLOSE_CODES,
  LIMITS,
  type CreateRuntimeRequest,
  type EventBody,
  type FromRuntimeMessage,
  type LinkState,
  type ModelInfo,
  type Runtime,
  type ThreadEvent,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import { acceptLink, closeSocket, type LinkRefusal, type LinkTransport } from '@remote-chat/link';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { EntryWriter } from '../entry-writer.js';
import { RemoteChatError, errorMessage, notFound } from '../errors.js';
import type { ExecutionGateway } from '../gateway/execution-gateway.js';
import type { EntryHub } from '../stream.js';
import { isOwnedBy, requireRuntime } from '../ownership.js';
import type { AgentSettings, Provider } from '../providers/provider.js';
import { newId, type ServerSecret } from '../secrets.js';
import type { AppendItem, AppendResult, RuntimeRecord, Store, ThreadRecord } from '../store/store.js';
import { InboundEvents, MACHINE_DEFAULT_NAME } from './inbound-events.js';
import { LinkLeases } from './link-leases.js';
import { LiveLinks, type LiveRuntime } from './live-links.js';
import { RuntimeView } from './public-view.js';
import { defaultRuntimeName } from './runtime-names.js';
import { movedHistory } from './moved-history.js';
import { messageSendOf, threadOf } from './stored-outbox.js';
import { ENDED, Supervisor, type SupervisorOptions } from './supervisor.js';
import { WorkspacePushes, type PushOutcome } from './workspace-pushes.js';

/** How long a push waits for a paused runtime to come back before it says so. */
const PUSH_WAKE_TIMEOUT_MS = 120_000;
/** The hub channel on which an instance tells the others it handed off messages for a runtime (its id). */
const HANDOFFS_CHANNEL = 'handoffs';

export interface RuntimesOptions {
  store: Store;
  writer: EntryWriter;
  hub: EntryHub;
  providers: ReadonlyMap<string, Provider>;
  secret: ServerSecret;
  logger: Logger;
  /** How long `ready` waits for the link to open. @default 15_000 */
  linkTimeoutMs?: number;
  /**
   * A sandbox runtime with no message in, no event out and no agent at work for this long is
   * stopped and its resources released. Machine runtimes are never stopped. @default 3_600_000
   */
  idleTimeoutMs?: number;
  /** How often idle runtimes are looked for. @default a tenth of `idleTimeoutMs`, at most a minute */
  idleCheckMs?: number;
  /** Checks the API token a machine's `hello` carries; null for one it refuses. */
  authenticateMachine: (token: string) => Promise<MachineCaller | null>;
  /** Answers the runtimes' capability calls. */
  gateway: ExecutionGateway;
  /** The models the gateway offers; every runtime is sent the list after each handshake. */
  models: readonly ModelInfo[];
  /** Settings every sandbox runtime gets from the configuration (ACP agents, permission timeout). @default {} */
  agentSettings?: AgentSettings;
  /** Where a runtime's `clone` step clones `owner/name` from. @default 'https://github.com' */
  gitBaseUrl?: string | undefined;
  /** Asked before a runtime's `clone` step (GitHub: access, size, branch). @default none */
  checkSource?: SupervisorOptions['checkSource'];
  /** The one-file runtime each sandbox runtime gets. @default the runtime package's built bundle */
  runtimeFile?: string | undefined;
  /**
   * Several instances on one store: this instance's id and how long a link lease lasts without a
   * heartbeat. Without it this BFF holds every link (one instance).
   */
  cluster?: { instanceId: string; leaseTtlMs: number };
  /** Hears each lease change (cluster only), for metrics. */
  onLeaseChange?: (change: 'taken' | 'lost' | 'released', count: number) => void;
}

/** Whom a machine's API token proves. */
export interface MachineCaller {
  userId: string;
  /** Calls `onEnd` once the token is revoked or expires; returns the function that stops listening. */
  watch(onEnd: () => void): () => void;
}

/**
 * The runtimes, as the routes and the stream see them (`RemoteChat.runtimes`): create, read, stop
 * and delete them, send them work, take the links machines dial in. Knows nothing of HTTP. The
 * work is done by the parts it wires together: the live links (`live-links.ts`), the inbound event
 * store (`inbound-events.ts`), the supervisor (`supervisor.ts`, with the provider steps of
 * `provider-steps.ts`) and the public view (`public-view.ts`).
 */
export class Runtimes {
  private readonly links: LiveLinks;
  private readonly view: RuntimeView;
  private readonly inbound: InboundEvents;
  private readonly supervisor: Supervisor;
  private readonly pushes = new WorkspacePushes();
  /** Deletes under way, by runtime id. */
  private readonly deleting = new Map<string, Promise<void>>();
  /** Link ownership across instances (cluster only). */
  private readonly leases: LinkLeases | null;

  constructor(private readonly options: RuntimesOptions) {
    const { store, writer, hub, providers, logger } = options;
    this.links = new LiveLinks({
      store,
      secret: options.secret,
      onOutboxError: (runtimeId, error) =>
        logger.error({ runtimeId, err: errorMessage(error) }, 'cannot write what is sent to the runtime'),
      ...(options.linkTimeoutMs !== undefined && { linkTimeoutMs: options.linkTimeoutMs }),
      onMessage: (live, message, seq) => this.inbound.receive(live, message, seq),
      onState: (live, state, detail) => this.linkChanged(live, state, detail),
      onGatewayFrame: (live, frame) => {
        if (frame.type === 'workspace.pushResult') {
          this.pushes.receive(live, frame);
          return;
        }
        options.gateway.receive(
          // Whose call it is comes from the link, never from the frame.
          { runtimeId: live.id, userId: live.userId, send: (answer) => live.session.sendGateway(answer) },
          frame,
        );
      },
      ...(options.cluster && { takeLease: (runtimeId, force) => this.leases!.take(runtimeId, force) }),
      onActivitySaved: (live, error) => {
        if (error)
          logger.warn({ runtimeId: live.id, err: errorMessage(error) }, 'cannot save when the runtime was last used');
        // Its page shows the new idle time: at most once a minute per runtime in use (not when
        // the link is let go: the stop or delete that lets it go publishes the runtime itself).
        else if (!live.abort.signal.aborted)
          void store.getRuntime(live.id).then((record) => record && this.view.publish(record));
      },
    });
    this.view = new RuntimeView(hub, (runtimeId) => this.links.get(runtimeId));
    this.inbound = new InboundEvents({
      store,
      writer,
      view: this.view,
      logger,
      markActive: (live) => this.links.markActive(live),
      onInfo: (live) => this.supervisor.reported(live),
    });
    this.supervisor = new Supervisor({
      store,
      writer,
      providers,
      links: this.links,
      view: this.view,
      logger,
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.idleCheckMs !== undefined && { idleCheckMs: options.idleCheckMs }),
      ...(options.agentSettings && { agentSettings: options.agentSettings }),
      gitBaseUrl: options.gitBaseUrl,
      checkSource: options.checkSource,
      runtimeFile: options.runtimeFile,
    });
    this.leases = options.cluster
      ? new LinkLeases({
          store,
          links: this.links,
          instanceId: options.cluster.instanceId,
          ttlMs: options.cluster.leaseTtlMs,
          logger,
          reattach: (record) => this.supervisor.reattach(record),
          ...(options.onLeaseChange && { onChange: options.onLeaseChange }),
        })
      : null;
    // Another instance took a message for a runtime whose link this one may hold.
    if (this.leases) hub.listen(HANDOFFS_CHANNEL, (runtimeId) => void this.leases?.handedOff(String(runtimeId)));
  }

  /** After each handshake the runtime learns the models; a link that goes down ends its gateway calls. */
  private async linkChanged(live: LiveRuntime, state: LinkState, detail?: string): Promise<void> {
    if (state === 'offline') {
      this.options.gateway.linkDown(live.id);
      this.pushes.linkDown(live.id);
    }
    const fence = this.options.writer.fence;
    if (state === 'open' && fence?.holding)
      live.session.caughtUp().then(
        () => fence.lift(live.id),
        // The link went again: its next opening tries again.
        () => undefined,
      );
    if (state === 'open' && live.link !== 'open' && !live.abort.signal.aborted)
      void this.links
        .send(live, [{ type: 'models', models: [...this.options.models] }])
        .catch((error: unknown) =>
          this.options.logger.error({ runtimeId: live.id, err: errorMessage(error) }, 'cannot send the model list'),
        );
    await this.supervisor.linkChanged(live, state, detail);
  }

  /** How many runtime links this instance holds. */
  get linkCount(): number {
    return this.links.all().length;
  }

  /** Whether a thread is one of a live runtime's own. */
  async ownsThread(runtimeId: string, threadId: string): Promise<boolean> {
    const live = this.links.get(runtimeId);
    return live !== undefined && (await this.inbound.ownThread(live, threadId)) !== null;
  }

  /** The public view of a stored runtime, with the live link state. */
  toPublic(record: RuntimeRecord): Runtime {
    return this.view.toPublic(record);
  }

  async create(userId: string, request: CreateRuntimeRequest): Promise<Runtime> {
    const provider = this.options.providers.get(request.provider);
    if (!provider) {
      throw new RemoteChatError('bad_request', `Unknown provider "${request.provider}".`, {
        providers: [...this.options.providers.keys()],
      });
    }
    const taken = request.name ? [] : (await this.options.store.listRuntimes(userId)).map((r) => r.name);
    const record = await this.options.store.createRuntime({
      id: newId('rt'),
      userId,
      name: request.name ?? defaultRuntimeName(request.repo ?? null, taken),
      kind: provider.kind,
      provider: provider.id,
      repo: request.repo ?? null,
      branch: request.branch ?? null,
      agent: request.agent ?? 'shell',
    });
    this.view.publish(record);
    // Its link is this instance's from the start: no other adopts it while it starts.
    await this.leases?.take(record.id, true);
    // The token goes to the clone step alone; a runtime without a repository has no use for it.
    this.supervisor.start(record, provider, request.repo ? request.githubToken : undefined);
    return this.toPublic(record);
  }

  /** A runtime the user owns, or not_found (also when it exists but is someone else's). */
  get(userId: string, id: string): Promise<RuntimeRecord> {
    return requireRuntime(this.options.store, userId, id);
  }

  /** Renames a runtime the user owns (not_found otherwise) and tells their pages and pickers. */
  async rename(userId: string, id: string, name: string): Promise<Runtime> {
    await this.get(userId, id);
    const updated = await this.options.store.updateRuntime(id, { name });
    if (!updated) throw notFound('runtime');
    this.view.publish(updated);
    return this.toPublic(updated);
  }

  /**
   * Starts a stopped sandbox of the user's again in its kept workspace (see
   * `Supervisor.startAgain`); answers with it starting.
   */
  async startAgain(userId: string, id: string): Promise<Runtime> {
    await this.supervisor.startAgain(await this.get(userId, id));
    return this.toPublic(await this.get(userId, id));
  }

  /**
   * Tears a runtime down and deletes it with its threads. A delete while one is under way waits
   * for that one (the page and the picker may both ask); once it is gone, not_found.
   */
  async delete(userId: string, id: string): Promise<void> {
    const record = await this.get(userId, id);
    let deleting = this.deleting.get(id);
    if (!deleting) {
      deleting = this.supervisor.destroy(record).finally(() => this.deleting.delete(id));
      this.deleting.set(id, deleting);
    }
    await deleting;
  }

  /** Counts as use of the runtime for the idle shutdown (a thread opened, a page looking at it). */
  touch(runtimeId: string): void {
    const live = this.links.get(runtimeId);
    if (live) this.links.markActive(live);
  }

  /**
   * Stores a user message and, in the same transaction, queues it for the runtime's agent; a
   * retry of a stored message (the same client id) is neither stored nor sent again. Once this
   * resolves the message reaches the agent once, whatever restarts in between.
   */
  sendMessage(thread: ThreadRecord, body: Extract<EventBody, { kind: 'message.user' }>): Promise<AppendResult> {
    return this.appendAndSend(thread, body, (event) => messageSendOf(thread.id, event));
  }

  /**
   * Stores a person's answer to a permission request of the thread and, in the same transaction,
   * queues it for the runtime, whose agent waits for it. Only the first answer to a request is
   * stored (and sent): for a later one, `created` is false and `event` is the answer given first
   * (a person's, or the runtime's timeout).
   */
  answerPermission(thread: ThreadRecord, requestId: string, optionId: string): Promise<AppendResult> {
    return this.appendAndSend(thread, { kind: 'permission.answer', requestId, optionId, by: 'user' }, () => ({
      type: 'permission.answer',
      threadId: thread.id,
      requestId,
      optionId,
    }));
  }

  /**
   * Moves a thread of the user's to another of their runtimes (`POST /threads/:id/move`): in one
   * transaction the thread changes runtime, a notice is stored in it and `thread.continue` (the
   * conversation so far, see `movedHistory`) is queued for the new runtime, so it reaches it once,
   * whatever restarts. What the old runtime had not received of the thread yet (its link is down)
   * is, in the same transaction, replaced in its outbox by `thread.cancel` and queued for the new
   * one after the history, so no crash leaves it to be sent to the old runtime, or to neither; the
   * old runtime's later events for the thread are dropped. A foreign runtime is not_found; the
   * thread's own runtime, or one that cannot take work, bad_request / runtime_unavailable; a turn
   * at work, conflict.
   */
  async move(userId: string, thread: ThreadRecord, runtimeId: string): Promise<ThreadRecord> {
    const { store, writer, logger } = this.options;
    const target = await this.get(userId, runtimeId);
    if (target.id === thread.runtimeId)
      throw new RemoteChatError('bad_request', 'The thread is on this runtime already; pick another one.');
    this.assertAvailable(target);
    // What the person saw end (the turn's last status) may be shown before it is stored.
    await writer.shownStored(thread.id);
    const events = await allEvents(store, thread.id);
    const old = this.links.get(thread.runtimeId);
    const inFlight =
      old?.session.state === 'open' && old.outbox.after(0).some((entry) => threadOf(entry.message) === thread.id);
    if (turnAtWork(events) || old?.busy.has(thread.id) || inFlight)
      throw new RemoteChatError('conflict', 'The agent is still at work in this thread: stop it first, then move it.');

    // What the old runtime kept for the thread and never received: every change of its outbox is
    // in the store first, so the move's transaction rewrites what a restart would load.
    await old?.outbox.written();
    const kept = (old ? old.outbox.after(0) : (await store.loadOutbound(thread.runtimeId)).entries).filter(
      (entry) => threadOf(entry.message) === thread.id,
    );
    const resent = kept.flatMap((entry) => (isResent(entry.message) ? [entry.message] : []));
    const resentIds = new Set(resent.flatMap((message) => (message.type === 'message.send' ? [message.clientId] : [])));
    const { history, truncated } = movedHistory(
      events.filter((event) => event.kind !== 'message.user' || !resentIds.has(event.clientId)),
    );
    const notice =
      `Continued on ${target.name}; files of the previous workspace were not carried over.` +
      (truncated ? ' The earliest part of the conversation was too long to hand over.' : '');
    const cancel: ToRuntimeMessage = { type: 'thread.cancel', threadId: thread.id };
    await this.appendAndSend(
      thread,
      { kind: 'status', state: 'idle', message: notice },
      () => ({ type: 'thread.continue', threadId: thread.id, history, truncated }),
      {
        to: target.id,
        followedBy: resent,
        rewriteOutbound: { runtimeId: thread.runtimeId, entries: kept.map(({ seq }) => ({ seq, message: cancel })) },
      },
    );
    // The old link's outbox as the transaction left it; a message of the thread that it took while
    // the move was being stored is taken out too, and follows the others (rare: best effort).
    const keptSeqs = new Set(kept.map((entry) => entry.seq));
    const late = (old?.outbox.after(0) ?? []).flatMap((entry) =>
      threadOf(entry.message) === thread.id && !keptSeqs.has(entry.seq) && isResent(entry.message)
        ? [entry.message]
        : [],
    );
    old?.outbox.takeThread(thread.id);
    // The old runtime's link forgets the thread: its later events for it are dropped.
    old?.threads.delete(thread.id);
    old?.busy.delete(thread.id);
    writer.notifyThreadRemoved(thread);
    if (late.length > 0)
      await this.sendOrHandOff(target.id, late).catch((error: unknown) =>
        logger.error(
          { runtimeId: target.id, err: errorMessage(error) },
          'cannot resend the messages of a moved thread',
        ),
      );
    const moved = await store.getThread(thread.id);
    if (!moved) throw notFound('thread');
    return moved;
  }

  /**
   * Stores an event and, when it is new, the runtime message made of it, in one transaction under
   * the runtime's next link seq; then hands the message to the link. A repeat (the same unique
   * key) is neither stored nor sent again. With `move`, the message (and `move.followedBy` after it) goes
   * to runtime `move.to`, which the thread moves to in the same transaction.
   */
  private async appendAndSend(
    thread: ThreadRecord,
    body: EventBody,
    toMessage: (event: ThreadEvent) => ToRuntimeMessage,
    move?: { to: string; followedBy: readonly ToRuntimeMessage[]; rewriteOutbound: AppendItem['rewriteOutbound'] & {} },
  ): Promise<AppendResult> {
    const runtimeId = move?.to ?? thread.runtimeId;
    const followedBy = move?.followedBy ?? [];
    const moving = move ? { moveTo: move.to, rewriteOutbound: move.rewriteOutbound } : {};
    const live = await this.holder(runtimeId);
    if (!live) {
      // Another instance holds the link: kept for it in this transaction, and it is told.
      const result = await this.options.writer.appendEvent(thread, body, {
        handoff: { runtimeId, message: toMessage, followedBy },
        ...moving,
      });
      if (result.created) this.options.hub.notify(HANDOFFS_CHANNEL, runtimeId);
      return result;
    }
    live.threads.add(thread.id);
    this.links.markActive(live);
    this.supervisor.wake(live);
    return this.links.exclusive(live, async () => {
      const outbound = { runtimeId: live.id, seq: live.outbox.lastSeq + 1, message: toMessage, followedBy };
      const result = await this.options.writer.appendEvent(thread, body, { outbound, ...moving });
      if (!result.created) return result;
      // A renumbering (the runtime lost its state) while the event was being stored moves their seqs.
      const seqs = [toMessage(result.event), ...followedBy].map((message) => live.session.send(message));
      if (seqs.some((seq, index) => seq !== outbound.seq + index)) live.outbox.rewrite();
      return result;
    });
  }

  /**
   * Sends an uploaded file to the runtime in pieces, ahead of any message sent after it (the link
   * keeps order), so the agent finds it whole when it reads the message that names it. Stored
   * when this resolves, like a message.
   */
  async upload(thread: ThreadRecord, path: string, bytes: Buffer): Promise<void> {
    const chunk = LIMITS.uploadChunkBytes;
    const pieces: ToRuntimeMessage[] = [];
    for (let offset = 0; offset === 0 || offset < bytes.length; offset += chunk) {
      pieces.push({
        type: 'file.upload',
        threadId: thread.id,
        path,
        offset,
        data: bytes.subarray(offset, offset + chunk).toString('base64'),
        final: offset + chunk >= bytes.length,
      });
    }
    await this.sendOrHandOff(thread.runtimeId, pieces);
  }

  /**
   * The runtime's link if this instance holds it (or takes it now: nobody else did), else null:
   * another instance holds it. Without a cluster: the link, or runtime_unavailable.
   */
  private async holder(runtimeId: string): Promise<LiveRuntime | null> {
    if (!this.leases || this.links.has(runtimeId)) return this.links.require(runtimeId);
    const record = await this.options.store.getRuntime(runtimeId);
    if (!record || ENDED.has(record.status))
      throw new RemoteChatError('runtime_unavailable', 'The runtime is not running.');
    if (!(await this.supervisor.reattach(record))) return null;
    return this.links.require(runtimeId);
  }

  /** Sends messages over the link this instance holds, or hands them to the holder (stored either way). */
  private async sendOrHandOff(runtimeId: string, messages: ToRuntimeMessage[]): Promise<void> {
    const live = await this.holder(runtimeId);
    if (!live) {
      await this.options.store.handOff(runtimeId, messages);
      this.options.hub.notify(HANDOFFS_CHANNEL, runtimeId);
      return;
    }
    this.links.markActive(live);
    this.supervisor.wake(live);
    await this.links.send(live, messages);
  }

  /**
   * Asks the thread's runtime to push its workspace to a new branch with the user's token, now
   * and over the open link only (never stored: see `WorkspacePushes`). The runtime shows the push
   * in the thread as a tool card.
   */
  async push(thread: ThreadRecord, request: { branch: string; token: string; message: string }): Promise<PushOutcome> {
    const live = await this.links.require(thread.runtimeId);
    this.links.markActive(live);
    // A paused runtime is resumed first: the push needs its link open (it is never queued).
    this.supervisor.wake(live);
    await this.linkOpen(live, PUSH_WAKE_TIMEOUT_MS);
    return this.pushes.push(live, { threadId: thread.id, ...request });
  }

  /** Resolves once the runtime's link is open; after `timeoutMs` fails as unavailable. */
  private linkOpen(live: LiveRuntime, timeoutMs: number): Promise<void> {
    if (live.session.state === 'open') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(
          new RemoteChatError(
            'runtime_unavailable',
            'The runtime did not come back in time (it was paused, restarting or offline); try again shortly.',
          ),
        );
      }, timeoutMs);
      timer.unref();
      const off = live.session.onState((state) => {
        if (state !== 'open') return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /** Asks the runtime to stop the thread's work; stored when this resolves, like a message. */
  async cancel(thread: ThreadRecord): Promise<void> {
    await this.sendOrHandOff(thread.runtimeId, [{ type: 'thread.cancel', threadId: thread.id }]);
  }

  /** Throws runtime_unavailable unless the runtime can take work now or once its link is back. */
  assertAvailable(record: RuntimeRecord): void {
    // In a cluster another instance may hold the link, or this one takes it on the first message.
    if (ENDED.has(record.status) || (!this.leases && !this.links.has(record.id))) {
      throw new RemoteChatError(
        'runtime_unavailable',
        `The runtime is ${record.status}; start it again or pick another runtime to continue.`,
      );
    }
  }

  /** Re-attaches the runtimes that were up when the BFF last stopped (see `Supervisor.resumeAll`). */
  resumeAll(): Promise<void> {
    return this.supervisor.resumeAll();
  }

  /**
   * Takes a link a user's machine dialled (`remote-chat-runtime connect`). The hello's API token
   * names the user, and the runtime id names one of their machine runtimes (see
   * `machineRuntime`). A token it refuses is answered with `refusal()`: 4401, or the caller's
   * rate-limit close code for an address that keeps guessing. The link lives no longer than the
   * token that opened it: once it is revoked or expires, that socket closes with 4440. `transport`,
   * the connection under the socket, lets the link cork it per turn of the event loop.
   */
  async acceptMachine(
    socket: WebSocket,
    refusal: () => false | LinkRefusal = () => false,
    transport?: LinkTransport,
  ): Promise<void> {
    let live: LiveRuntime | undefined;
    let machine: MachineCaller | null = null;
    await acceptLink<ToRuntimeMessage, FromRuntimeMessage>(socket, {
      ...(transport && { transport }),
      verify: async ({ runtimeId, token }) => {
        machine = await this.options.authenticateMachine(token);
        if (!machine) return refusal();
        // It dialled this instance: the link is here now, whoever held it (cluster).
        live = await this.links.ensure(await this.machineRuntime(machine.userId, runtimeId), true);
        return true;
      },
      session: () => live!.session,
    });
    // This socket, not the session's next one (the machine may redial with another token).
    const unwatch = machine!.watch(() =>
      closeSocket(socket, CLOSE_CODES.reauthenticate, 'the API token was revoked or expired'),
    );
    if (socket.readyState === socket.CLOSED) unwatch();
    else socket.once('close', unwatch);
    // Ready once its runtime.info is stored (Supervisor.reported): never listed without its project.
  }

  /**
   * The machine runtime a user's machine means by the id it chose (and keeps, per folder). An id
   * that is free becomes theirs. An id taken by someone else's runtime (or one that is no
   * machine) is answered as if it were free: the machine gets a runtime of its own, under an id
   * derived from its user and that id, and the same one every time it dials with it. Both cases
   * read the same two rows and make one runtime, so neither the welcome nor its timing tells a
   * machine whether another user's runtime has the id it named.
   */
  private async machineRuntime(userId: string, requested: string): Promise<RuntimeRecord> {
    const { store, writer, secret } = this.options;
    const derived = `rt_${secret.derive('machine-runtime', JSON.stringify([userId, requested])).slice(0, 22)}`;
    const [named, own] = await Promise.all([store.getRuntime(requested), store.getRuntime(derived)]);
    const usable = (record: RuntimeRecord | null): record is RuntimeRecord =>
      isOwnedBy(record, userId) && record.kind === 'machine';
    if (usable(own)) return own;
    if (usable(named)) return named;
    const id = named ? derived : requested;
    const record = await store.createRuntime({
      id,
      userId,
      name: MACHINE_DEFAULT_NAME,
      kind: 'machine',
      provider: 'machine',
      repo: null,
      branch: null,
      agent: 'shell',
    });
    await writer.appendLog(id, { kind: 'status', status: 'starting', detail: 'A machine registered this folder.' });
    return record;
  }

  /**
   * Cuts a runtime's link without stopping anything: it reconnects and each side resends what the
   * other had not acknowledged. For operators (a stuck connection) and for fault-injection tests.
   */
  dropLink(userId: string, runtimeId: string): boolean {
    const live = this.links.get(runtimeId);
    if (!live || !isOwnedBy(live, userId)) return false;
    live.session.detach(CLOSE_CODES.goingAway, 'link reset');
    return true;
  }

  /** Closes every link; runtimes keep running and are re-attached by the next start. */
  async close(): Promise<void> {
    await this.leases?.close(false);
    await this.supervisor.close();
    await this.links.closeAll();
  }

  /**
   * Drains this instance of a cluster: stops renewing leases and lets them go, closing every link
   * with `reconnectElsewhere`, so runtimes dial another instance at once (sandboxes are dialled by
   * another once it sees the lease free). Runtimes keep running.
   */
  async drain(): Promise<void> {
    await this.leases?.close(true);
    await this.supervisor.close();
    await this.links.closeAll(CLOSE_CODES.reconnectElsewhere, 'this instance is draining; reconnect elsewhere');
  }
}

/** Every event of a thread, oldest first. */
async function allEvents(store: Store, threadId: string): Promise<ThreadEvent[]> {
  const events: ThreadEvent[] = [];
  for (;;) {
    const page = await store.listEvents(threadId, events.at(-1)?.seq ?? 0, LIMITS.maxEventsPage, LIMITS.maxPageBytes);
    if (page.length === 0) return events;
    events.push(...page);
  }
}

/** Whether the thread's agent is at work: its latest status says thinking or running. */
function turnAtWork(events: readonly ThreadEvent[]): boolean {
  const status = events.findLast((event) => event.kind === 'status');
  return status?.kind === 'status' && (status.state === 'thinking' || status.state === 'running');
}

/** Whether a kept message of a moved thread goes on to its new runtime: a message or an upload, not a cancel. */
function isResent(message: ToRuntimeMessage): boolean {
  return message.type === 'message.send' || message.type === 'file.upload';
}
