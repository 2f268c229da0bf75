import { GIT_TOKEN_ENV, GIT_TOKEN_HELPER_ARGS } from '@remote-chat/protocol';
import { readFile } from 'node:fs/promises';
import type { Daytona, Sandbox } from '@daytonaio/sdk';
import { z } from 'zod';
import { describeSettings, sleep } from './local-runtime.js';
import type {
  CloneSource,
  Provider,
  ProviderDefinition,
  ProviderState,
  RuntimeEndpoint,
  RuntimeSettings,
  StartContext,
  StartedRuntime,
  StepContext,
  StepOutcome,
} from './provider.js';

/** The `daytona` provider's settings: the config file's `providers.daytona`, the environment over it. */
export const DaytonaSettingsSchema = z.object({
  /** The organisation's API key (`DAYTONA_API_KEY`). */
  apiKey: z.string().min(1),
  /** The API's URL (`DAYTONA_API_URL`). @default 'https://app.daytona.io/api', the SDK's */
  apiUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The region sandboxes run in (`DAYTONA_TARGET`). @default the organisation's default region */
  target: z.string().min(1).max(100).optional(),
  /** The snapshot sandboxes are made from (`REMOTE_CHAT_DAYTONA_SNAPSHOT`); it needs Node 20 or later and git. @default Daytona's default snapshot */
  snapshot: z.string().min(1).max(200).optional(),
});
export type DaytonaSettings = z.infer<typeof DaytonaSettingsSchema>;

export interface DaytonaProviderOptions extends DaytonaSettings {
  /** The BFF's idle window: Daytona's own auto-stop is set well above it, as a backstop. @default 3_600_000 */
  idleTimeoutMs?: number;
  /** How long `start` waits for the runtime to listen in its sandbox. @default 60_000 */
  startTimeoutMs?: number;
  /** The first retry's delay when Daytona answers that it is busy (429, 503); it doubles, three retries at most. @default 500 */
  retryDelayMs?: number;
}

/** The label every sandbox of ours carries, with the runtime's id: they can be found in Daytona's dashboard. */
export const RUNTIME_LABEL = 'remote-chat-runtime';
/** The port the runtime listens on inside its sandbox, reached through Daytona's preview URL of that port. */
export const RUNTIME_PORT = 7420;
/** The session the runtime runs in (a new start deletes it first, which ends a runtime left running). */
const SESSION = 'remote-chat-runtime';
const RETRIES = 3;

/** What the provider keeps about a runtime (the BFF keeps it in the store). */
const StateSchema = z.object({
  sandboxId: z.string().min(1),
  /** The sandbox user's home folder, under which the runtime's folder is. */
  home: z.string().startsWith('/'),
});
type State = z.infer<typeof StateSchema>;

type Sdk = typeof import('@daytonaio/sdk');

/** The runtime's files in its sandbox, all under `~/remote-chat/`. */
function sandboxFolder(home: string) {
  const dir = `${home.replace(/\/+$/, '')}/remote-chat`;
  return {
    dir,
    workspace: `${dir}/workspace`,
    stateDir: `${dir}/state`,
    bundle: `${dir}/remote-chat-runtime.js`,
    settings: `${dir}/settings.json`,
    /** The link token on its way to the runtime: the start command reads it into the environment and removes it. */
    token: `${dir}/state/link-token`,
    log: `${dir}/state/runtime.log`,
  };
}

/** `value` as one word for `sh`, whatever it holds. */
function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script that makes way for a new runtime. After a sandbox stop nothing of the last runtime
 * runs, but its state lock names its pid, which the restarted sandbox may have given to another
 * process. In a running sandbox, the last runtime may outlive its session (Daytona's session is a
 * shell, and its children can outlive it): it is stopped by the pid in its lock, if that is still
 * our runtime, gently first so it flushes its outbox. Either way the lock and runtime.json go.
 */
function clearLastRuntime(folder: ReturnType<typeof sandboxFolder>, wasStopped: boolean): string {
  const lock = quote(`${folder.stateDir}/lock`);
  const clear = `rm -f ${lock} ${quote(`${folder.stateDir}/runtime.json`)}`;
  if (wasStopped) return clear;
  return [
    `pid="$(cat ${lock} 2>/dev/null)"`,
    `if [ -n "$pid" ] && tr '\\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -F -- ${quote(folder.bundle)}; then`,
    '  kill "$pid"; i=0',
    '  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done',
    '  kill -9 "$pid" 2>/dev/null',
    'fi',
    clear,
  ].join('\n');
}

/**
 * `script` as a command line that Daytona's toolbox runs as `sh` would: the toolbox splits a
 * command line into words itself, without a shell (no `&&`, no `$`, no escapes), so the script
 * goes to `sh` as base64, which means the same to the toolbox, to a session's shell and to `sh -c`.
 */
function shellCommand(script: string): string {
  return `sh -c "echo ${Buffer.from(script).toString('base64')} | base64 -d | sh"`;
}

/**
 * A runtime is a Daytona sandbox (`@daytonaio/sdk`), made from a configurable snapshot and
 * labelled with the runtime's id; the runtime file is uploaded into it and started in a session,
 * listening on {@link RUNTIME_PORT}, and the BFF dials its link through the sandbox's preview URL
 * of that port with the preview token in a header. The BFF's idle window decides when it pauses
 * (Daytona's auto-stop is only a backstop well above it: {@link autoStopMinutes}); pausing is
 * Daytona's stop (files kept, processes not), so resume starts the sandbox and the runtime again. The sandbox id is kept in the store, so a BFF restart
 * finds the sandbox again.
 */
export class DaytonaProvider implements Provider {
  readonly id = 'daytona';
  readonly label = 'Daytona sandbox';
  readonly kind = 'sandbox' as const;
  readonly description = 'A Daytona cloud sandbox per runtime: its own machine, paused when idle with its files kept.';
  /** Daytona's stop keeps the files, not the processes: commands still running end with a pause. */
  readonly pauseKeepsProcesses = false;
  #sdk: Promise<{ sdk: Sdk; client: Daytona }> | undefined;

  constructor(private readonly options: DaytonaProviderOptions) {}

  async create(context: StepContext): Promise<{ state: State; detail: string }> {
    const { client } = await this.#load();
    const { snapshot } = this.options;
    const sandbox = await this.#call(
      context.signal,
      () =>
        client.create({
          ...(snapshot !== undefined && { snapshot }),
          labels: { [RUNTIME_LABEL]: context.runtimeId },
          autoStopInterval: autoStopMinutes(this.options.idleTimeoutMs ?? 3_600_000),
        }),
      { repeatable: false, what: 'create a sandbox' },
    );
    try {
      if (context.signal.aborted) throw new Error('cancelled');
      const home = (await this.#call(context.signal, () => sandbox.getUserHomeDir())) ?? '/home/daytona';
      const folder = sandboxFolder(home);
      await this.#exec(
        context.signal,
        sandbox,
        `mkdir -p ${quote(folder.workspace)} && mkdir -p -m 700 ${quote(folder.stateDir)}`,
        'make the runtime folder',
      );
      const from = sandbox.snapshot ?? snapshot;
      return {
        state: { sandboxId: sandbox.id, home },
        detail: `sandbox ${sandbox.id}${from ? ` from snapshot ${from}` : ''} in ${sandbox.target}`,
      };
    } catch (error) {
      // The state never reaches the store: the sandbox would be left running with nothing to delete it.
      await sandbox.delete().catch(() => undefined);
      throw error;
    }
  }

  async clone(context: StepContext, raw: ProviderState, source: CloneSource | null): Promise<StepOutcome> {
    const { sandbox, folder } = await this.#open(context.signal, raw);
    if (!source) {
      await this.#exec(
        context.signal,
        sandbox,
        `git init --quiet --initial-branch main ${quote(folder.workspace)}`,
        'git init',
      );
      return { skipped: 'No repository selected: the agent starts in an empty git repository.' };
    }
    const branch = source.branch ? ` --branch ${quote(source.branch)}` : '';
    // The user's token (a private repository) only in this command's environment (the toolbox
    // request's `envs`), read by an inline credential helper: never in the command line or a file.
    const helper = GIT_TOKEN_HELPER_ARGS.map(quote).join(' ');
    await this.#exec(
      context.signal,
      sandbox,
      `GIT_TERMINAL_PROMPT=0 git ${helper} clone --quiet --depth 50${branch} -- ${quote(source.url)} ${quote(folder.workspace)}`,
      'git clone',
      { repeatable: false, timeoutSeconds: 600, ...(source.token && { env: { [GIT_TOKEN_ENV]: source.token } }) },
    );
    return { detail: `${source.repo}${source.branch ? `@${source.branch}` : ''}` };
  }

  async install(context: StepContext, raw: ProviderState, runtimeFile: string): Promise<StepOutcome> {
    const { sandbox, folder } = await this.#open(context.signal, raw);
    const found = await this.#call(context.signal, () =>
      sandbox.process.executeCommand(shellCommand('node --version')),
    );
    const version = /^v(\d+)\.\d+\.\d+/.exec(found.result.trim());
    if (found.exitCode !== 0 || !version) {
      throw new Error(
        'No Node.js in the sandbox: the runtime needs Node 20 or later. Use a snapshot that has it (REMOTE_CHAT_DAYTONA_SNAPSHOT).',
      );
    }
    if (Number(version[1]) < 20) {
      throw new Error(
        `Node ${version[0]} in the sandbox; the runtime needs Node 20 or later. Use a snapshot that has it (REMOTE_CHAT_DAYTONA_SNAPSHOT).`,
      );
    }
    const bundle = await readFile(runtimeFile);
    await this.#call(context.signal, () => sandbox.fs.uploadFile(bundle, folder.bundle), {
      what: 'upload the runtime',
    });
    return { detail: `remote-chat-runtime on Node ${version[0]}` };
  }

  async writeSettings(context: StepContext, raw: ProviderState, settings: RuntimeSettings): Promise<StepOutcome> {
    const { sandbox, folder } = await this.#open(context.signal, raw);
    await this.#call(
      context.signal,
      () => sandbox.fs.uploadFile(Buffer.from(JSON.stringify(settings, null, 2)), folder.settings),
      { what: 'upload the settings file' },
    );
    await this.#exec(context.signal, sandbox, `chmod 600 ${quote(folder.settings)}`, 'chmod the settings file');
    return { detail: describeSettings(settings) };
  }

  async start(context: StartContext, raw: ProviderState): Promise<StartedRuntime> {
    const state = this.#state(raw);
    const { sandbox, folder } = await this.#open(context.signal, state);
    const wasStopped = sandbox.state !== 'started';
    if (wasStopped) {
      await this.#call(context.signal, () => sandbox.start(), { what: `start sandbox ${sandbox.id}` });
    }
    const { process: processes, fs } = sandbox;
    await processes.deleteSession(SESSION).catch(() => undefined);
    await this.#exec(context.signal, sandbox, clearLastRuntime(folder, wasStopped), 'end the last runtime');
    // The token goes through a file in the private state folder that the start command reads into
    // the runtime's environment and removes: never in a command line, never left behind.
    await this.#call(context.signal, () => fs.uploadFile(Buffer.from(context.token), folder.token), {
      what: 'hand the link token over',
    });
    await this.#call(context.signal, () => processes.createSession(SESSION), { what: 'create the runtime session' });
    const script = [
      `cd ${quote(folder.workspace)}`,
      `token="$(cat ${quote(folder.token)})"`,
      `rm -f ${quote(folder.token)}`,
      `REMOTE_CHAT_RUNTIME_ID=${quote(context.runtimeId)} REMOTE_CHAT_RUNTIME_TOKEN="$token" exec node ${quote(folder.bundle)} serve` +
        ` --workspace ${quote(folder.workspace)} --state-dir ${quote(folder.stateDir)} --settings ${quote(folder.settings)}` +
        ` --host 0.0.0.0 --port ${RUNTIME_PORT} >> ${quote(folder.log)} 2>&1`,
    ].join(' && ');
    const command = shellCommand(script);
    const { cmdId } = await this.#call(
      context.signal,
      () => processes.executeSessionCommand(SESSION, { command, runAsync: true }),
      { repeatable: false, what: 'start the runtime' },
    );
    const running = await this.#waitUntilListening(context, sandbox, folder, String(cmdId));
    const endpoint = await this.#endpoint(context.signal, sandbox);
    return {
      endpoint,
      state,
      detail: `sandbox ${sandbox.id}, pid ${running.pid}, port ${RUNTIME_PORT}`,
    };
  }

  async probe(raw: ProviderState): Promise<RuntimeEndpoint | null> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return null;
    const sandbox = await this.#find(undefined, state.data.sandboxId);
    if (sandbox?.state !== 'started') return null;
    const endpoint = await this.#endpoint(undefined, sandbox);
    const health = new URL(endpoint.linkUrl.replace(/^ws/, 'http'));
    health.pathname = '/healthz';
    try {
      const answer = await fetch(health, { headers: endpoint.headers ?? {}, signal: AbortSignal.timeout(5000) });
      await answer.body?.cancel();
      return answer.ok ? endpoint : null;
    } catch {
      return null;
    }
  }

  /** Stops the sandbox (Daytona keeps its files; its processes end). Quiet when it is gone or stopped. */
  async stop(raw: ProviderState): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    const sandbox = await this.#find(undefined, state.data.sandboxId);
    if (!sandbox || sandbox.state === 'stopped' || sandbox.state === 'archived') return;
    await this.#call(undefined, () => sandbox.stop(), { what: `stop sandbox ${sandbox.id}` });
  }

  async destroy(raw: ProviderState): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    const sandbox = await this.#find(undefined, state.data.sandboxId);
    if (!sandbox) return;
    const { sdk } = await this.#load();
    try {
      await this.#call(undefined, () => sandbox.delete(), { what: `delete sandbox ${sandbox.id}` });
    } catch (error) {
      if (!(error instanceof DaytonaStepError && error.cause instanceof sdk.DaytonaNotFoundError)) throw error;
    }
  }

  /** Pause is Daytona's stop: the files stay, the runtime's process does not (resume starts it again). */
  async pause(raw: ProviderState): Promise<ProviderState> {
    await this.stop(raw);
    return raw;
  }

  /** Starts the sandbox again and a new runtime process in it. */
  resume(context: StartContext, raw: ProviderState): Promise<StartedRuntime> {
    return this.start(context, raw);
  }

  /** Loads the SDK when first needed: it is large, and a BFF without Daytona configured never pays for it. */
  #load(): Promise<{ sdk: Sdk; client: Daytona }> {
    this.#sdk ??= import('@daytonaio/sdk').then((sdk) => {
      const { apiKey, apiUrl, target } = this.options;
      return {
        sdk,
        client: new sdk.Daytona({
          apiKey,
          ...(apiUrl !== undefined && { apiUrl }),
          ...(target !== undefined && { target }),
        }),
      };
    });
    return this.#sdk;
  }

  #state(raw: ProviderState): State {
    const state = StateSchema.safeParse(raw);
    if (!state.success)
      throw new Error('This runtime has no Daytona sandbox on record (its state is not a Daytona one).');
    return state.data;
  }

  /** The runtime's sandbox, which must exist, and its folder. */
  async #open(signal: AbortSignal, raw: ProviderState) {
    const state = this.#state(raw);
    const sandbox = await this.#find(signal, state.sandboxId);
    if (!sandbox) {
      throw new Error(
        `The Daytona sandbox ${state.sandboxId} no longer exists (deleted outside Remote Chat, or by Daytona). Delete this runtime and create a new one.`,
      );
    }
    return { sandbox, folder: sandboxFolder(state.home) };
  }

  /** The sandbox by id, or undefined when Daytona has none (or one being destroyed). */
  async #find(signal: AbortSignal | undefined, sandboxId: string): Promise<Sandbox | undefined> {
    const { sdk, client } = await this.#load();
    try {
      const sandbox = await this.#call(signal, () => client.get(sandboxId), { what: `find sandbox ${sandboxId}` });
      return sandbox.state === 'destroyed' || sandbox.state === 'destroying' ? undefined : sandbox;
    } catch (error) {
      if (error instanceof DaytonaStepError && error.cause instanceof sdk.DaytonaNotFoundError) return undefined;
      throw error;
    }
  }

  /** Where the BFF dials the runtime: the preview URL of its port, as a WebSocket URL, with its token. */
  async #endpoint(signal: AbortSignal | undefined, sandbox: Sandbox): Promise<RuntimeEndpoint> {
    const preview = await this.#call(signal, () => sandbox.getPreviewLink(RUNTIME_PORT));
    const url = new URL(preview.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/link`;
    return {
      linkUrl: url.toString(),
      headers: {
        ...(preview.token && { 'x-daytona-preview-token': preview.token }),
        // Daytona shows browsers a warning page before a preview; the link is no browser.
        'x-daytona-skip-preview-warning': 'true',
      },
    };
  }

  /** Waits until the runtime wrote runtime.json; throws with its log's tail when it exits first or takes too long. */
  async #waitUntilListening(
    context: StepContext,
    sandbox: Sandbox,
    folder: ReturnType<typeof sandboxFolder>,
    cmdId: string,
  ): Promise<{ pid: number }> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 60_000);
    for (;;) {
      const file = await this.#call(context.signal, () =>
        sandbox.process.executeCommand(shellCommand(`cat ${quote(`${folder.stateDir}/runtime.json`)} 2>/dev/null`)),
      );
      const running = file.exitCode === 0 ? ListeningSchema.safeParse(parseJson(file.result)) : undefined;
      if (running?.success) return running.data;
      const command = await this.#call(context.signal, () => sandbox.process.getSessionCommand(SESSION, cmdId));
      if (command.exitCode !== undefined && command.exitCode !== null) {
        throw new Error(`the runtime exited (exit code ${command.exitCode}): ${await this.#logTail(sandbox, folder)}`);
      }
      if (context.signal.aborted || Date.now() > deadline) {
        await sandbox.process.deleteSession(SESSION).catch(() => undefined);
        await sandbox.process.executeCommand(shellCommand(`rm -f ${quote(folder.token)}`)).catch(() => undefined);
        if (context.signal.aborted) throw new Error('cancelled');
        throw new Error(`the runtime did not start listening in time: ${await this.#logTail(sandbox, folder)}`);
      }
      await sleep(250);
    }
  }

  async #logTail(sandbox: Sandbox, folder: ReturnType<typeof sandboxFolder>): Promise<string> {
    const tail = await sandbox.process
      .executeCommand(shellCommand(`tail -n 10 ${quote(folder.log)} 2>/dev/null`))
      .catch(() => undefined);
    return tail?.result.trim() || '(no output)';
  }

  /** Runs `script` with `sh` in the sandbox; throws with its output when it exits non-zero. */
  async #exec(
    signal: AbortSignal,
    sandbox: Sandbox,
    script: string,
    what: string,
    options: { repeatable?: boolean; timeoutSeconds?: number; env?: Record<string, string> } = {},
  ): Promise<string> {
    const result = await this.#call(
      signal,
      () => sandbox.process.executeCommand(shellCommand(script), undefined, options.env, options.timeoutSeconds),
      { repeatable: options.repeatable ?? true, what },
    );
    if (result.exitCode !== 0) {
      throw new Error(
        `${what} failed (exit code ${result.exitCode}): ${result.result.trim().slice(-4000) || '(no output)'}`,
      );
    }
    return result.result;
  }

  /**
   * One SDK call, the one place its errors are explained, and where a busy Daytona is waited for:
   * a rate limit or an unavailable API (429, 503: nothing was done) is tried again after 0.5, 1 and
   * 2 s (with jitter), and so are a gateway's 502 and 504 when the call is `repeatable`. Network
   * failures are not retried here: the SDK's transport already retries them, as far as is safe.
   * Every other error, and the last, becomes a {@link DaytonaStepError} with a sentence for the
   * runtime log.
   */
  async #call<T>(
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
    options: { repeatable?: boolean; what?: string } = {},
  ): Promise<T> {
    const { sdk } = await this.#load();
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const retry = attempt < RETRIES && !signal?.aborted && busy(sdk, error, options.repeatable ?? true);
        if (!retry) throw new DaytonaStepError(explain(sdk, error, options.what, this.options), error);
        const delay = (this.options.retryDelayMs ?? 500) * 2 ** attempt;
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }
}

/** An SDK error explained for the runtime log; the SDK's error is its `cause`. */
export class DaytonaStepError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'DaytonaStepError';
  }
}

/**
 * Daytona's auto-stop for our sandboxes, in minutes: the BFF pauses an idle one at its idle window,
 * so Daytona's own stop only comes when the BFF did not (it is gone for good), twice the window
 * and at least half an hour after it, so it never comes first.
 */
export function autoStopMinutes(idleTimeoutMs: number): number {
  const idle = Math.ceil(idleTimeoutMs / 60_000);
  return Math.max(2 * idle, idle + 30);
}

/** What runtime.json holds that `start` needs. */
const ListeningSchema = z.object({ pid: z.number().int(), port: z.number().int() });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether Daytona answered that it is busy, so the same call may succeed a little later. */
function busy(sdk: Sdk, error: unknown, repeatable: boolean): boolean {
  if (!(error instanceof sdk.DaytonaError) || error instanceof sdk.DaytonaConnectionError) return false;
  if (error.statusCode === 429 || error.statusCode === 503) return true;
  return repeatable && (error.statusCode === 502 || error.statusCode === 504);
}

/** A sentence for the runtime log: what Daytona said, and what to do about it. */
function explain(sdk: Sdk, error: unknown, what: string | undefined, settings: DaytonaSettings): string {
  const said = error instanceof Error ? error.message : String(error);
  if (error instanceof sdk.DaytonaAuthenticationError) {
    return `Daytona refused the API key (DAYTONA_API_KEY): ${said}. Check the key in Daytona's dashboard.`;
  }
  if (error instanceof sdk.DaytonaForbiddenError && /quota|limit/i.test(said)) {
    return `Daytona quota exceeded: ${said}. Delete sandboxes you no longer need, or raise the organisation's limits.`;
  }
  if (error instanceof sdk.DaytonaForbiddenError) {
    return `Daytona refused to ${what ?? 'do this'}: ${said}. The API key may lack the permission.`;
  }
  if (error instanceof sdk.DaytonaNotFoundError && /snapshot/i.test(said)) {
    return `Daytona has no snapshot ${settings.snapshot ?? '(the default one)'}: ${said}. Check REMOTE_CHAT_DAYTONA_SNAPSHOT.`;
  }
  if (error instanceof sdk.DaytonaConnectionError) {
    return `Daytona could not be reached at ${settings.apiUrl ?? 'https://app.daytona.io/api'}: ${said}`;
  }
  if (error instanceof sdk.DaytonaRateLimitError)
    return `Daytona is limiting requests (tried ${RETRIES + 1} times): ${said}`;
  return `Daytona could not ${what ?? 'do this'}: ${said}`;
}

/** The `daytona` provider, switched on by `DAYTONA_API_KEY` (or `providers.daytona` in the config file). */
export const daytonaDefinition: ProviderDefinition<DaytonaSettings> = {
  id: 'daytona',
  settings: DaytonaSettingsSchema,
  env: {
    apiKey: 'DAYTONA_API_KEY',
    apiUrl: 'DAYTONA_API_URL',
    target: 'DAYTONA_TARGET',
    snapshot: 'REMOTE_CHAT_DAYTONA_SNAPSHOT',
  },
  make: (settings, { idleTimeoutMs }) => new DaytonaProvider({ ...settings, idleTimeoutMs }),
};
