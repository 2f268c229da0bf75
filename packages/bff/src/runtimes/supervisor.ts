import type { LinkState, RuntimeStatus } from '@remote-chat/protocol';
import type { Logger } from 'pino';
import type { EntryWriter } from '../entry-writer.js';
import { RemoteChatError, errorMessage } from '../errors.js';
import { type AgentSettings, type Provider, pausesWhenIdle } from '../providers/provider.js';
import type { RuntimeRecord, Store } from '../store/store.js';
import type { LiveLinks, LiveRuntime } from './live-links.js';
import { StepRunner, type StepRunnerOptions } from './provider-steps.js';
import { plainLinkDetail } from './link-words.js';
import type { RuntimeView } from './public-view.js';

/** Statuses after which a runtime takes no more work. */
export const ENDED: ReadonlySet<RuntimeStatus> = new Set(['stopping', 'stopped', 'failed']);

/** How long a sandbox may sit idle when the configuration does not say: an hour. */
export const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

/** "60 minutes", "1 minute", "30 seconds", "1 second". */
function formatMinutes(ms: number): string {
  const [count, unit] = ms < 60_000 ? [Math.round(ms / 1000), 'second'] : [Math.round(ms / 60_000), 'minute'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/**
 * What a runtime's threads are told when the idle window ended the commands still running in it:
 * it was stopped (its platform cannot pause), or paused on a platform whose pause keeps files only.
 */
function idleLoss(limitMs: number, platform: string, outcome: 'paused' | 'stopped'): string {
  const why =
    outcome === 'paused'
      ? `its ${platform} keeps files but not running processes when paused`
      : `its ${platform} cannot pause`;
  const next = outcome === 'paused' ? ' The next message resumes it.' : '';
  return `The runtime was ${outcome} after ${formatMinutes(limitMs)} without activity: commands that were still running ended, and ${why}. Its workspace files are kept.${next}`;
}

/** At most this many automatic restarts of a runtime whose process died, per window. */
const RESTART_BUDGET = { count: 3, windowMs: 10 * 60_000 } as const;
/** How often an offline runtime's provider is asked whether its process is gone. */
const PROBE_EVERY_MS = 2000;

export interface SupervisorOptions {
  store: Store;
  writer: EntryWriter;
  providers: ReadonlyMap<string, Provider>;
  links: LiveLinks;
  view: RuntimeView;
  logger: Logger;
  /** A sandbox runtime idle this long is stopped. @default 3_600_000 */
  idleTimeoutMs?: number;
  /**
   * How often idle runtimes are looked for. @default a tenth of `idleTimeoutMs`, at most a minute
   * (so a window of seconds is kept to within a tenth, and an hour to within a minute)
   */
  idleCheckMs?: number;
  /** Settings every sandbox runtime gets from the configuration (ACP agents, permission timeout). @default {} */
  agentSettings?: AgentSettings;
  /** Where `clone` clones `owner/name` from. @default 'https://github.com' */
  gitBaseUrl?: string | undefined;
  /** Asked before `clone` (GitHub: access, size, branch). @default none */
  checkSource?: StepRunnerOptions['checkSource'];
  /** The one-file runtime `install` puts in each runtime. @default the runtime package's built bundle */
  runtimeFile?: string | undefined;
}

/**
 * Runs runtimes through their lives and keeps their status true: brings them up through their
 * providers, follows their links (ready ↔ offline), restarts a sandbox whose process died (within
 * a budget), stops one left idle, re-attaches what was up when the BFF last stopped, and stops or
 * destroys on request. Every status change goes through `setStatus`.
 */
export class Supervisor {
  /** Work started in the background (bringing up, restarting, re-attaching), awaited by `close`. */
  private readonly tasks = new Set<Promise<void>>();
  /** Runtimes being restarted: their process died, or a person asked to start them again. */
  private readonly restarting = new Set<string>();
  /** Paused runtimes being resumed. */
  private readonly resuming = new Set<string>();
  private readonly idleTimer: NodeJS.Timeout;
  private readonly steps: StepRunner;

  constructor(private readonly options: SupervisorOptions) {
    this.steps = new StepRunner({
      store: options.store,
      writer: options.writer,
      agentSettings: options.agentSettings ?? {},
      gitBaseUrl: options.gitBaseUrl,
      checkSource: options.checkSource,
      runtimeFile: options.runtimeFile,
    });
    const idleCheckMs =
      options.idleCheckMs ?? Math.min(60_000, (options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS) / 10);
    this.idleTimer = setInterval(() => void this.stopIdle(), idleCheckMs);
    this.idleTimer.unref();
  }

  /**
   * Provisions a new runtime through its provider, in the background. `cloneToken` (the user's
   * GitHub token) is for the `clone` step only and lives in memory until that step ends.
   */
  start(record: RuntimeRecord, provider: Provider, cloneToken?: string): void {
    this.track(this.bringUp(record, provider, 'provision', cloneToken));
  }

  /**
   * Starts a stopped sandbox again in the workspace it kept (the `start` step, then `ready`), in
   * the background: its threads carry on where they were. Only a stopped sandbox can: a paused
   * one wakes with its next message, and a machine comes back when it dials in.
   */
  async startAgain(record: RuntimeRecord): Promise<void> {
    const provider = this.options.providers.get(record.provider);
    if (record.kind !== 'sandbox' || record.status !== 'stopped' || !provider || this.restarting.has(record.id))
      throw new RemoteChatError(
        'conflict',
        record.kind === 'machine'
          ? 'A machine runtime starts again when its machine connects: run `remote-chat-runtime connect` there.'
          : !provider
            ? `Provider "${record.provider}" is not configured on this server.`
            : `The runtime is ${this.restarting.has(record.id) ? 'starting' : record.status}; only a stopped runtime can be started again.`,
      );
    this.restarting.add(record.id);
    try {
      await this.setStatus(record.id, 'starting', 'Starting again on request, in the same workspace.');
    } catch (error) {
      this.restarting.delete(record.id);
      throw error;
    }
    this.track(this.bringUp(record, provider, 'restart').finally(() => this.restarting.delete(record.id)));
  }

  /**
   * Re-attaches the runtimes that were up when the BFF last stopped. A runtime whose process
   * still runs is dialled again, not restarted; one that is gone is restarted by its provider
   * (its workspace and threads are kept), or marked failed if it never finished starting.
   */
  async resumeAll(): Promise<void> {
    const records = (await this.options.store.listRuntimes(null)).filter((r) => !ENDED.has(r.status));
    // Machines first, then paused sandboxes (in order, as they are quick), then the others at once.
    for (const record of records.filter((r) => r.kind === 'machine')) await this.reattach(record);
    for (const record of records.filter((r) => r.kind === 'sandbox' && r.status === 'paused'))
      await this.reattach(record);
    await Promise.all(
      records.filter((r) => r.kind === 'sandbox' && r.status !== 'paused').map((record) => this.reattach(record)),
    );
  }

  /**
   * Re-attaches one runtime that was up (`resumeAll`; in a cluster also one whose holder died):
   * returns false when another instance holds its link.
   */
  async reattach(record: RuntimeRecord): Promise<boolean> {
    const { writer, providers, links } = this.options;
    const ensure = () =>
      links.ensure(record).catch((error: unknown) => {
        if (error instanceof RemoteChatError && error.code === 'runtime_unavailable') return null;
        throw error;
      });
    if (ENDED.has(record.status)) return false;
    // Machines dial in by themselves; until they do they are offline, and messages wait for them.
    if (record.kind === 'machine') {
      if (!(await ensure())) return false;
      await this.setStatus(record.id, 'offline', 'Waiting for the machine to connect.');
      return true;
    }
    // Paused ones stay paused, their links made so messages queue; the next message resumes them.
    if (record.status === 'paused') return (await ensure()) !== null;
    const provider = providers.get(record.provider);
    if (!provider) {
      await this.fail(record, `Provider "${record.provider}" is not configured on this server.`);
      return false;
    }
    const endpoint = await provider.probe(record.providerState).catch(() => null);
    if (endpoint) {
      const live = await ensure();
      if (!live) return false;
      await writer.appendLog(record.id, {
        kind: 'link',
        state: 'resuming',
        detail: 'BFF restarted; re-attaching.',
      });
      this.track(
        links.connect(live, endpoint).then(
          () => this.setStatus(record.id, 'ready'),
          (error) => this.fail(record, `Could not re-attach: ${errorMessage(error)}`),
        ),
      );
    } else if (record.status === 'starting') {
      await this.fail(record, 'The server stopped while this runtime was starting.', 'Delete it and create a new one.');
    } else {
      if (!(await ensure())) return false;
      await writer.appendLog(record.id, {
        kind: 'error',
        message: 'The runtime process is gone (the host restarted or it was stopped).',
        hint: 'Starting it again in its workspace; its threads are kept.',
      });
      await this.setStatus(record.id, 'offline');
      this.track(this.bringUp(record, provider, 'restart'));
    }
    return true;
  }

  /** Follows a link's state into the runtime log and the runtime's status. */
  async linkChanged(live: LiveRuntime, state: LinkState, linkDetail?: string): Promise<void> {
    const detail = linkDetail && plainLinkDetail(linkDetail);
    const previous = live.link;
    live.link = state;
    // A paused runtime's link is down on purpose: neither offline nor gone.
    if (live.abort.signal.aborted || previous === state || live.paused) return;
    // Record arrivals and losses, not every attempt in between.
    if (state === 'open' || (state === 'offline' && previous === 'open')) {
      await this.options.writer.appendLog(live.id, { kind: 'link', state, ...(detail && { detail }) });
    }
    const record = await this.options.store.getRuntime(live.id);
    if (!record) return;
    if (state === 'offline' && record.status === 'ready') await this.setStatus(live.id, 'offline', detail);
    // A machine is ready once it said which project it serves (`reported`), after every handshake.
    else if (state === 'open' && record.status === 'offline' && record.kind !== 'machine')
      await this.setStatus(live.id, 'ready');
    else this.options.view.publish(record);
    if (state === 'offline' && record.kind === 'sandbox' && record.status !== 'starting')
      await this.restartIfGone(live, record);
  }

  /**
   * A runtime's `runtime.info` is stored. A machine whose link is open becomes ready now, so it is
   * never listed as ready without its project name and git remote.
   */
  async reported(live: LiveRuntime): Promise<void> {
    if (live.link !== 'open' || live.abort.signal.aborted) return;
    const record = await this.options.store.getRuntime(live.id);
    if (record?.kind === 'machine' && (record.status === 'starting' || record.status === 'offline'))
      await this.setStatus(live.id, 'ready');
  }

  /**
   * Stops a runtime for good and deletes it with its threads: a machine is told to stop serving
   * the folder, a sandbox is destroyed by its provider.
   */
  async destroy(record: RuntimeRecord): Promise<void> {
    const { store, writer, providers, links, view, logger } = this.options;
    const live = links.get(record.id);
    live?.abort.abort();
    await this.setStatus(record.id, 'stopping', 'Stopping on request.');
    if (live) {
      // A machine is told to stop serving this folder; otherwise it would dial in and register
      // the folder again. (A sandbox is destroyed by its provider below.)
      if (record.kind === 'machine' && live.link === 'open') await this.tellToShutDown(live, 'deleted in the portal');
      await links.release(live, 'runtime deleted');
    }
    const provider = providers.get(record.provider);
    try {
      await provider?.destroy(record.providerState);
      // Said in its log, which a page following it sees before the runtime is gone.
      await this.setStatus(
        record.id,
        'stopped',
        record.kind === 'machine'
          ? 'Deleted: the machine was told to stop serving this folder; its threads are gone.'
          : `Deleted: the sandbox was torn down (${provider?.label ?? record.provider}); its workspace and threads are gone.`,
      );
    } catch (error) {
      logger.warn({ runtimeId: record.id, err: errorMessage(error) }, 'provider could not destroy the runtime');
      await writer.appendLog(record.id, {
        kind: 'error',
        message: `Could not tear the sandbox down: ${errorMessage(error)}`,
        hint: `Deleted here anyway; check ${provider?.label ?? record.provider} for anything left running.`,
      });
    }
    await writer.drain();
    await store.deleteRuntime(record.id);
    view.publishRemoved(record);
  }

  /**
   * Work arrived for a runtime (a message, an upload): a paused one is resumed in the
   * background, while the work waits in its outbox.
   */
  wake(live: LiveRuntime): void {
    if (!live.paused || this.resuming.has(live.id) || live.abort.signal.aborted) return;
    this.resuming.add(live.id);
    this.track(this.resume(live).finally(() => this.resuming.delete(live.id)));
  }

  /** Sets a runtime's status, with a log entry when it changed, and publishes the runtime. */
  async setStatus(id: string, status: RuntimeStatus, detail?: string): Promise<void> {
    const { store, writer, view } = this.options;
    const record = await store.getRuntime(id);
    if (!record || record.status === status) {
      if (record) view.publish(record);
      return;
    }
    const updated = await store.updateRuntime(id, { status });
    await writer.appendLog(id, { kind: 'status', status, ...(detail && { detail }) });
    if (updated) view.publish(updated);
  }

  /** Stops supervising: no more idle checks, background work cancelled and awaited. */
  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    for (const live of this.options.links.all()) live.abort.abort();
    await Promise.allSettled([...this.tasks]);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error) =>
      this.options.logger.error({ err: errorMessage(error) }, 'runtime task failed'),
    );
    this.tasks.add(tracked);
    void tracked.finally(() => this.tasks.delete(tracked));
  }

  private async bringUp(
    record: RuntimeRecord,
    provider: Provider,
    mode: 'provision' | 'restart',
    cloneToken?: string,
  ): Promise<void> {
    const { links } = this.options;
    const live = await links.ensure(record);
    const bringUp = { token: links.tokenFor(record.id), signal: live.abort.signal, cloneToken };
    try {
      const endpoint =
        mode === 'provision'
          ? await this.steps.provision(record, provider, bringUp)
          : await this.steps.restart(record, provider, bringUp);
      await this.steps.step(record.id, live.abort.signal, 'ready', async () => {
        await links.connect(live, endpoint);
        // The idle window starts when the runtime can be used, not when it was asked for.
        links.markActive(live);
        // Ready in the store before the log says so: whoever sees the step end finds it ready.
        await this.setStatus(record.id, 'ready');
        return { detail: 'Link open; the agent is listening.' };
      });
    } catch (error) {
      if (live.abort.signal.aborted) return;
      await this.fail(
        record,
        errorMessage(error),
        'Check the step output above, then delete this runtime and create a new one.',
      );
    }
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
    await this.options.writer.appendLog(record.id, {
      kind: 'error',
      message: 'The runtime process is gone.',
      hint: 'Restarting it in its workspace; threads and files are kept.',
    });
    this.track(this.bringUp(record, provider, 'restart').finally(() => this.restarting.delete(live.id)));
  }

  /**
   * Pauses sandbox runtimes that have been idle for the configured window, where their platform
   * can pause; stops the others. Where that ended running commands (a stop, or a pause that keeps
   * files only), each of the runtime's threads is told: the BFF sees only agent turns (none runs in
   * an idle runtime), not what a thread left running in the background, so it cannot tell which
   * threads lost something.
   */
  private async stopIdle(): Promise<void> {
    const limit = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const now = Date.now();
    for (const live of this.options.links.all()) {
      if (live.busy.size > 0 || now - live.lastActivity < limit || live.abort.signal.aborted || live.paused) continue;
      const record = await this.options.store.getRuntime(live.id);
      if (record?.kind !== 'sandbox' || ENDED.has(record.status) || record.status === 'starting') continue;
      if (record.status === 'paused' || this.resuming.has(record.id)) continue;
      const idle = `No activity for ${formatMinutes(limit)}`;
      const provider = this.options.providers.get(record.provider);
      const platform = provider?.label ?? record.provider;
      if (provider && pausesWhenIdle(provider)) {
        const paused = await this.pause(record, provider, live, `${idle}; paused with its files kept.`);
        if (paused && !provider.pauseKeepsProcesses)
          await this.tellThreads(record, idleLoss(limit, platform, 'paused'));
        continue;
      }
      await this.stop(record, `${idle}; stopped to release its resources.`);
      await this.tellThreads(record, idleLoss(limit, platform, 'stopped'));
    }
  }

  /**
   * Pauses a runtime through its provider: its link let go on purpose, its work queued meanwhile.
   * True once it is paused; false when it was deleted meanwhile or could not pause (then stopped).
   */
  private async pause(record: RuntimeRecord, provider: Provider, live: LiveRuntime, why: string): Promise<boolean> {
    live.paused = true;
    await live.dialer?.stop();
    try {
      await this.steps.pause(record, provider, live.abort.signal);
    } catch (error) {
      if (live.abort.signal.aborted) return false;
      // It could not pause: it may still run, so stop it rather than leave it half paused.
      live.paused = false;
      this.options.logger.warn({ runtimeId: record.id, err: errorMessage(error) }, 'pause failed; stopping');
      await this.stop(record, `${why.split(';')[0]}; pausing failed, so it was stopped.`);
      return false;
    }
    await this.setStatus(record.id, 'paused', why);
    return true;
  }

  /** Resumes a paused runtime: the `resume` step (the provider, then its link), then ready. */
  private async resume(live: LiveRuntime): Promise<void> {
    const record = await this.options.store.getRuntime(live.id);
    if (record?.status !== 'paused') {
      live.paused = false;
      return;
    }
    const provider = this.options.providers.get(record.provider);
    if (!provider?.resume) {
      await this.fail(record, `Provider "${record.provider}" cannot resume this runtime on this server.`);
      return;
    }
    await this.setStatus(record.id, 'starting', 'Resuming: work arrived.');
    const { links } = this.options;
    try {
      await this.steps.resume(
        record,
        provider,
        { token: links.tokenFor(record.id), signal: live.abort.signal },
        async (endpoint) => {
          live.paused = false;
          await links.connect(live, endpoint);
          links.markActive(live);
          await this.setStatus(record.id, 'ready');
        },
      );
    } catch (error) {
      if (live.abort.signal.aborted) return;
      await this.fail(
        record,
        `Could not resume: ${errorMessage(error)}`,
        'Its files may be kept by the platform; delete this runtime and create a new one.',
      );
    }
  }

  /** Says something in each of a runtime's threads (what its host did to it), as a status note. */
  private async tellThreads(record: RuntimeRecord, message: string): Promise<void> {
    for (const thread of await this.options.store.listThreads(record.id)) {
      await this.options.writer.appendEvent(thread, { kind: 'status', state: 'idle', message });
    }
  }

  /** Stops a runtime's process and releases what the provider holds; its threads stay readable. */
  private async stop(record: RuntimeRecord, why: string): Promise<void> {
    const { links, providers, logger } = this.options;
    const live = links.get(record.id);
    live?.abort.abort();
    await this.setStatus(record.id, 'stopping', why);
    if (live) await links.release(live, 'runtime stopped');
    try {
      await providers.get(record.provider)?.stop(record.providerState);
    } catch (error) {
      logger.warn({ runtimeId: record.id, err: errorMessage(error) }, 'provider could not stop the runtime');
    }
    await this.setStatus(record.id, 'stopped', why);
  }

  private async fail(record: RuntimeRecord, why: string, hint?: string): Promise<void> {
    await this.options.writer.appendLog(record.id, { kind: 'error', message: why, ...(hint && { hint }) });
    await this.setStatus(record.id, 'failed');
    const live = this.options.links.get(record.id);
    if (live) {
      await live.dialer?.stop();
      this.options.links.delete(record.id);
    }
  }

  /** Sends `runtime.shutdown` and waits (up to 2 s) for the runtime to acknowledge it. */
  private async tellToShutDown(live: LiveRuntime, reason: string): Promise<void> {
    await this.options.links.send(live, [{ type: 'runtime.shutdown', reason }]);
    for (let waited = 0; live.session.pending > 0 && waited < 2000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
