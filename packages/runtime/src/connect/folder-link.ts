import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CLOSE_CODES,
  ToRuntimeMessageSchema,
  type FromRuntimeMessage,
  type GatewayFromRuntimeFrame,
  type GatewayToRuntimeFrame,
  type LinkState,
  type Machine,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import {
  closeInWords,
  LinkClosedError,
  LinkDialer,
  type LinkDialerOptions,
  LinkHandshakeError,
  LinkSession,
  type LinkSessionOptions,
} from '@remote-chat/link';
import { runtimeAgents } from '../agents/built-in.js';
import { openRuntimeState, type RuntimeState } from '../durable/runtime-state.js';
import { EXIT_CODES, RuntimeStartError, type ExitCode } from '../exit-codes.js';
import type { ModelAccess } from '../model-endpoint/model-access.js';
import { startRuntimeModelGateway, type RuntimeModelGateway } from '../model-endpoint/runtime-model-gateway.js';
import { gitRemote } from '../project-info.js';
import { startAgentEndpoint, type AgentEndpoint } from '../agents/external/agent-endpoint.js';
import { RuntimeHost } from '../runtime-host.js';
import { DEFAULT_SETTINGS, type RuntimeSettings } from '../settings.js';
import { bffKey, linkUrlFor } from './link-url.js';
import { folderRuntimeId, folderStateDir, FOLDER_DATA_DIR, RUNTIME_IDS_FILE_NAME } from './runtime-ids.js';

/** Why `connect` must end instead of retrying: the BFF refused in a way a retry cannot fix. */
export interface ConnectExit {
  code: ExitCode;
  /** For the person at the terminal; never contains the token. */
  message?: string;
}

export interface FolderLinkOptions {
  /** The project folder (absolute); agents work in it. */
  folder: string;
  bff: URL;
  /** The user's API token; goes into `hello` and nowhere else. */
  token: string;
  machine: Machine;
  /** @default DEFAULT_SETTINGS */
  settings?: RuntimeSettings;
  /**
   * The person's own models (`--own-models`), which agents then call directly with their key;
   * otherwise they reach the BFF's models through the runtime's keyless endpoint. @default none
   */
  model?: ModelAccess;
  /** Status lines for the terminal, already prefixed with `[project]`. */
  out: (line: string) => void;
  /** Problems for the terminal (stderr), already prefixed. */
  err: (line: string) => void;
  /** The BFF refused this folder's link for good (4401, 4403, 4406). */
  onFatal: (exit: ConnectExit) => void;
  /** The BFF sent `runtime.shutdown` (the runtime was deleted in the portal). */
  onShutdownRequest: (reason: string) => void;
  /** Backoff. @default 1 s doubling to 30 s, with jitter */
  dialer?: Pick<LinkDialerOptions<FromRuntimeMessage, ToRuntimeMessage>, 'minDelayMs' | 'maxDelayMs'>;
  /** Heartbeats, for tests. */
  link?: Pick<LinkSessionOptions<ToRuntimeMessage>, 'heartbeatMs' | 'deadAfterMs'>;
}

/** How long running commands get to stop when a link is closed. */
const STOP_GRACE_MS = 5_000;

/**
 * One project folder connected to a BFF: its runtime id, its durable state, an agent host with the
 * shell agent in the folder, and a dialler that keeps the link up and says what it is doing.
 */
export class FolderLink {
  readonly folder: string;
  readonly runtimeId: string;
  readonly #options: FolderLinkOptions;
  readonly #state: RuntimeState;
  readonly #session: LinkSession<FromRuntimeMessage, ToRuntimeMessage, GatewayFromRuntimeFrame, GatewayToRuntimeFrame>;
  readonly #host: RuntimeHost;
  readonly #dialer: LinkDialer<FromRuntimeMessage, ToRuntimeMessage, GatewayFromRuntimeFrame, GatewayToRuntimeFrame>;
  readonly #models: RuntimeModelGateway;
  #agentEndpoint: AgentEndpoint | undefined;
  /** The git remote last reported in runtime.info; undefined before the first. */
  #reportedRemote: string | null | undefined;
  /** Why the last attempt failed or the link closed, for the retry line. */
  #problem = '';
  #announcedDial = false;
  #stopping: Promise<void> | undefined;

  private constructor(options: FolderLinkOptions, runtimeId: string, state: RuntimeState, models: RuntimeModelGateway) {
    this.#options = options;
    this.folder = options.folder;
    this.runtimeId = runtimeId;
    this.#state = state;
    this.#models = models;
    const settings = options.settings ?? DEFAULT_SETTINGS;
    this.#session = new LinkSession({
      inbound: ToRuntimeMessageSchema,
      onMessage: (message, seq) => this.#host.handle(message, seq),
      outbox: state.outbox,
      lastReceived: state.journal.lastReceived,
      log: (line) => options.err(line),
      gateway: models.link,
      ...options.link,
    });
    this.#host = new RuntimeHost({
      workspace: options.folder,
      agents: runtimeAgents(options.folder, settings, state.commands, {
        stateDir: folderStateDir(options.folder, runtimeId),
        log: (line) => options.err(line),
        ownModels: options.model !== undefined,
        machine: true,
      }),
      permissionTimeoutMs: settings.permissionTimeoutMs,
      history: state.history,
      send: (message) => this.#session.sendOrHold(message),
      backpressure: this.#session,
      journal: state.journal,
      machine: options.machine,
      model: options.model ?? models.endpoint,
      onModels: (list) => models.setModels(list),
      onShutdown: (reason) => options.onShutdownRequest(reason),
      log: (line) => options.err(line),
      env: () => this.#agentEndpoint?.env() ?? {},
    });
    this.#dialer = new LinkDialer({
      url: linkUrlFor(options.bff),
      runtimeId,
      token: options.token,
      session: this.#session,
      // A person's machine: start gently rather than at the sandbox link's 250 ms.
      minDelayMs: 1_000,
      maxDelayMs: 30_000,
      ...options.dialer,
      shouldRetry: (error) => this.#shouldRetry(error),
      onRetry: (delayMs) =>
        options.out(`offline${this.#problem ? `: ${this.#problem}` : ''}; retrying in ${formatDelay(delayMs)}`),
    });
    this.#session.onState((state) => {
      models.linkState(state);
      this.#stateChanged(state);
    });
  }

  /** Gets the folder's runtime id, opens its state and starts dialling. Throws a RuntimeStartError. */
  static async start(options: FolderLinkOptions): Promise<FolderLink> {
    const runtimeId = await folderRuntimeId(options.folder, bffKey(options.bff));
    const state = await openRuntimeState(folderStateDir(options.folder, runtimeId), { log: options.err });
    let link: FolderLink | undefined;
    const models = await startRuntimeModelGateway((frame) => (link ? link.#session.sendGateway(frame) : false)).catch(
      async (error: Error) => {
        await state.close();
        throw new RuntimeStartError(`cannot start the model endpoint: ${error.message}`, EXIT_CODES.listen);
      },
    );
    link = new FolderLink(options, runtimeId, state, models);
    options.out(`${options.folder} is runtime ${runtimeId}`);
    const stateDir = folderStateDir(options.folder, runtimeId);
    link.#agentEndpoint = await startAgentEndpoint({ agents: link.#host, stateDir, log: options.err }).catch(
      async (error: Error) => {
        await models.close();
        await state.close();
        throw new RuntimeStartError(`cannot start the agent endpoint: ${error.message}`, EXIT_CODES.listen);
      },
    );
    options.out(`agent endpoint ${link.#agentEndpoint.url} (its secret is in ${stateDir}/agent-endpoint.json)`);
    link.#host.recoverInterrupted(link.#state.outbox.after(0).map((entry) => entry.message));
    link.#dialer.start();
    return link;
  }

  /** The folder's name, as the portal shows the project. */
  get name(): string {
    return path.basename(this.folder);
  }

  /** 'connecting' | 'open' | 'resuming' | 'offline'. */
  get linkState(): LinkState {
    return this.#session.state;
  }

  /**
   * The periodic check: false when the folder is gone (the caller then stops this link). When the
   * git remote changed, sends a fresh runtime.info so the portal shows the new one.
   */
  async check(): Promise<boolean> {
    if (!(await isFolder(this.folder))) return false;
    if (this.#session.state !== 'open' || this.#reportedRemote === undefined) return true;
    const remote = await gitRemote(this.folder);
    if (remote !== this.#reportedRemote && !this.#stopping) {
      this.#options.out(`git remote is now ${remote ?? '(none)'}; re-registering`);
      await this.#sendInfo();
    }
    return true;
  }

  /** Cancels running commands, closes the link (4503 unless told), closes the state. Idempotent. */
  stop(code: number = CLOSE_CODES.goingAway, reason = 'runtime shutting down'): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.race([this.#host.cancelAll(), delay(STOP_GRACE_MS)]);
      await this.#dialer.stop(code, reason);
      await this.#agentEndpoint?.close();
      await this.#models.close();
      await this.#state.close();
    })();
    return this.#stopping;
  }

  async #sendInfo(): Promise<void> {
    const info = await this.#host.sendInfo();
    if (info) this.#reportedRemote = info.gitRemote;
  }

  #stateChanged(state: LinkState): void {
    if (this.#stopping) return;
    switch (state) {
      case 'connecting':
      case 'resuming':
        // Once per outage, not once per attempt.
        if (!this.#announcedDial) this.#options.out(state === 'connecting' ? 'connecting…' : 'reconnecting…');
        this.#announcedDial = true;
        return;
      case 'open':
        this.#announcedDial = false;
        this.#problem = '';
        this.#options.out('online');
        // After every welcome: the BFF learns (again) what this runtime is.
        void this.#sendInfo();
        return;
      case 'offline':
        return;
    }
  }

  #shouldRetry(error: unknown): boolean {
    this.#problem = describeFailure(error);
    const code = error instanceof LinkHandshakeError || error instanceof LinkClosedError ? error.code : undefined;
    const exit = code === undefined ? undefined : this.#fatal(code);
    if (!exit) return true;
    this.#options.onFatal(exit);
    return false;
  }

  #fatal(code: number): ConnectExit | undefined {
    switch (code) {
      case CLOSE_CODES.unauthorized:
        return {
          code: EXIT_CODES.unauthorized,
          message:
            'the server refused the API token (4401): it is wrong, expired or revoked. ' +
            'Create a new one in the portal under Account → API tokens and pass it with REMOTE_CHAT_TOKEN or --token.',
        };
      case CLOSE_CODES.forbidden:
        return {
          code: EXIT_CODES.forbidden,
          message:
            `the server says runtime ${this.runtimeId} belongs to another account (4403). If this folder was copied ` +
            `from someone else, delete ${path.join(this.folder, FOLDER_DATA_DIR, RUNTIME_IDS_FILE_NAME)} and connect again ` +
            'to register it as a new runtime.',
        };
      case CLOSE_CODES.protocolMismatch:
        return {
          code: EXIT_CODES.protocol,
          message:
            'the server speaks another version of the runtime protocol (4406); update remote-chat-runtime to match it.',
        };
      default:
        return undefined;
    }
  }
}

/** A failed attempt or a closed link, for a person, in words: "connect ECONNREFUSED 127.0.0.1:8787", "the link closed: runtime shutting down". */
function describeFailure(error: unknown): string {
  if (error instanceof LinkClosedError) return `the link closed: ${closeInWords(error.code, error.reason)}`;
  if (error instanceof LinkHandshakeError)
    return `the server refused the link: ${closeInWords(error.code, error.reason)}`;
  return error instanceof Error ? error.message : String(error);
}

/** "0.3 s" below a second, whole seconds above. */
export function formatDelay(ms: number): string {
  return ms < 1_000 ? `${(Math.max(ms, 100) / 1_000).toFixed(1)} s` : `${Math.round(ms / 1_000)} s`;
}

async function isFolder(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
