import type { RuntimeStep } from '@remote-chat/protocol';
import { defaultRuntimeFile } from '../built-files.js';
import type { EntryWriter } from '../entry-writer.js';
import { errorMessage } from '../errors.js';
import type {
  AgentSettings,
  CloneSource,
  Provider,
  ProviderState,
  RuntimeEndpoint,
  RuntimeSettings,
  StepOutcome,
} from '../providers/provider.js';
import type { RuntimeRecord, Store } from '../store/store.js';

/** The longest step detail kept in the runtime log. */
const MAX_DETAIL_CHARS = 16_000;

export interface StepRunnerOptions {
  store: Store;
  writer: EntryWriter;
  /** Settings every sandbox runtime gets from the configuration. */
  agentSettings: AgentSettings;
  /** Where `owner/name` repositories are cloned from. @default 'https://github.com' */
  gitBaseUrl?: string | undefined;
  /** Asked before `clone` (GitHub: access, size, branch); throws what to tell the user. @default none */
  checkSource?: ((source: CloneSource) => Promise<void>) | undefined;
  /** The one-file runtime each runtime gets. @default the runtime package's built bundle */
  runtimeFile?: string | undefined;
  /** The runtime's command time limit. @default 600_000 */
  commandTimeoutMs?: number | undefined;
}

/** One bring-up of one runtime: the credential its link must accept, and what cancels it. */
export interface BringUp {
  token: string;
  /** Aborted when the runtime is deleted or the BFF closes; no step starts after that. */
  signal: AbortSignal;
  /** The user's GitHub token for the `clone` step only (memory only; see `CloneSource.token`). */
  cloneToken?: string | undefined;
}

/**
 * Drives a runtime's provider through the steps of its runtime log — `create`, `clone`,
 * `install`, `settings`, `start` (and `ready`, whose work the supervisor supplies) — recording
 * each (`started`, then `ok` / `skipped` / `failed` with its duration and detail) and keeping the
 * state each step returns in the store. Every step entry comes from here; providers write neither
 * the log nor the store.
 */
export class StepRunner {
  constructor(private readonly options: StepRunnerOptions) {}

  /** Makes a new runtime and starts it: every step up to `start`. */
  async provision(record: RuntimeRecord, provider: Provider, bringUp: BringUp): Promise<RuntimeEndpoint> {
    const context = { runtimeId: record.id, signal: bringUp.signal };
    let state: ProviderState = {};
    await this.step(record.id, bringUp.signal, 'create', async () => {
      const created = await provider.create(context);
      state = created.state;
      await this.#save(record, state);
      return created.detail === undefined ? undefined : { detail: created.detail };
    });
    await this.step(record.id, bringUp.signal, 'clone', async () => {
      const source = this.#source(record, bringUp.cloneToken);
      if (source) await this.options.checkSource?.(source);
      return provider.clone(context, state, source);
    });
    await this.step(record.id, bringUp.signal, 'install', () =>
      provider.install(context, state, this.options.runtimeFile ?? defaultRuntimeFile()),
    );
    await this.step(record.id, bringUp.signal, 'settings', () =>
      provider.writeSettings(context, state, this.#settings(record)),
    );
    return this.restart(record, provider, bringUp);
  }

  /** Starts a runtime made earlier (its process gone, its workspace kept): the `start` step. */
  async restart(record: RuntimeRecord, provider: Provider, bringUp: BringUp): Promise<RuntimeEndpoint> {
    let endpoint: RuntimeEndpoint | undefined;
    await this.step(record.id, bringUp.signal, 'start', async () => {
      const started = await provider.start(
        { runtimeId: record.id, signal: bringUp.signal, token: bringUp.token },
        record.providerState,
      );
      await this.#save(record, started.state);
      endpoint = started.endpoint;
      return started.detail === undefined ? undefined : { detail: started.detail };
    });
    if (!endpoint) throw new Error('the start step ended without an endpoint');
    return endpoint;
  }

  /**
   * Resumes a paused runtime, as the `resume` step: the provider brings it back, then `connect`
   * opens its link, so the step's duration is the wait a user sees.
   */
  async resume(
    record: RuntimeRecord,
    provider: Provider,
    bringUp: BringUp,
    connect: (endpoint: RuntimeEndpoint) => Promise<void>,
  ): Promise<void> {
    const { resume } = provider;
    if (!resume) throw new Error(`the ${provider.id} provider cannot resume`);
    await this.step(record.id, bringUp.signal, 'resume', async () => {
      const started = await resume.call(
        provider,
        { runtimeId: record.id, signal: bringUp.signal, token: bringUp.token },
        record.providerState,
      );
      await this.#save(record, started.state);
      await connect(started.endpoint);
      return { detail: started.detail ?? 'Link open; the agent is listening.' };
    });
  }

  /** Pauses a runtime, as the `pause` step; its state from then on is kept. */
  async pause(record: RuntimeRecord, provider: Provider, signal: AbortSignal): Promise<void> {
    const { pause } = provider;
    if (!pause) throw new Error(`the ${provider.id} provider cannot pause`);
    await this.step(record.id, signal, 'pause', async () => {
      await this.#save(record, await pause.call(provider, record.providerState));
      return { detail: 'Files kept; compute released. The next message resumes it.' };
    });
  }

  /** Runs one step: `started`, then `ok` / `skipped` / `failed` with its duration and detail. */
  async step(
    runtimeId: string,
    signal: AbortSignal,
    step: RuntimeStep,
    work: () => Promise<StepOutcome>,
  ): Promise<void> {
    const { writer } = this.options;
    if (signal.aborted) throw new Error('cancelled');
    const started = performance.now();
    await writer.appendLog(runtimeId, { kind: 'step', step, state: 'started' });
    try {
      const outcome = await work();
      const durationMs = Math.round(performance.now() - started);
      if (outcome && 'skipped' in outcome) {
        await writer.appendLog(runtimeId, {
          kind: 'step',
          step,
          state: 'skipped',
          durationMs,
          detail: outcome.skipped,
        });
      } else {
        await writer.appendLog(runtimeId, {
          kind: 'step',
          step,
          state: 'ok',
          durationMs,
          ...(outcome?.detail !== undefined && { detail: outcome.detail.slice(0, MAX_DETAIL_CHARS) }),
        });
      }
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      await writer.appendLog(runtimeId, {
        kind: 'step',
        step,
        state: 'failed',
        durationMs,
        detail: errorMessage(error).slice(0, MAX_DETAIL_CHARS),
      });
      throw error;
    }
  }

  /** What `clone` clones: the runtime's repository (`owner/name`) on the configured git host. */
  #source(record: RuntimeRecord, token: string | undefined): CloneSource | null {
    if (!record.repo) return null;
    const base = (this.options.gitBaseUrl ?? 'https://github.com').replace(/\/+$/, '');
    return { repo: record.repo, url: `${base}/${record.repo}.git`, branch: record.branch, ...(token && { token }) };
  }

  #settings(record: RuntimeRecord): RuntimeSettings {
    const { acpAgents = [], permissionTimeoutMs } = this.options.agentSettings;
    return {
      agent: record.agent,
      commandTimeoutMs: this.options.commandTimeoutMs ?? 600_000,
      acpAgents,
      ...(permissionTimeoutMs !== undefined && { permissionTimeoutMs }),
    };
  }

  async #save(record: RuntimeRecord, state: ProviderState): Promise<void> {
    const updated = await this.options.store.updateRuntime(record.id, { providerState: state });
    record.providerState = updated?.providerState ?? state;
  }
}
