import './support/localhost-subdomains.mjs';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daytona } from '@daytonaio/sdk';
import { DaytonaProvider, E2bProvider, SshProvider, SshSettingsSchema, type ServerOptions } from '@remote-chat/bff';
import type { ConfigResponse, LogEntry, Runtime, RuntimeStep, Thread, ThreadEvent } from '@remote-chat/protocol';
import { Sandbox } from 'e2b';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { signIn, clientId, readyRuntime, startTestBff } from './support/bff.js';
import { killRuntimesIn, spawnBff } from './support/bff-process.js';
import { startDaytonaStandin } from './support/daytona-standin.js';
import { type E2bStandin, startE2bStandin } from './support/e2b-standin.js';
import { startSshd, type TestSshd } from './support/sshd.js';
import { tempDir } from './support/temp-dir.js';

// The contract every provider keeps, run against each one this machine can run: the local ones,
// ssh against a real sshd, e2b and daytona through their SDKs against our stand-ins, and the
// README's example module. A new provider joins the list with a fixture below and must pass all of it.

const PROVIDERS = ['process', 'bubblewrap', 'ssh', 'e2b', 'daytona', 'folder'] as const;
type ProviderId = (typeof PROVIDERS)[number];

/** What a test needs to offer a provider, and how it sees (or takes away) a runtime's resource. */
interface Prepared {
  /** Options of an in-process BFF that offers it. */
  bff?: Partial<ServerOptions>;
  /** The environment of a BFF process that offers it. */
  env?: Record<string, string>;
  /** True while the runtime's resource (folder, sandbox) exists. */
  holds(dataDir: string, runtime: Runtime): Promise<boolean>;
  /** Takes the runtime's resource away behind the BFF's back, every file of it. */
  lose(dataDir: string, runtime: Runtime): Promise<void>;
}

interface ProviderFixture {
  /** Each test's time limit: a cloud sandbox or a round trip per step takes longer. @default 30 s */
  timeoutMs?: number;
  /** Per test (a fixture may start a stand-in for it). */
  prepare(): Promise<Prepared>;
  /** It can pause (`Provider.pause`): the idle pause and resume are part of its contract. @default false */
  pauses?: boolean;
  /** Its pause keeps running processes (`Provider.pauseKeepsProcesses`), so threads are told nothing. @default false */
  pauseKeepsProcesses?: boolean;
  /** Before its tests (a stand-in or a server they share). */
  start?(): Promise<void>;
  /** After its tests: what they left running. */
  stop?(): Promise<void>;
}

/** Runtime folders (`<root>/runtimes/<id>`) with a process in each. */
const folders = (root: (dataDir: string) => string): Omit<Prepared, 'bff' | 'env'> => ({
  holds: async (dataDir, runtime) => existsSync(join(root(dataDir), 'runtimes', runtime.id)),
  lose: async (dataDir, runtime) => {
    killRuntimesIn(root(dataDir));
    rmSync(join(root(dataDir), 'runtimes', runtime.id), { recursive: true, force: true });
  },
});

/** Sandbox hosts are `*.localhost` names here; a BFF process must resolve them. */
const SUBDOMAINS = `--import=${fileURLToPath(new URL('./support/localhost-subdomains.mjs', import.meta.url))}`;

/** The E2B stand-in and the sshd, started once for their providers' tests. */
let e2b: E2bStandin | undefined;
let sshd: TestSshd | undefined;

/** The sandbox of a runtime, found by the metadata the provider names it with. */
async function e2bSandbox(runtime: Runtime) {
  const sandboxes = await Sandbox.list({ ...e2b!.sdkOptions }).nextItems();
  return sandboxes.find((sandbox) => sandbox.metadata.remoteChatRuntimeId === runtime.id);
}

/** The example module's folders live under FOLDER_PROVIDER_DIR, set before it is imported. */
const folderRoot = join(tmpdir(), `rc-folder-provider-${process.pid}`);
const folderBase = join(folderRoot, 'runtimes');
process.env.FOLDER_PROVIDER_DIR = folderBase;
const example = fileURLToPath(new URL('../examples/provider-module/folder-provider.mjs', import.meta.url));

const local: ProviderFixture = { prepare: async () => folders((dataDir) => dataDir) };

const FIXTURES: Record<ProviderId, ProviderFixture> = {
  process: local,
  bubblewrap: local,
  ssh: {
    // Every step is a round trip to the host, and a loaded machine makes each one slow.
    timeoutMs: 120_000,
    start: async () => {
      sshd = await startSshd();
    },
    stop: async () => {
      // Its runtimes outlive their BFF, as on a real host; a test's must not outlive the test.
      if (sshd) killRuntimesIn(sshd.remoteDir);
      await sshd?.stop();
    },
    prepare: async () => {
      const s = sshd!;
      const settings = {
        host: s.host,
        port: s.port,
        user: s.user,
        key: s.keyFile,
        knownHosts: s.knownHostsFile,
        dir: join(s.remoteDir, 'runtimes'),
      };
      return {
        bff: { providers: [SshProvider.fromSettings(SshSettingsSchema.parse(settings))] },
        env: {
          REMOTE_CHAT_SSH_HOST: s.host,
          REMOTE_CHAT_SSH_PORT: String(s.port),
          REMOTE_CHAT_SSH_USER: s.user,
          REMOTE_CHAT_SSH_KEY: s.keyFile,
          REMOTE_CHAT_SSH_KNOWN_HOSTS: s.knownHostsFile,
          REMOTE_CHAT_SSH_DIR: settings.dir,
        },
        ...folders(() => s.remoteDir),
      };
    },
  },
  e2b: {
    timeoutMs: 60_000,
    pauses: true,
    pauseKeepsProcesses: true,
    start: async () => {
      e2b = await startE2bStandin();
    },
    stop: async () => {
      await e2b?.close();
    },
    prepare: async () => ({
      bff: { providers: [new E2bProvider({ ...e2b!.sdkOptions, template: 'base' })] },
      env: { ...e2b!.env, NODE_OPTIONS: SUBDOMAINS },
      holds: async (_dataDir, runtime) => (await e2bSandbox(runtime)) !== undefined,
      lose: async (_dataDir, runtime) => {
        const sandbox = await e2bSandbox(runtime);
        if (sandbox) await Sandbox.kill(sandbox.sandboxId, e2b!.sdkOptions);
      },
    }),
  },
  daytona: {
    timeoutMs: 60_000,
    pauses: true,
    // Each test its own stand-in, so its sandboxes are that test's runtime's.
    prepare: async () => {
      const standin = await startDaytonaStandin();
      onTestFinished(() => standin.close());
      return {
        bff: { providers: [new DaytonaProvider({ apiKey: standin.apiKey, apiUrl: standin.apiUrl, target: 'us' })] },
        env: { ...standin.env, NODE_OPTIONS: SUBDOMAINS },
        holds: async () => standin.sandboxes().some((sandbox) => sandbox.state !== 'destroyed'),
        lose: async () => {
          const sdk = new Daytona(standin.sdkOptions);
          for (const each of standin.sandboxes()) await (await sdk.get(each.id)).delete();
        },
      };
    },
  },
  folder: {
    stop: async () => killRuntimesIn(folderRoot),
    prepare: async () => {
      const module = (await import(example)) as { default: NonNullable<ServerOptions['providers']>[number] };
      return {
        bff: { configuredProviders: [module.default] },
        env: { REMOTE_CHAT_PROVIDER_MODULES: example, FOLDER_PROVIDER_DIR: folderBase },
        ...folders(() => folderRoot),
      };
    },
  },
};

// The process provider needs no daytona polling socket; the Daytona stand-in has none (the SDK
// reads this in this process and in a BFF process).
process.env.DAYTONA_USE_DEPRECATED_POLLING = 'true';

/** The steps of a runtime's log, in order, as `step:state`. */
const stepsOf = (entries: LogEntry[]) =>
  entries.flatMap((entry) => (entry.kind === 'step' ? [`${entry.step}:${entry.state}`] : []));

/** The step entries that ended (not `started`), each with its duration. */
const endedSteps = (entries: LogEntry[]) =>
  entries.filter(
    (entry): entry is Extract<LogEntry, { kind: 'step' }> => entry.kind === 'step' && entry.state !== 'started',
  );

/** Reads until `check` holds; fails with the last value read after `ms`. */
async function waitFor<T>(read: () => Promise<T>, check: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A BFF run as its own process (so a test can SIGKILL it) with the owner signed in, the `api` of
 * whichever instance runs now, `kill` and `restart` on the same data directory.
 */
async function killableBff(env: Record<string, string> = {}) {
  const flags = ['--data-dir', tempDir(), '--process-provider-for', 'all'];
  let bff = await spawnBff(flags, env);
  const cookie = await signIn(bff.signinLink);
  return {
    dataDir: flags[1]!,
    api: (path: string, body?: unknown) =>
      fetch(`${bff.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }),
    async kill() {
      bff.child.kill('SIGKILL');
      await bff.exited;
    },
    async restart() {
      bff = await spawnBff(flags, env);
    },
  };
}

/** Reads the runtime until it has `status`. */
function runtimeStatus(api: (path: string) => Promise<Response>, id: string, status: Runtime['status']) {
  return waitFor(
    async () => (await (await api(`/api/runtimes/${id}`)).json()) as Runtime,
    (current) => current.status === status,
    30_000,
  );
}

const BRING_UP: RuntimeStep[] = ['create', 'clone', 'install', 'settings', 'start', 'ready'];

describe.each(PROVIDERS)('the %s provider', (provider) => {
  const fixture = FIXTURES[provider];
  beforeAll(async () => {
    await fixture.start?.();
  });
  afterAll(async () => {
    await fixture.stop?.();
  });
  const limit = { timeout: fixture.timeoutMs };

  it('creates a runtime through every step, in order and timed, and a chat runs in it', limit, async () => {
    const prepared = await fixture.prepare();
    const bff = await startTestBff({ processProviderFor: 'all', ...prepared.bff });
    const { runtime, threadId } = await readyRuntime(bff, provider);
    // The client learns whether the idle window pauses its runtimes or stops them.
    const config = (await (await bff.api('/api/config')).json()) as ConfigResponse;
    expect(config.providers.find((p) => p.id === provider)?.pausesWhenIdle).toBe(fixture.pauses ?? false);
    const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    expect(stepsOf(log.entries)).toEqual(
      BRING_UP.flatMap((step) => [`${step}:started`, `${step}:${step === 'clone' ? 'skipped' : 'ok'}`]),
    );
    for (const entry of endedSteps(log.entries)) expect(entry.durationMs, entry.step).toBeGreaterThanOrEqual(0);

    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo contract-$((6 * 7)) && pwd' },
    });
    const events = await waitFor(
      async () =>
        ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }).events,
      (all) => all.some((event) => event.kind === 'tool.result'),
    );
    const output = events.flatMap((event) => (event.kind === 'tool.output' ? [event.data] : [])).join('');
    expect(output).toContain('contract-42');
    expect(events.find((event) => event.kind === 'tool.result')).toMatchObject({ exitCode: 0 });
  });

  it('keeps the runtime running through a BFF SIGKILL and re-attaches to it, not restarting it', limit, async () => {
    const prepared = await fixture.prepare();
    const bff = await killableBff(prepared.env);
    const { api } = bff;
    const runtime = (await (await api('/api/runtimes', { provider })).json()) as Runtime;
    await runtimeStatus(api, runtime.id, 'ready');
    const thread = (await (await api(`/api/runtimes/${runtime.id}/threads`, {})).json()) as Thread;

    await bff.kill();
    await bff.restart();
    await runtimeStatus(api, runtime.id, 'ready');
    const log = (await (await api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    expect(log.entries.some((entry) => entry.kind === 'link' && entry.state === 'resuming')).toBe(true);
    // One start only: the one it was made with.
    expect(stepsOf(log.entries).filter((step) => step === 'start:started')).toHaveLength(1);

    await api(`/api/threads/${thread.id}/messages`, { clientId: clientId(), text: 'echo still-here' });
    const events = await waitFor(
      async () => ((await (await api(`/api/threads/${thread.id}/events`)).json()) as { events: ThreadEvent[] }).events,
      (all) => all.some((event) => event.kind === 'tool.result'),
      30_000,
    );
    expect(events.some((event) => event.kind === 'tool.output' && event.data.includes('still-here'))).toBe(true);
  });

  it(
    'marks a runtime whose resource went away while the BFF was down failed, and says so in its log',
    limit,
    async () => {
      const prepared = await fixture.prepare();
      const bff = await killableBff(prepared.env);
      const { api, dataDir } = bff;
      const runtime = (await (await api('/api/runtimes', { provider })).json()) as Runtime;
      await runtimeStatus(api, runtime.id, 'ready');
      await bff.kill();
      // The host lost it: the process and every file of it.
      await prepared.lose(dataDir, runtime);

      await bff.restart();
      const failed = await runtimeStatus(api, runtime.id, 'failed');
      expect(failed.status).toBe('failed');
      const log = (await (await api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
      expect(log.entries.some((entry) => entry.kind === 'error' && /process is gone/.test(entry.message))).toBe(true);
      expect(stepsOf(log.entries).at(-1)).toBe('start:failed');
      // In words that say the resource is gone, not the first missing file's ENOENT.
      const start = endedSteps(log.entries).at(-1);
      expect(start?.detail).toMatch(/ is gone| no longer exists/);
      expect(start?.detail).not.toMatch(/ENOENT/);
    },
  );

  it('fails at the clone step, in git’s words, when the repository does not exist', limit, async () => {
    const gitRoot = tempDir();
    const prepared = await fixture.prepare();
    const bff = await startTestBff({ processProviderFor: 'all', gitBaseUrl: `file://${gitRoot}`, ...prepared.bff });
    const created = await bff.api('/api/runtimes', { body: { provider, repo: 'nobody/missing' } });
    expect(created.status).toBe(201);
    const runtime = (await created.json()) as Runtime;
    const failed = await runtimeStatus(bff.api, runtime.id, 'failed');
    expect(failed.status).toBe('failed');
    const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    expect(stepsOf(log.entries)).toEqual(['create:started', 'create:ok', 'clone:started', 'clone:failed']);
    const clone = endedSteps(log.entries).find((entry) => entry.step === 'clone');
    expect(clone?.detail).toMatch(/nobody\/missing\.git/);
    expect(clone?.detail).toMatch(/does not exist|not found|not appear to be a git repository/i);
  });

  if (fixture.pauses) {
    it(
      'pauses when idle with its files kept, says what the pause ended, stays paused through a BFF restart, and a message resumes it',
      limit,
      async () => {
        const prepared = await fixture.prepare();
        const options = { dataDir: tempDir('rc-bff-'), idleTimeoutMs: 1500, idleCheckMs: 100 };
        let bff = await startTestBff({ ...options, ...prepared.bff });
        const { runtime, threadId } = await readyRuntime(bff, provider);
        const run = async (text: string, expected: string) => {
          await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text } });
          return waitFor(
            async () =>
              ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }).events,
            (all) => all.some((event) => event.kind === 'tool.output' && event.data.includes(expected)),
          );
        };
        await run('echo kept-$((6 * 7)) > notes.txt && echo written', 'written');
        await runtimeStatus(bff.api, runtime.id, 'paused');
        const notices = async () =>
          ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }).events
            .flatMap((event) => (event.kind === 'status' && event.message ? [event.message] : []))
            .filter((message) => /paused after/.test(message));
        // Where the pause keeps files only (Daytona's stop), the thread says what it ended.
        if (!fixture.pauseKeepsProcesses) {
          const said = await waitFor(notices, (found) => found.length > 0);
          expect(said).toEqual([expect.stringMatching(/commands that were still running ended.* files are kept/)]);
        }

        await bff.stop();
        bff = await startTestBff({ ...options, ...prepared.bff });
        expect(((await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status).toBe('paused');
        await run('cat notes.txt', 'kept-42');
        await runtimeStatus(bff.api, runtime.id, 'ready');
        const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
        const ended = endedSteps(log.entries).filter((entry) => entry.step === 'pause' || entry.step === 'resume');
        expect(ended.map((entry) => `${entry.step}:${entry.state}`)).toEqual(['pause:ok', 'resume:ok']);
        expect(ended[1]?.durationMs).toBeGreaterThan(0);
        // Where it keeps processes too (E2B), nothing was lost and nothing is said.
        if (fixture.pauseKeepsProcesses) expect(await notices()).toEqual([]);
      },
    );
  }

  it('deletes a runtime with everything it holds, and a second delete is a clean 404', limit, async () => {
    const prepared = await fixture.prepare();
    const bff = await startTestBff({ processProviderFor: 'all', ...prepared.bff });
    const { runtime } = await readyRuntime(bff, provider);
    expect(await prepared.holds(bff.dataDir, runtime)).toBe(true);
    const first = await bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' });
    expect(first.status).toBe(204);
    expect(await prepared.holds(bff.dataDir, runtime)).toBe(false);
    const second = await bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' });
    expect(second.status).toBe(404);
    expect(await second.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
