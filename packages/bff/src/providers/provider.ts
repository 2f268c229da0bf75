import type { Duplex } from 'node:stream';
import type { AcpAgentConfig, RuntimeKind } from '@remote-chat/protocol';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ProviderAudience } from './provider-access.js';

/** What a step's work reports back: a line of detail, or that the step did not apply. */
export type StepOutcome = { detail?: string } | { skipped: string } | undefined;

/** What the BFF's configuration adds to every sandbox runtime's settings file. */
export interface AgentSettings {
  /** The ACP agents the runtime may start (those whose command it finds). @default [] */
  acpAgents?: AcpAgentConfig[];
  /** An agent's permission request unanswered this long is denied. @default the runtime's, 5 minutes */
  permissionTimeoutMs?: number;
}

/**
 * The runtime's settings file, as the `settings` step writes it (the runtime's
 * `RuntimeSettingsSchema`): agents and limits, never a model key or any other secret.
 */
export interface RuntimeSettings {
  agent: string;
  commandTimeoutMs: number;
  acpAgents: AcpAgentConfig[];
  permissionTimeoutMs?: number;
}

/** The repository the `clone` step clones into the workspace. */
export interface CloneSource {
  /** `owner/name`, for the log. */
  repo: string;
  /** The URL `git clone` takes. */
  url: string;
  /** @default the repository's default branch */
  branch: string | null;
  /**
   * The user's GitHub token for this one clone, in memory only: give it to the one git command
   * (its environment, read by an inline credential helper), never to argv, a file, the store, a
   * log or the runtime. Absent for a public repository.
   */
  token?: string;
}

/** What a provider is told for one step of one runtime. */
export interface StepContext {
  runtimeId: string;
  /** Aborted when the runtime is deleted while starting: stop work and throw. */
  signal: AbortSignal;
}

/** What the `start` step also needs: the credential the runtime must accept on its link. */
export interface StartContext extends StepContext {
  /** Handed to the runtime privately (its environment at start, never a file the BFF leaves behind). */
  token: string;
}

/** A provider's private record of a runtime (ids, paths, ports): kept in the store by the BFF. */
export type ProviderState = Record<string, unknown>;

/** Where the BFF dials the runtime's link once it runs. */
export interface RuntimeEndpoint {
  /** `ws://`, `wss://` or `ws+unix://` URL of the runtime's `/link`. */
  linkUrl: string;
  /**
   * Opens the byte stream the link runs over, where the runtime is not reached by a connection to
   * `linkUrl`'s host (an SSH-forwarded channel); the URL still names the host and path of the
   * upgrade request. Called once per dial.
   */
  connect?: () => Promise<Duplex>;
  /** Extra HTTP headers for the upgrade request (a platform's proxy token, such as Daytona's preview token). */
  headers?: Record<string, string>;
}

/** A runtime the `start` step (or a resume) left running. */
export interface StartedRuntime {
  endpoint: RuntimeEndpoint;
  /** The state from now on (a process id, a port). */
  state: ProviderState;
  detail?: string;
}

/**
 * Makes sandbox runtimes: the one boundary between the BFF and a place runtimes run. A provider
 * owns the resource (a folder, a sandbox, a remote folder) and nothing else: the BFF's step runner
 * calls `create`, `clone`, `install`, `writeSettings` and `start` in turn (the runtime log's steps
 * `create` … `start`, then `ready` once the link is open), records every step and keeps the state
 * each step returns in the store. Providers never write to the log or the store.
 *
 * Every method that takes a state must tolerate a state from an older version or a resource that
 * is gone (validate it; `probe` answers null, `stop` and `destroy` return quietly).
 */
export interface Provider {
  /** The id `POST /api/runtimes` names (`process`, `sandbox`, `e2b`, …). */
  readonly id: string;
  readonly label: string;
  readonly kind: RuntimeKind;
  readonly description: string;
  /**
   * Who may make its runtimes and send them work: `owner` keeps it to the server's owner (a
   * provider whose runtimes are not sandboxed), `all` lets a host site's users in too.
   * @default 'all'
   */
  readonly audience?: ProviderAudience;

  /** `create`: makes the resource the runtime lives in, with an empty workspace. */
  create(context: StepContext): Promise<{ state: ProviderState; detail?: string }>;
  /** `clone`: makes the workspace a clone of `source`, or (null) an empty git repository. */
  clone(context: StepContext, state: ProviderState, source: CloneSource | null): Promise<StepOutcome>;
  /** `install`: puts the one-file runtime (`runtimeFile`, on the BFF's host) where `start` runs it. */
  install(context: StepContext, state: ProviderState, runtimeFile: string): Promise<StepOutcome>;
  /** `settings`: writes the runtime's settings file. */
  writeSettings(context: StepContext, state: ProviderState, settings: RuntimeSettings): Promise<StepOutcome>;
  /** `start`: starts the installed runtime (again, after a stop or a crash: its workspace is kept). */
  start(context: StartContext, state: ProviderState): Promise<StartedRuntime>;
  /** Health: the runtime's endpoint if it runs and answers, else null (gone, stopped, paused). */
  probe(state: ProviderState): Promise<RuntimeEndpoint | null>;
  /**
   * Stops the runtime's process or sandbox and releases its compute (idle shutdown). What is
   * left, such as a workspace on disk, goes with `destroy`. Safe on a runtime that is gone.
   */
  stop(state: ProviderState): Promise<void>;
  /** Stops the runtime and deletes everything it holds. Safe to call on a runtime that is gone. */
  destroy(state: ProviderState): Promise<void>;
  /**
   * Where the platform can: pauses the runtime's sandbox with its files kept (and its processes,
   * where the platform snapshots memory), releasing its compute. Returns the state from now on.
   * Absent: an idle runtime is stopped instead.
   */
  pause?(state: ProviderState): Promise<ProviderState>;
  /**
   * Whether `pause` keeps the runtime's running processes (the platform snapshots memory, as E2B
   * does). When it does not (Daytona's stop keeps files only), commands still running end with the
   * pause, and the BFF tells each of the runtime's threads so. Read only with `pause`.
   * @default false
   */
  readonly pauseKeepsProcesses?: boolean;
  /**
   * Brings a paused runtime back: its runtime running again (started anew where the platform kept
   * files only) and where to reach its link. The BFF records it as the `resume` step.
   */
  resume?(context: StartContext, state: ProviderState): Promise<StartedRuntime>;
}

/** Whether the idle window pauses this provider's runtimes (it has `pause`) rather than stopping them. */
export function pausesWhenIdle(provider: Provider): provider is Provider & Pick<Required<Provider>, 'pause'> {
  return typeof provider.pause === 'function';
}

/** What every provider is made with, besides its own settings. */
export interface ProviderContext {
  /** The BFF's data directory (providers that keep files on this host keep them under it). */
  dataDir: string;
  logger: Logger;
  /** The BFF's idle window: a platform's own time-out (E2B's, Daytona's auto-stop) is kept above it. */
  idleTimeoutMs: number;
}

/**
 * A provider the configuration switches on: the schema of its settings, where they come from, and
 * how a provider is made of them. Settings are the config file's `providers.<id>` object with the
 * environment's values over it; the provider is offered when either has any. They are validated
 * at start-up: a wrong one stops the BFF with a message naming it.
 */
export interface ProviderDefinition<Settings = unknown> {
  readonly id: string;
  readonly settings: z.ZodType<Settings>;
  /** Each setting's environment variable (`{ apiKey: 'E2B_API_KEY' }`): read, and named in errors. */
  readonly env: Readonly<Record<string, string>>;
  make(settings: Settings, context: ProviderContext): Provider | Promise<Provider>;
}
