import type { AcpAgentConfig, RuntimeKind, RuntimeStep } from '@remote-chat/protocol';
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

/** What the BFF gives a provider while it makes or restarts a runtime. */
export interface ProvisionContext {
  runtimeId: string;
  /** The credential the runtime must accept on its link; the provider hands it over privately. */
  token: string;
  repo: string | null;
  branch: string | null;
  agent: string;
  /** To write into the runtime's settings beside `agent` (the runtime's `RuntimeSettingsSchema`). */
  agentSettings: AgentSettings;
  /** Aborted when the runtime is deleted while starting. */
  signal: AbortSignal;
  /**
   * Runs one step and records it in the runtime log (`started`, then `ok` / `failed` /
   * `skipped` with its duration). A step that throws fails the runtime.
   */
  step(step: RuntimeStep, work: () => Promise<StepOutcome>): Promise<void>;
  /** Saves provider-private state (ids, paths, ports) so a restarted BFF can find the runtime. */
  saveState(state: Record<string, unknown>): Promise<void>;
}

/** Where the BFF dials the runtime's link once it runs. */
export interface RuntimeEndpoint {
  linkUrl: string;
}

/**
 * Makes sandbox runtimes. A provider runs the `create`, `clone`, `install`, `settings` and
 * `start` steps; the BFF then dials the runtime's link and records `ready`.
 */
export interface Provider {
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
  /** Makes a new runtime and starts it. */
  provision(context: ProvisionContext): Promise<RuntimeEndpoint>;
  /**
   * Finds a runtime made earlier (after a BFF restart). Returns its endpoint if it still runs,
   * or null when it is gone.
   */
  probe(state: Record<string, unknown>): Promise<RuntimeEndpoint | null>;
  /** Starts a runtime whose process is gone but whose resources remain (the `start` step). */
  restart(context: ProvisionContext, state: Record<string, unknown>): Promise<RuntimeEndpoint>;
  /**
   * Stops the runtime's process or sandbox and releases its compute (idle shutdown). What is
   * left, such as a workspace on disk, goes with `destroy`. Safe on a runtime that is gone.
   */
  stop(state: Record<string, unknown>): Promise<void>;
  /** Stops the runtime and deletes everything it holds. Safe to call on a runtime that is gone. */
  destroy(state: Record<string, unknown>): Promise<void>;
}
