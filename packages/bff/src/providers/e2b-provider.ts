import { GIT_TOKEN_ENV, GIT_TOKEN_HELPER_ARGS } from '@remote-chat/protocol';
import { readFile } from 'node:fs/promises';
import {
  AuthenticationError,
  CommandExitError,
  type ConnectionOpts,
  NotFoundError,
  RateLimitError,
  Sandbox,
  SandboxError,
  SandboxNotFoundError,
  ServiceBusyError,
} from 'e2b';
import type { Logger } from 'pino';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { describeSettings, sleep } from './local-runtime.js';
import type {
  CloneSource,
  Provider,
  ProviderContext,
  ProviderDefinition,
  ProviderState,
  RuntimeEndpoint,
  RuntimeSettings,
  StartContext,
  StartedRuntime,
  StepContext,
  StepOutcome,
} from './provider.js';

/**
 * The `e2b` provider's settings: the SDK's own variables, and the template sandboxes start from.
 * (The environment's values are strings; none of these needs coercing.)
 */
export const E2bSettingsSchema = z.object({
  /** The team's API key (`E2B_API_KEY`). */
  apiKey: z.string().min(1, 'an E2B API key is required'),
  /** The control API. @default `https://api.${domain}` (the SDK's) */
  apiUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The sandboxes' domain. @default 'e2b.app' (the SDK's) */
  domain: z.string().min(1).max(253).optional(),
  /** Where the SDK reaches a sandbox's agent (envd); for a self-hosted or local E2B. @default `https://sandbox.${domain}` */
  sandboxUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The template every sandbox starts from; it needs Node.js 20 or later and git. @default 'base' */
  template: z.string().min(1).max(200).default('base'),
});
export type E2bSettings = z.infer<typeof E2bSettingsSchema>;

export interface E2bProviderOptions extends E2bSettings {
  /**
   * The BFF's idle window. Each sandbox's own E2B timeout is kept a little above it (at most an
   * hour, E2B's limit on its Hobby plan) and renewed while the BFF supervises the sandbox, so a
   * sandbox the BFF lost track of pauses by itself soon after the BFF would have paused it.
   * @default 3_600_000
   */
  idleTimeoutMs?: number;
  /** How long `start` waits for the runtime to listen. @default 30_000 */
  startTimeoutMs?: number;
  /** Where keep-alive failures go (nothing else is logged here). */
  logger?: Logger;
}

/** Where things live inside a sandbox (the template's user is `user`). */
const HOME = '/home/user';
const WORKSPACE = `${HOME}/workspace`;
const ROOT = `${HOME}/.remote-chat`;
const BUNDLE = `${ROOT}/remote-chat-runtime.js`;
const SETTINGS = `${ROOT}/settings.json`;
const STATE_DIR = `${ROOT}/state`;
const RUNTIME_LOG = `${ROOT}/runtime.log`;

/** The metadata key naming our runtime on each sandbox (seen in E2B's dashboard and `Sandbox.list`). */
const RUNTIME_ID_METADATA = 'remoteChatRuntimeId';
/** E2B caps a sandbox's timeout at an hour on its Hobby plan; renewal keeps a busy one alive past it. */
const MAX_SANDBOX_TIMEOUT_MS = 3_600_000;
/** Control-API calls that failed on the network (or a 5xx) are tried this many times in all. */
const ATTEMPTS = 3;
/** The runtime's `/healthz` must answer within this. */
const HEALTH_TIMEOUT_MS = 5000;

/** What the provider keeps about a runtime (the BFF keeps it in the store). */
const StateSchema = z.object({
  sandboxId: z.string().min(1).max(200),
  runtimeId: z.string().min(1).max(64),
  /** The port the runtime listens on inside the sandbox, once started. */
  port: z.number().int().min(1).max(65535).optional(),
});
type State = z.infer<typeof StateSchema>;

/** The runtime's one stdout line once it listens. */
const ListeningLineSchema = z.object({ listening: z.number().int().min(1).max(65535), pid: z.number().int() });
const HealthSchema = z.object({ ok: z.literal(true), runtimeId: z.string() });

/** A string as one word of a POSIX shell command line. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A network failure or a server-side one: worth trying again. */
function isTransient(error: unknown): boolean {
  if (error instanceof ServiceBusyError) return true;
  if (error instanceof SandboxError && !(error instanceof RateLimitError)) {
    const status = (error as SandboxError & { statusCode?: number }).statusCode;
    return status !== undefined && status >= 500 && status !== 501;
  }
  // undici's `fetch failed` (refused, reset, DNS) and timeouts of the request itself.
  return error instanceof TypeError || (error instanceof Error && error.name === 'TimeoutError');
}

function isGone(error: unknown): boolean {
  return (
    error instanceof SandboxNotFoundError ||
    error instanceof NotFoundError ||
    (error instanceof SandboxError && (error as SandboxError & { statusCode?: number }).statusCode === 404)
  );
}

/**
 * Runtimes in E2B sandboxes (https://e2b.dev), through the official SDK: one sandbox per runtime,
 * from a configurable template, with the one-file runtime copied in and started in the
 * background, listening on a port of the sandbox that the BFF dials through the sandbox's host
 * URL (`sandbox.getHost(port)`). The sandbox id is the provider state, so a restarted BFF
 * re-attaches. `pause` (and `stop`, which releases compute the same way) is E2B's pause, which
 * keeps files and processes; `resume` connects, which resumes it; `destroy` kills it.
 *
 * The link URL is `wss://` unless the configured API URL is `http://` (a local or self-hosted
 * E2B without TLS), then `ws://`: sandbox hosts are served the way the API is.
 */
export class E2bProvider implements Provider {
  readonly id = 'e2b';
  readonly label = 'E2B sandbox';
  readonly kind = 'sandbox' as const;
  readonly description = 'A fresh E2B cloud sandbox per runtime; paused when idle, with its files kept.';
  readonly audience = 'all' as const;
  /** E2B's pause snapshots memory: the runtime and whatever it ran go on after a resume. */
  readonly pauseKeepsProcesses = true;

  /** Each sandbox's own E2B timeout. */
  readonly sandboxTimeoutMs: number;
  readonly #connection: ConnectionOpts;
  readonly #secure: boolean;
  /** Sandboxes whose timeout this BFF renews, by id. */
  readonly #leases = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: E2bProviderOptions) {
    const idle = options.idleTimeoutMs ?? 3_600_000;
    this.sandboxTimeoutMs = Math.min(MAX_SANDBOX_TIMEOUT_MS, idle + Math.max(60_000, Math.round(idle / 20)));
    this.#connection = {
      apiKey: options.apiKey,
      ...(options.apiUrl !== undefined && { apiUrl: options.apiUrl }),
      ...(options.domain !== undefined && { domain: options.domain }),
      ...(options.sandboxUrl !== undefined && { sandboxUrl: options.sandboxUrl }),
    };
    this.#secure = !options.apiUrl?.startsWith('http://');
  }

  async create(context: StepContext): Promise<{ state: State; detail: string }> {
    const { template } = this.options;
    const sandbox = await this.#control('create a sandbox', async (attempt) => {
      // A create whose answer was lost may have made the sandbox: take that one, not a second.
      const earlier = attempt > 1 ? await this.#sandboxOf(context.runtimeId) : undefined;
      if (earlier) return Sandbox.connect(earlier, { ...this.#connection, timeoutMs: this.sandboxTimeoutMs });
      return Sandbox.create(template, {
        ...this.#connection,
        metadata: { [RUNTIME_ID_METADATA]: context.runtimeId },
        timeoutMs: this.sandboxTimeoutMs,
        // Left alone (the BFF gone), it pauses with its files rather than being killed.
        lifecycle: { onTimeout: 'pause', autoResume: false },
      });
    });
    try {
      if (context.signal.aborted) throw new Error('cancelled');
      await sandbox.commands.run(`mkdir -p ${WORKSPACE} ${STATE_DIR} && chmod 700 ${ROOT}`);
    } catch (error) {
      await sandbox.kill().catch(() => undefined);
      throw error;
    }
    this.#lease(sandbox.sandboxId);
    return {
      state: { sandboxId: sandbox.sandboxId, runtimeId: context.runtimeId },
      detail: `sandbox ${sandbox.sandboxId} from template ${template}`,
    };
  }

  async clone(context: StepContext, raw: ProviderState, source: CloneSource | null): Promise<StepOutcome> {
    const sandbox = await this.#connect(StateSchema.parse(raw));
    if (!source) {
      await this.#run(sandbox, `git init --quiet --initial-branch main ${WORKSPACE}`, 'git init');
      return { skipped: 'No repository selected: the agent starts in an empty git repository.' };
    }
    const branch = source.branch ? ` --branch ${quote(source.branch)}` : '';
    // The user's token (a private repository) only in this command's environment, read by an
    // inline credential helper: not in the command line, a file or the workspace's git config.
    const helper = GIT_TOKEN_HELPER_ARGS.map(quote).join(' ');
    await this.#run(
      sandbox,
      `git ${helper} clone --quiet --depth 50${branch} -- ${quote(source.url)} ${WORKSPACE}`,
      'git clone',
      { GIT_TERMINAL_PROMPT: '0', ...(source.token && { [GIT_TOKEN_ENV]: source.token }) },
      context.signal,
    );
    return { detail: `${source.repo}${source.branch ? `@${source.branch}` : ''}` };
  }

  async install(_context: StepContext, raw: ProviderState, runtimeFile: string): Promise<StepOutcome> {
    const sandbox = await this.#connect(StateSchema.parse(raw));
    const { template } = this.options;
    const version = await sandbox.commands.run('node --version').then(
      (result) => result.stdout.trim(),
      (error: unknown) => {
        throw new Error(
          `The E2B template "${template}" has no usable Node.js (${error instanceof CommandExitError ? `exit code ${error.exitCode}` : errorMessage(error)}); ` +
            'the runtime needs Node.js 20 or later: set REMOTE_CHAT_E2B_TEMPLATE to a template with it.',
        );
      },
    );
    const major = Number(/^v(\d+)\./.exec(version)?.[1]);
    if (!(major >= 20)) {
      throw new Error(
        `The E2B template "${template}" has Node.js ${version || '(unknown version)'}; the runtime needs Node.js 20 or later: ` +
          'set REMOTE_CHAT_E2B_TEMPLATE to a template with it.',
      );
    }
    const bundle = await readFile(runtimeFile);
    await sandbox.files.write(BUNDLE, new Blob([bundle]));
    return { detail: `remote-chat-runtime on Node ${version} in the sandbox` };
  }

  async writeSettings(_context: StepContext, raw: ProviderState, settings: RuntimeSettings): Promise<StepOutcome> {
    const sandbox = await this.#connect(StateSchema.parse(raw));
    await sandbox.files.write(SETTINGS, JSON.stringify(settings, null, 2));
    await this.#run(sandbox, `chmod 600 ${SETTINGS}`, 'chmod');
    return { detail: describeSettings(settings) };
  }

  async start(context: StartContext, raw: ProviderState): Promise<StartedRuntime> {
    const state = StateSchema.parse(raw);
    const sandbox = await this.#connect(state);
    return this.#startRuntime(sandbox, state, context);
  }

  async probe(raw: ProviderState): Promise<RuntimeEndpoint | null> {
    const parsed = StateSchema.safeParse(raw);
    if (!parsed.success || parsed.data.port === undefined) return null;
    const { sandboxId, port, runtimeId } = parsed.data;
    const info = await this.#control('read the sandbox', () => Sandbox.getInfo(sandboxId, this.#connection)).catch(
      (error: unknown) => {
        if (isGone(error)) return null;
        throw error;
      },
    );
    // A paused sandbox is not running: the BFF resumes it (by `start` or `resume`), not a probe.
    if (info?.state !== 'running') return null;
    // Connecting to a running sandbox extends its timeout: a re-attach counts as activity.
    const sandbox = await this.#connect(parsed.data);
    if (!(await this.#answers(sandbox, port, runtimeId))) return null;
    this.#lease(sandboxId);
    return this.#endpoint(sandbox, port);
  }

  async pause(raw: ProviderState): Promise<ProviderState> {
    const state = StateSchema.parse(raw);
    this.#release(state.sandboxId);
    try {
      // False when it was paused already: the same outcome.
      await this.#control('pause the sandbox', () => Sandbox.pause(state.sandboxId, this.#connection));
    } catch (error) {
      if (isGone(error)) throw new Error(this.#goneMessage(state.sandboxId));
      throw error;
    }
    return state;
  }

  async resume(context: StartContext, raw: ProviderState): Promise<StartedRuntime> {
    const state = StateSchema.parse(raw);
    // Connecting resumes a paused sandbox, memory and processes included.
    const sandbox = await this.#connect(state);
    if (state.port !== undefined) {
      // Its network comes back a moment after the API answers.
      for (let attempt = 0; attempt < 10; attempt++) {
        if (await this.#answers(sandbox, state.port, state.runtimeId)) {
          this.#lease(state.sandboxId);
          return {
            endpoint: this.#endpoint(sandbox, state.port),
            state,
            detail: `sandbox ${state.sandboxId} resumed; the runtime kept running (port ${state.port})`,
          };
        }
        await sleep(200);
      }
    }
    const started = await this.#startRuntime(sandbox, state, context);
    return { ...started, detail: `sandbox ${state.sandboxId} resumed; the runtime started again: ${started.detail}` };
  }

  /** For E2B, releasing compute with the files kept is pausing (processes are kept too). */
  async stop(raw: ProviderState): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    this.#release(state.data.sandboxId);
    try {
      await this.#control('pause the sandbox', () => Sandbox.pause(state.data.sandboxId, this.#connection));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  async destroy(raw: ProviderState): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    this.#release(state.data.sandboxId);
    // False when it is gone already: deleting twice is harmless.
    await this.#control('kill the sandbox', () => Sandbox.kill(state.data.sandboxId, this.#connection));
  }

  /**
   * Starts the runtime in the background (any earlier one of this sandbox stopped first) and waits
   * for its listening line on stdout; its stderr goes to a log file in the sandbox.
   */
  async #startRuntime(sandbox: Sandbox, state: State, context: StartContext): Promise<StartedRuntime> {
    // Started before (it has a port): that runtime may still hold the state folder.
    if (state.port !== undefined) await this.#stopRuntime(sandbox);
    let listening: (port: number) => void = () => {};
    const listened = new Promise<number>((resolve) => (listening = resolve));
    let stdout = '';
    const handle = await sandbox.commands.run(
      `exec node ${BUNDLE} serve --workspace ${WORKSPACE} --state-dir ${STATE_DIR} --settings ${SETTINGS} ` +
        `--host 0.0.0.0 --port 0 2>>${RUNTIME_LOG}`,
      {
        background: true,
        cwd: WORKSPACE,
        // The credential in its environment, never in its command line.
        envs: { REMOTE_CHAT_RUNTIME_ID: context.runtimeId, REMOTE_CHAT_RUNTIME_TOKEN: context.token },
        // It runs until stopped: no deadline on the command.
        timeoutMs: 0,
        onStdout: (chunk) => {
          stdout = (stdout + chunk).slice(-4096);
          for (const line of stdout.split('\n')) {
            const parsed = ListeningLineSchema.safeParse(safeJson(line));
            if (parsed.success) listening(parsed.data.listening);
          }
        },
      },
    );
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    let onAbort = () => {};
    try {
      const outcome = await Promise.race([
        listened.then((port) => ({ port })),
        handle.wait().then(
          (result) => ({ exited: `exit code ${result.exitCode}` }),
          (error: unknown) => ({
            exited: error instanceof CommandExitError ? `exit code ${error.exitCode}` : errorMessage(error),
          }),
        ),
        new Promise<{ exited: string }>((resolve) => {
          timer = setTimeout(() => resolve({ exited: 'did not start listening in time' }), timeoutMs);
          onAbort = () => resolve({ exited: 'cancelled' });
          context.signal.addEventListener('abort', onAbort);
        }),
      ]);
      if ('exited' in outcome) {
        await handle.kill().catch(() => false);
        if (outcome.exited === 'cancelled') throw new Error('cancelled');
        throw new Error(`The runtime in the sandbox ${outcome.exited}: ${await this.#logTail(sandbox)}`);
      }
      // It keeps running in the sandbox; the BFF just stops following its output.
      await handle.disconnect();
      this.#lease(state.sandboxId);
      const port = outcome.port;
      return {
        endpoint: this.#endpoint(sandbox, port),
        state: { ...state, port } satisfies State,
        detail: `sandbox ${state.sandboxId}, port ${port}`,
      };
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Stops what an earlier start left running, by the pid in its state folder's lock: SIGTERM (it
   * flushes its outbox), SIGKILL after 5 s; the lock is free once it has exited.
   */
  async #stopRuntime(sandbox: Sandbox): Promise<void> {
    const gone = (tries: number) =>
      `for i in $(seq ${tries}); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done`;
    await this.#run(
      sandbox,
      [
        `pid=$(cat ${STATE_DIR}/lock 2>/dev/null) || exit 0`,
        'kill -TERM "$pid" 2>/dev/null || exit 0',
        gone(50),
        'kill -KILL "$pid" 2>/dev/null',
        gone(20),
        'echo "the earlier runtime (pid $pid) does not stop" >&2; exit 1',
      ].join('\n'),
      'stopping the earlier runtime',
    );
  }

  /** True when the runtime in the sandbox answers `/healthz` as this runtime. */
  async #answers(sandbox: Sandbox, port: number, runtimeId: string): Promise<boolean> {
    try {
      const response = await fetch(`${this.#secure ? 'https' : 'http'}://${sandbox.getHost(port)}/healthz`, {
        signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      });
      if (!response.ok) return false;
      const health = HealthSchema.safeParse(await response.json());
      return health.success && health.data.runtimeId === runtimeId;
    } catch {
      return false;
    }
  }

  #endpoint(sandbox: Sandbox, port: number): RuntimeEndpoint {
    return { linkUrl: `${this.#secure ? 'wss' : 'ws'}://${sandbox.getHost(port)}/link` };
  }

  /** Connects to the sandbox (resuming it when paused, and extending its timeout). */
  async #connect(state: State): Promise<Sandbox> {
    try {
      return await this.#control('connect to the sandbox', () =>
        Sandbox.connect(state.sandboxId, { ...this.#connection, timeoutMs: this.sandboxTimeoutMs }),
      );
    } catch (error) {
      if (isGone(error)) throw new Error(this.#goneMessage(state.sandboxId));
      throw error;
    }
  }

  /** Runs a command to completion; a non-zero exit throws with its output. */
  async #run(
    sandbox: Sandbox,
    command: string,
    what: string,
    envs: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await sandbox.commands.run(command, { envs, timeoutMs: 15 * 60_000, ...(signal && { signal }) });
    } catch (error) {
      if (!(error instanceof CommandExitError)) throw error;
      const output = `${error.stderr}${error.stdout}`.trim() || '(no output)';
      throw new Error(`${what} failed (exit code ${error.exitCode}): ${output}`);
    }
  }

  /**
   * One control-API call, tried again with backoff after a network failure or a 5xx; its errors in
   * words a user can act on. (The SDK itself retries a 429 that says when to.)
   */
  async #control<T>(what: string, call: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(attempt);
      } catch (error) {
        if (isTransient(error) && attempt < ATTEMPTS) {
          await sleep(500 * 3 ** (attempt - 1) * (0.75 + Math.random() / 2));
          continue;
        }
        throw this.#explain(what, error, attempt);
      }
    }
  }

  #explain(what: string, error: unknown, attempts: number): unknown {
    if (error instanceof AuthenticationError) {
      return new Error(
        `E2B did not accept the API key (E2B_API_KEY) when asked to ${what}: check it at https://e2b.dev/dashboard?tab=keys.`,
      );
    }
    if (error instanceof RateLimitError) {
      return new Error(
        `E2B refused to ${what}: the team's sandbox quota or rate limit is reached (${error.message}). ` +
          'Delete runtimes you no longer need, or try again later.',
      );
    }
    if (what === 'create a sandbox' && isGone(error)) {
      return new Error(
        `E2B has no template "${this.options.template}" (REMOTE_CHAT_E2B_TEMPLATE): ${errorMessage(error)}. ` +
          'Use "base" or a template of your team with Node.js 20 or later and git.',
      );
    }
    if (isGone(error)) return error;
    if (isTransient(error)) {
      return new Error(
        `Could not ${what}: E2B did not answer after ${attempts} attempts (${errorMessage(error)}` +
          `${error instanceof Error && error.cause ? `: ${errorMessage(error.cause)}` : ''}).`,
      );
    }
    return error;
  }

  /** The id of the sandbox made for `runtimeId`, if there is one. */
  async #sandboxOf(runtimeId: string): Promise<string | undefined> {
    const listed = await Sandbox.list({
      ...this.#connection,
      query: { metadata: { [RUNTIME_ID_METADATA]: runtimeId } },
    }).nextItems();
    return listed.find((each) => each.metadata[RUNTIME_ID_METADATA] === runtimeId)?.sandboxId;
  }

  #goneMessage(sandboxId: string): string {
    return `The E2B sandbox ${sandboxId} is gone (killed, or its paused snapshot expired); its files went with it.`;
  }

  /** The last lines the runtime wrote to its log in the sandbox, for a failed start's detail. */
  async #logTail(sandbox: Sandbox): Promise<string> {
    try {
      const text = await sandbox.files.read(RUNTIME_LOG);
      return text.trim().split('\n').slice(-10).join('\n') || '(no output)';
    } catch {
      return '(no output)';
    }
  }

  /** Renews the sandbox's own timeout while this BFF supervises it (a third of the way through). */
  #lease(sandboxId: string): void {
    this.#release(sandboxId);
    const renew = setInterval(() => {
      Sandbox.setTimeout(sandboxId, this.sandboxTimeoutMs, this.#connection).catch((error: unknown) => {
        if (isGone(error)) this.#release(sandboxId);
        else
          this.options.logger?.warn({ sandboxId, err: errorMessage(error) }, 'could not renew an E2B sandbox timeout');
      });
    }, this.sandboxTimeoutMs / 3);
    renew.unref();
    this.#leases.set(sandboxId, renew);
  }

  #release(sandboxId: string): void {
    clearInterval(this.#leases.get(sandboxId));
    this.#leases.delete(sandboxId);
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The `e2b` provider, switched on by `E2B_API_KEY` (or `providers.e2b` in the config file). */
export const E2B_PROVIDER: ProviderDefinition<E2bSettings> = {
  id: 'e2b',
  settings: E2bSettingsSchema,
  env: {
    apiKey: 'E2B_API_KEY',
    apiUrl: 'E2B_API_URL',
    domain: 'E2B_DOMAIN',
    sandboxUrl: 'E2B_SANDBOX_URL',
    template: 'REMOTE_CHAT_E2B_TEMPLATE',
  },
  make: (settings: E2bSettings, context: ProviderContext) =>
    new E2bProvider({ ...settings, logger: context.logger, idleTimeoutMs: context.idleTimeoutMs }),
};
