import {
  CLOSE_CODES,
  FromRuntimeMessageSchema,
  LIMITS,
  MachineSchema,
  type CreateRuntimeRequest,
  type FromRuntimeMessage,
  type LinkState,
  type LogEntry,
  type Runtime,
  type RuntimeStatus,
  type RuntimeStep,
  type ThreadEvent,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import { LinkDialer, LinkSession, acceptLink } from '@remote-chat/runtime';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import { z } from 'zod';
import { RemoteChatError, notFound } from './errors.js';
import type { Hub } from './hub.js';
import type { Journal } from './journal.js';
import type { Provider, ProvisionContext, RuntimeEndpoint } from './providers/provider.js';
import { newId, type ServerSecret } from './secrets.js';
import type { RuntimeRecord, Store, ThreadRecord } from './store/store.js';
import { topics } from './topics.js';

type RuntimeLink = LinkSession<ToRuntimeMessage, FromRuntimeMessage>;

/** A runtime this BFF holds a link to, or is bringing up. */
interface LiveRuntime {
  id: string;
  userId: string;
  session: RuntimeLink;
  dialer: LinkDialer<ToRuntimeMessage, FromRuntimeMessage> | null;
  /** Aborted when the runtime is deleted or the BFF closes. */
  abort: AbortController;
  link: LinkState;
  /** Threads known to belong to this runtime: a runtime may only write to its own. */
  threads: Set<string>;
  /** When a message went in or an event came out, for the idle shutdown. */
  lastActivity: number;
  /** Threads whose agent is working (last status `thinking` or `running`). */
  busy: Set<string>;
  /** When the provider was last asked whether the runtime's process is gone. */
  lastProbe: number;
  /** Restarts after the runtime's process was found gone, for the restart budget. */
  restarts: number[];
  /** The highest link seq whose event is committed: frames at or below it are resends. */
  storedReceived: number;
  /** Chains the ownership checks of incoming events, so appends keep link order. */
  ordering: Promise<void>;
}

/** The frames `runtimes` subscribers get. */
export type RuntimesMessage = { type: 'runtime'; runtime: Runtime } | { type: 'runtime-removed'; id: string };

/** What the picker shows from a runtime's last `runtime.info`. */
const ReportedInfoSchema = z.object({
  project: z.string().nullable().optional(),
  gitRemote: z.string().nullable().optional(),
  machine: MachineSchema.nullable().optional(),
});

/** Statuses after which a runtime takes no more work. */
const ENDED: ReadonlySet<RuntimeStatus> = new Set(['stopping', 'stopped', 'failed']);

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface RuntimeManagerOptions {
  store: Store;
  journal: Journal;
  hub: Hub<ThreadEvent | LogEntry>;
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
  /**
   * How often idle runtimes are looked for. @default a tenth of `idleTimeoutMs`, at most a minute
   * (so a window of seconds is kept to within a tenth, and an hour to within a minute)
   */
  idleCheckMs?: number;
  /** Checks the API token a machine's `hello` carries; returns its user's id. */
  verifyMachineToken: (token: string) => Promise<string | null>;
}

/** At most this many automatic restarts of a runtime whose process died, per window. */
const RESTART_BUDGET = { count: 3, windowMs: 10 * 60_000 } as const;
/** How often an offline runtime's provider is asked whether its process is gone. */
const PROBE_EVERY_MS = 2000;

/**
 * Brings runtimes up through their providers, holds their links, relays messages to them and
 * stores what they send back. Knows nothing of HTTP.
 */
export class RuntimeManager {
  private readonly live = new Map<string, LiveRuntime>();
  private readonly starting = new Set<Promise<void>>();
  /** Runtimes being restarted after their process died. */
  private readonly restarting = new Set<string>();
  private readonly idleTimer: NodeJS.Timeout;

  constructor(private readonly options: RuntimeManagerOptions) {
    const idleCheckMs = options.idleCheckMs ?? Math.min(60_000, (options.idleTimeoutMs ?? 3_600_000) / 10);
    this.idleTimer = setInterval(() => void this.stopIdle(), idleCheckMs);
    this.idleTimer.unref();
  }

  /** The public view of a stored runtime, with the live link state. */
  toPublic(record: RuntimeRecord): Runtime {
    const { userId: _u, providerState: _p, info, linkReceived: _l, ...runtime } = record;
    const reported = ReportedInfoSchema.safeParse(info ?? {});
    return {
      ...runtime,
      project: reported.success ? (reported.data.project ?? null) : null,
      gitRemote: reported.success ? (reported.data.gitRemote ?? null) : null,
      machine: reported.success ? (reported.data.machine ?? null) : null,
      link: this.live.get(record.id)?.link ?? 'offline',
    };
  }

  async create(userId: string, request: CreateRuntimeRequest): Promise<Runtime> {
    const provider = this.options.providers.get(request.provider);
    if (!provider) {
      throw new RemoteChatError('bad_request', `Unknown provider "${request.provider}".`, {
        providers: [...this.options.providers.keys()],
      });
    }
    const record = await this.options.store.createRuntime({
      id: newId('rt'),
      userId,
      name: request.name ?? request.repo ?? `${provider.id} runtime`,
      kind: provider.kind,
      provider: provider.id,
      repo: request.repo ?? null,
      branch: request.branch ?? null,
      agent: request.agent ?? 'shell',
    });
    this.publishRuntime(record);
    this.track(this.bringUp(record, provider, 'provision'));
    return this.toPublic(record);
  }

  /** A runtime the user owns, or not_found (also when it exists but is someone else's). */
  async get(userId: string, id: string): Promise<RuntimeRecord> {
    const record = await this.options.store.getRuntime(id);
    if (!record || record.userId !== userId) throw notFound('runtime');
    return record;
  }

  async delete(userId: string, id: string): Promise<void> {
    const record = await this.get(userId, id);
    const live = this.live.get(id);
    live?.abort.abort();
    await this.setStatus(record.id, 'stopping', 'Stopping on request.');
    if (live) {
      // A machine is told to stop serving this folder; otherwise it would dial in and register
      // the folder again. (A sandbox is destroyed by its provider below.)
      if (record.kind === 'machine' && live.link === 'open') await this.tellToShutDown(live, 'deleted in the portal');
      await live.dialer?.stop();
      live.session.detach(CLOSE_CODES.goingAway, 'runtime deleted');
      this.live.delete(id);
    }
    const provider = this.options.providers.get(record.provider);
    try {
      await provider?.destroy(record.providerState);
    } catch (error) {
      this.options.logger.warn({ runtimeId: id, err: message(error) }, 'provider could not destroy the runtime');
    }
    await this.options.journal.drain();
    await this.options.store.deleteRuntime(id);
    this.options.hub.notify(topics.runtimes(record.userId), { type: 'runtime-removed', id } satisfies RuntimesMessage);
  }

  /** Sends `runtime.shutdown` and waits (up to 2 s) for the runtime to acknowledge it. */
  private async tellToShutDown(live: LiveRuntime, reason: string): Promise<void> {
    live.session.send({ type: 'runtime.shutdown', reason });
    for (let waited = 0; live.session.pending > 0 && waited < 2000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Counts as use of the runtime for the idle shutdown (a thread opened, a page looking at it). */
  touch(runtimeId: string): void {
    const live = this.live.get(runtimeId);
    if (live) live.lastActivity = Date.now();
  }

  /** Queues a stored user message for the runtime's agent. */
  deliver(thread: ThreadRecord, event: Extract<ThreadEvent, { kind: 'message.user' }>): void {
    const live = this.requireLive(thread.runtimeId);
    live.threads.add(thread.id);
    live.lastActivity = Date.now();
    live.session.send({
      type: 'message.send',
      threadId: thread.id,
      seq: event.seq,
      clientId: event.clientId,
      text: event.text,
      agent: event.agent,
    });
  }

  /**
   * Sends an uploaded file to the runtime in pieces, ahead of any message sent after it (the link
   * keeps order), so the agent finds it whole when it reads the message that names it.
   */
  upload(thread: ThreadRecord, path: string, bytes: Buffer): void {
    const live = this.requireLive(thread.runtimeId);
    live.lastActivity = Date.now();
    const chunk = LIMITS.uploadChunkBytes;
    for (let offset = 0; offset === 0 || offset < bytes.length; offset += chunk) {
      live.session.send({
        type: 'file.upload',
        threadId: thread.id,
        path,
        offset,
        data: bytes.subarray(offset, offset + chunk).toString('base64'),
        final: offset + chunk >= bytes.length,
      });
    }
  }

  cancel(thread: ThreadRecord): void {
    this.requireLive(thread.runtimeId).session.send({ type: 'thread.cancel', threadId: thread.id });
  }

  /** Throws runtime_unavailable unless the runtime can take work now or once its link is back. */
  assertAvailable(record: RuntimeRecord): void {
    if (ENDED.has(record.status) || !this.live.has(record.id)) {
      throw new RemoteChatError(
        'runtime_unavailable',
        `The runtime is ${record.status}; start a new runtime to continue.`,
      );
    }
  }

  /**
   * Re-attaches the runtimes that were up when the BFF last stopped. A runtime whose process
   * still runs is dialled again, not restarted; one that is gone is restarted by its provider
   * (its workspace and threads are kept), or marked failed if it never finished starting.
   */
  async resumeAll(): Promise<void> {
    const records = await this.options.store.listRuntimes(null);
    // Machines dial in by themselves; until they do they are offline, and messages wait for them.
    for (const record of records.filter((r) => r.kind === 'machine' && !ENDED.has(r.status))) {
      this.ensureLive(record);
      await this.setStatus(record.id, 'offline', 'Waiting for the machine to connect.');
    }
    await Promise.all(
      records
        .filter((r) => r.kind === 'sandbox' && !ENDED.has(r.status))
        .map(async (record) => {
          const provider = this.options.providers.get(record.provider);
          if (!provider) {
            await this.fail(record, `Provider "${record.provider}" is not configured on this server.`);
            return;
          }
          const endpoint = await provider.probe(record.providerState).catch(() => null);
          if (endpoint) {
            const live = this.ensureLive(record);
            await this.options.journal.appendLog(record.id, {
              kind: 'link',
              state: 'resuming',
              detail: 'BFF restarted; re-attaching.',
            });
            this.track(
              this.connect(live, endpoint).then(
                () => this.setStatus(record.id, 'ready'),
                (error) => this.fail(record, `Could not re-attach: ${message(error)}`),
              ),
            );
          } else if (record.status === 'starting') {
            await this.fail(
              record,
              'The server stopped while this runtime was starting.',
              'Delete it and create a new one.',
            );
          } else {
            await this.options.journal.appendLog(record.id, {
              kind: 'error',
              message: 'The runtime process is gone (the host restarted or it was stopped).',
              hint: 'Restarting it in its workspace; threads and files are kept.',
            });
            await this.setStatus(record.id, 'offline');
            this.track(this.bringUp(record, provider, 'restart'));
          }
        }),
    );
  }

  /**
   * Takes a link a user's machine dialled (`remote-chat-runtime connect`). The hello's API token
   * names the user; an unknown runtime id registers a new machine runtime for them. A runtime id
   * that is someone else's, or not a machine's, is refused exactly like a bad token.
   */
  async acceptMachine(socket: WebSocket): Promise<void> {
    const { store, journal } = this.options;
    let live: LiveRuntime | undefined;
    await acceptLink<ToRuntimeMessage, FromRuntimeMessage>(socket, {
      verify: async ({ runtimeId, token }) => {
        const userId = await this.options.verifyMachineToken(token);
        if (!userId) return false;
        let record = await store.getRuntime(runtimeId);
        if (record && (record.userId !== userId || record.kind !== 'machine')) return false;
        if (!record) {
          record = await store.createRuntime({
            id: runtimeId,
            userId,
            name: 'Machine',
            kind: 'machine',
            provider: 'machine',
            repo: null,
            branch: null,
            agent: 'shell',
          });
          await journal.appendLog(runtimeId, {
            kind: 'status',
            status: 'starting',
            detail: 'A machine registered this folder.',
          });
        }
        live = this.ensureLive(record);
        return true;
      },
      session: () => live!.session,
    });
    if (live) await this.setStatus(live.id, 'ready');
  }

  /**
   * Cuts a runtime's link without stopping anything: it reconnects and each side resends what the
   * other had not acknowledged. For operators (a stuck connection) and for fault-injection tests.
   */
  dropLink(userId: string, runtimeId: string): boolean {
    const live = this.live.get(runtimeId);
    if (!live || live.userId !== userId) return false;
    live.session.detach(CLOSE_CODES.goingAway, 'link reset');
    return true;
  }

  /** Closes every link; runtimes keep running and are re-attached by the next start. */
  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    for (const live of this.live.values()) live.abort.abort();
    await Promise.allSettled([...this.starting]);
    await Promise.all(
      [...this.live.values()].map(async (live) => {
        await live.dialer?.stop();
        live.session.detach(CLOSE_CODES.goingAway, 'server shutting down');
      }),
    );
    this.live.clear();
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.options.logger.error({ err: message(error) }, 'runtime task failed'));
    this.starting.add(tracked);
    void tracked.finally(() => this.starting.delete(tracked));
  }

  private async bringUp(record: RuntimeRecord, provider: Provider, mode: 'provision' | 'restart'): Promise<void> {
    const live = this.ensureLive(record);
    const context = this.context(record, live);
    try {
      const endpoint =
        mode === 'provision'
          ? await provider.provision(context)
          : await provider.restart(context, record.providerState);
      await context.step('ready', async () => {
        await this.connect(live, endpoint);
        // The idle window starts when the runtime can be used, not when it was asked for.
        live.lastActivity = Date.now();
        // Ready in the store before the log says so: whoever sees the step end finds it ready.
        await this.setStatus(record.id, 'ready');
        return { detail: 'Link open; the agent is listening.' };
      });
    } catch (error) {
      if (live.abort.signal.aborted) return;
      await this.fail(
        record,
        message(error),
        'Check the step output above, then delete this runtime and create a new one.',
      );
    }
  }

  private context(record: RuntimeRecord, live: LiveRuntime): ProvisionContext {
    const { journal, store } = this.options;
    return {
      runtimeId: record.id,
      token: this.tokenFor(record.id),
      repo: record.repo,
      branch: record.branch,
      agent: record.agent,
      signal: live.abort.signal,
      saveState: async (state) => {
        const updated = await store.updateRuntime(record.id, { providerState: state });
        if (updated) record.providerState = updated.providerState;
      },
      step: async (step: RuntimeStep, work) => {
        if (live.abort.signal.aborted) throw new Error('cancelled');
        const started = performance.now();
        await journal.appendLog(record.id, { kind: 'step', step, state: 'started' });
        try {
          const outcome = await work();
          const durationMs = Math.round(performance.now() - started);
          if (outcome && 'skipped' in outcome) {
            await journal.appendLog(record.id, {
              kind: 'step',
              step,
              state: 'skipped',
              durationMs,
              detail: outcome.skipped,
            });
          } else {
            await journal.appendLog(record.id, {
              kind: 'step',
              step,
              state: 'ok',
              durationMs,
              ...(outcome?.detail !== undefined && { detail: outcome.detail.slice(0, 16_000) }),
            });
          }
        } catch (error) {
          const durationMs = Math.round(performance.now() - started);
          await journal.appendLog(record.id, {
            kind: 'step',
            step,
            state: 'failed',
            durationMs,
            detail: message(error).slice(0, 16_000),
          });
          throw error;
        }
      },
    };
  }

  /** The runtime's link credential: derived from the server secret, never stored. */
  private tokenFor(runtimeId: string): string {
    return this.options.secret.derive('runtime-link', runtimeId);
  }

  private ensureLive(record: RuntimeRecord): LiveRuntime {
    const existing = this.live.get(record.id);
    if (existing) return existing;
    const live: LiveRuntime = {
      id: record.id,
      userId: record.userId,
      dialer: null,
      abort: new AbortController(),
      link: 'offline',
      threads: new Set(),
      lastActivity: Date.now(),
      busy: new Set(),
      lastProbe: 0,
      restarts: [],
      storedReceived: record.linkReceived,
      ordering: Promise.resolve(),
      session: new LinkSession<ToRuntimeMessage, FromRuntimeMessage>({
        inbound: FromRuntimeMessageSchema,
        lastReceived: record.linkReceived,
        pipelined: true,
        onMessage: (incoming, seq) => this.receive(live, incoming, seq),
      }),
    };
    live.session.onState((state, detail) => void this.linkChanged(live, state, detail));
    this.live.set(record.id, live);
    return live;
  }

  private async connect(live: LiveRuntime, endpoint: RuntimeEndpoint): Promise<void> {
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
    });
    live.dialer.start();
    await opened;
  }

  /**
   * Handles a message from a runtime. The link is pipelined: this is called for the next frame
   * before the previous one's commit finished, so appends to a thread batch into group commits.
   * Appends are still issued in link order (the ownership lookups are chained), and a frame whose
   * seq is already stored (a resend after a failure) is skipped.
   */
  private async receive(live: LiveRuntime, incoming: FromRuntimeMessage, seq: number): Promise<void> {
    const { store, journal, logger } = this.options;
    if (seq <= live.storedReceived) return;
    if (incoming.type === 'thread.event' && incoming.event.kind !== 'message.user') {
      const event = incoming.event;
      const step = live.ordering.then(async () => {
        const thread = await this.ownThread(live, incoming.threadId);
        // The event and the link seq it came in are stored together: a resend is never stored twice.
        return thread ? { stored: journal.appendEvent(thread, event, { runtimeId: live.id, seq }) } : null;
      });
      live.ordering = step.then(
        () => undefined,
        () => undefined,
      );
      const appending = await step;
      if (appending) {
        await appending.stored;
        live.storedReceived = Math.max(live.storedReceived, seq);
        live.lastActivity = Date.now();
        if (event.kind === 'status') {
          if (event.state === 'running' || event.state === 'thinking') live.busy.add(incoming.threadId);
          else live.busy.delete(incoming.threadId);
        }
        return;
      }
      logger.warn(
        { runtimeId: live.id, threadId: incoming.threadId },
        'runtime wrote to a thread that is not its own; dropped',
      );
    } else if (incoming.type === 'thread.event') {
      // Only people write user messages.
      logger.warn({ runtimeId: live.id }, 'runtime sent a message.user event; dropped');
    } else {
      const record = await store.getRuntime(live.id);
      const named = record?.kind === 'machine' && incoming.project ? { name: incoming.project } : {};
      const updated = await store.updateRuntime(live.id, { info: incoming, ...named });
      if (updated) this.publishRuntime(updated);
    }
    await store.setLinkReceived(live.id, seq);
  }

  private async ownThread(
    live: LiveRuntime,
    threadId: string,
  ): Promise<Pick<ThreadRecord, 'id' | 'runtimeId' | 'titled'> | null> {
    if (live.threads.has(threadId)) return { id: threadId, runtimeId: live.id, titled: true };
    const thread = await this.options.store.getThread(threadId);
    if (!thread || thread.runtimeId !== live.id) return null;
    live.threads.add(threadId);
    return { id: threadId, runtimeId: live.id, titled: true };
  }

  private async linkChanged(live: LiveRuntime, state: LinkState, detail?: string): Promise<void> {
    const previous = live.link;
    live.link = state;
    if (live.abort.signal.aborted || previous === state) return;
    // Record arrivals and losses, not every attempt in between.
    if (state === 'open' || (state === 'offline' && previous === 'open')) {
      await this.options.journal.appendLog(live.id, { kind: 'link', state, ...(detail && { detail }) });
    }
    const record = await this.options.store.getRuntime(live.id);
    if (!record) return;
    if (state === 'offline' && record.status === 'ready') await this.setStatus(live.id, 'offline', detail);
    else if (state === 'open' && record.status === 'offline') await this.setStatus(live.id, 'ready');
    else this.publishRuntime(record);
    if (state === 'offline' && record.kind === 'sandbox' && record.status !== 'starting')
      await this.restartIfGone(live, record);
  }

  /**
   * A sandbox link that keeps failing may mean the runtime's process died (a crash, an OOM kill,
   * a host reboot). Ask the provider; if it is gone, start it again in its workspace, within a
   * budget so a runtime that crashes at start does not restart forever.
   */
  private async restartIfGone(live: LiveRuntime, record: RuntimeRecord): Promise<void> {
    const now = Date.now();
    if (now - live.lastProbe < PROBE_EVERY_MS || this.restarting.has(live.id)) return;
    live.lastProbe = now;
    const provider = this.options.providers.get(record.provider);
    if (!provider || (await provider.probe(record.providerState).catch(() => null)) || live.abort.signal.aborted)
      return;
    live.restarts = live.restarts.filter((t) => now - t < RESTART_BUDGET.windowMs);
    if (live.restarts.length >= RESTART_BUDGET.count) {
      await this.fail(
        record,
        `The runtime process died ${RESTART_BUDGET.count} times in ${RESTART_BUDGET.windowMs / 60_000} minutes.`,
        'Look at the step output above; delete this runtime and create a new one.',
      );
      return;
    }
    live.restarts.push(now);
    this.restarting.add(live.id);
    await live.dialer?.stop();
    await this.options.journal.appendLog(record.id, {
      kind: 'error',
      message: 'The runtime process is gone.',
      hint: 'Restarting it in its workspace; threads and files are kept.',
    });
    this.track(this.bringUp(record, provider, 'restart').finally(() => this.restarting.delete(live.id)));
  }

  /** Stops sandbox runtimes that have been idle for the configured window. */
  private async stopIdle(): Promise<void> {
    const limit = this.options.idleTimeoutMs ?? 3_600_000;
    const now = Date.now();
    for (const live of [...this.live.values()]) {
      if (live.busy.size > 0 || now - live.lastActivity < limit || live.abort.signal.aborted) continue;
      const record = await this.options.store.getRuntime(live.id);
      if (record?.kind !== 'sandbox' || ENDED.has(record.status) || record.status === 'starting') continue;
      await this.stop(
        record,
        `No activity for ${Math.round(limit / 60_000)} minutes; stopped to release its resources.`,
      );
    }
  }

  /** Stops a runtime's process and releases what the provider holds; its threads stay readable. */
  private async stop(record: RuntimeRecord, why: string): Promise<void> {
    const live = this.live.get(record.id);
    live?.abort.abort();
    await this.setStatus(record.id, 'stopping', why);
    if (live) {
      await live.dialer?.stop();
      live.session.detach(CLOSE_CODES.goingAway, 'runtime stopped');
      this.live.delete(record.id);
    }
    try {
      await this.options.providers.get(record.provider)?.stop(record.providerState);
    } catch (error) {
      this.options.logger.warn({ runtimeId: record.id, err: message(error) }, 'provider could not stop the runtime');
    }
    await this.setStatus(record.id, 'stopped', why);
  }

  private async setStatus(id: string, status: RuntimeStatus, detail?: string): Promise<void> {
    const record = await this.options.store.getRuntime(id);
    if (!record || record.status === status) {
      if (record) this.publishRuntime(record);
      return;
    }
    const updated = await this.options.store.updateRuntime(id, { status });
    await this.options.journal.appendLog(id, { kind: 'status', status, ...(detail && { detail }) });
    if (updated) this.publishRuntime(updated);
  }

  private async fail(record: RuntimeRecord, why: string, hint?: string): Promise<void> {
    await this.options.journal.appendLog(record.id, { kind: 'error', message: why, ...(hint && { hint }) });
    await this.setStatus(record.id, 'failed');
    const live = this.live.get(record.id);
    if (live) {
      await live.dialer?.stop();
      this.live.delete(record.id);
    }
  }

  private requireLive(runtimeId: string): LiveRuntime {
    const live = this.live.get(runtimeId);
    if (!live) throw new RemoteChatError('runtime_unavailable', 'The runtime is not running.');
    return live;
  }

  private publishRuntime(record: RuntimeRecord): void {
    this.options.hub.notify(topics.runtimes(record.userId), {
      type: 'runtime',
      runtime: this.toPublic(record),
    } satisfies RuntimesMessage);
  }
}
