import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chown, lstat, mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { z } from 'zod';
import { RUNTIMES_FOLDER } from '../data-dir.js';
import {
  type LocalRuntimeOptions,
  type RuntimeFolder,
  cloneWorkspace,
  createRuntimeFolder,
  destroyRuntimeFolder,
  installRuntimeFile,
  logTail,
  newRuntimeDir,
  requireRuntimeFolder,
  runtimeFolder,
  stopGracefully,
  waitUntilListening,
  writeSettingsFile,
} from './local-runtime.js';
import type {
  CloneSource,
  Provider,
  ProviderState,
  RuntimeEndpoint,
  RuntimeSettings,
  StartContext,
  StartedRuntime,
  StepContext,
  StepOutcome,
} from './provider.js';
import type { ProviderAudience } from './provider-access.js';
import {
  DEFAULT_SANDBOX_LIMITS,
  INSIDE,
  NAMESPACE_UID,
  type SandboxLimits,
  type SandboxNetwork,
  type SandboxSpec,
  type SandboxTools,
  findSandboxTools,
  nodeBinary,
  sandboxCommand,
  sandboxPath,
} from './sandbox-command.js';

const run = promisify(execFile);

export interface BubblewrapProviderOptions extends LocalRuntimeOptions {
  /** `none`: the sandbox reaches nothing but its link; `internet`: also the internet, through slirp4netns. @default 'none' */
  network?: SandboxNetwork;
  /** @default DEFAULT_SANDBOX_LIMITS */
  limits?: Partial<SandboxLimits>;
  /** @default 'all' */
  audience?: ProviderAudience;
  /**
   * When the BFF runs as root, each runtime runs as its own host uid, the first free one from
   * this on (a user namespace maps the BFF's user otherwise). @default 1_500_000_000
   */
  uidBase?: number;
}

/** How many uids runtimes may take from `uidBase` on. */
const UID_RANGE = 1_000_000;
/** sun_path's size on Linux, with its terminating NUL. */
const MAX_SOCKET_PATH = 107;

/** What the provider keeps about a runtime (the BFF keeps it in the store). */
const StateSchema = z.object({
  dir: z.string(),
  /** The runtime's host uid (the BFF runs as root). */
  uid: z.number().int().optional(),
  /** The sandbox's process group on the host (bwrap's pid). */
  pgid: z.number().int().optional(),
});
type State = z.infer<typeof StateSchema>;

/** The BFF-side files of a bubblewrap runtime: outside the folders the sandbox can write. */
function sandboxFiles(dir: string) {
  return {
    home: join(dir, 'home'),
    log: join(dir, 'runtime.log'),
    passwd: join(dir, 'passwd'),
    group: join(dir, 'group'),
    resolvConf: join(dir, 'resolv.conf'),
    /** `{ "pgid": N }`: the sandbox's process group on the host, for operators and for tests. */
    pidFile: join(dir, 'sandbox.json'),
    /** Where the runtime's link socket shows on the host. */
    socket: join(dir, 'state', 'link.sock'),
  };
}

/** True when something accepts connections on the Unix socket (and it is a socket, not a link). */
async function socketAnswers(path: string): Promise<boolean> {
  const stat = await lstat(path).catch(() => null);
  if (!stat?.isSocket()) return false;
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The host pids of the processes in a process group, from /proc. */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces): state, ppid, pgrp, …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

/** True while any process of the group lives. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when the process group still runs and is this runtime's sandbox (not a reused pid). */
async function sandboxRuns(pgid: number, dir: string): Promise<boolean> {
  if (!groupAlive(pgid)) return false;
  for (const pid of await groupMembers(pgid)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) return true;
  }
  return false;
}

/** Reads bwrap's `--info-fd` JSON: the host pid of the sandbox's first process. */
function childPid(info: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    info.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const pid = /"child-pid"\s*:\s*(\d+)/.exec(text)?.[1];
      if (pid) resolve(Number(pid));
    });
    info.once('end', () => reject(new Error('the sandbox ended before it started')));
    info.once('error', reject);
  });
}

/**
 * A runtime in its own Linux sandbox on this host, made with bubblewrap: a private mount namespace
 * with the system folders read-only and only the runtime's own folders writable (its workspace,
 * home and state), its own /tmp, pid, IPC and network namespaces, resource limits, and an
 * unprivileged uid with no capabilities. The data directory, the server secret, other runtimes
 * and the host's loopback services are out of its sight and reach. The BFF dials its link over a
 * Unix socket in its state folder. Like a process runtime it is detached: it outlives a BFF
 * restart and is re-attached.
 */
export class BubblewrapProvider implements Provider {
  readonly id = 'bubblewrap';
  readonly label = 'Local sandbox';
  readonly kind = 'sandbox' as const;
  readonly description: string;
  readonly audience: ProviderAudience;
  private readonly limits: SandboxLimits;
  private readonly network: SandboxNetwork;
  private readonly dataDir: string;
  private readonly uidBase: number;
  /** Serialises uid picks, so two runtimes made at once never share a uid. */
  private picking: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: BubblewrapProviderOptions) {
    this.audience = options.audience ?? 'all';
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
    this.network = options.network ?? 'none';
    // Absolute: bwrap binds and the link socket's URL need it.
    this.dataDir = resolve(options.dataDir);
    this.uidBase = options.uidBase ?? 1_500_000_000;
    this.description =
      this.network === 'internet'
        ? 'A workspace and an agent in a Linux sandbox on the server, with internet access.'
        : 'A workspace and an agent in a Linux sandbox on the server, with no network.';
  }

  /**
   * Runs an empty sandbox made the way runtimes are: true when bubblewrap works here, else why not.
   * A machine without unprivileged user namespaces, or a container that forbids them, fails here.
   */
  async check(): Promise<true | string> {
    const tools = findSandboxTools();
    if (typeof tools === 'string') return tools;
    if (this.network === 'internet' && !tools.slirp4netns) {
      return 'slirp4netns is not installed (Debian: apt-get install slirp4netns), and --sandbox-network is internet';
    }
    try {
      const command = sandboxCommand(tools, { ...this.spec(undefined, ['true']), network: 'none' });
      await run(command[0]!, command.slice(1), { timeout: 10_000, env: { PATH: sandboxPath() } });
      return true;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      return `a test sandbox failed: ${stderr || (error instanceof Error ? error.message : String(error))}`;
    }
  }

  async create(context: StepContext): Promise<{ state: State; detail: string }> {
    const dir = newRuntimeDir(this.dataDir, context.runtimeId);
    const files = sandboxFiles(dir);
    if (Buffer.byteLength(files.socket) > MAX_SOCKET_PATH) {
      throw new Error(
        `The runtime's link socket ${files.socket} is longer than Linux allows (${MAX_SOCKET_PATH} bytes): use a shorter --data-dir.`,
      );
    }
    const folder = runtimeFolder(dir);
    await mkdir(folder.workspace, { recursive: true, mode: 0o700 });
    const uid = isRoot() ? await this.pickUid(folder) : undefined;
    await createRuntimeFolder(folder);
    await mkdir(files.home, { recursive: true, mode: 0o700 });
    return {
      state: { dir, ...(uid !== undefined && { uid }) },
      detail: `workspace ${folder.workspace}${uid === undefined ? '' : `, uid ${uid}`}`,
    };
  }

  clone(context: StepContext, raw: ProviderState, source: CloneSource | null): Promise<StepOutcome> {
    return cloneWorkspace(runtimeFolder(StateSchema.parse(raw).dir).workspace, source, context.signal);
  }

  async install(_context: StepContext, raw: ProviderState, runtimeFile: string): Promise<StepOutcome> {
    const { dir, uid } = StateSchema.parse(raw);
    const folder = runtimeFolder(dir);
    const outcome = await installRuntimeFile(folder, runtimeFile);
    // The runtime's folders (the workspace as cloned) become its own; the BFF's files beside them stay the BFF's.
    if (uid !== undefined)
      await run('chown', [
        '-R',
        '--no-dereference',
        `${uid}:${uid}`,
        folder.workspace,
        folder.stateDir,
        sandboxFiles(dir).home,
      ]);
    return outcome;
  }

  async writeSettings(_context: StepContext, raw: ProviderState, settings: RuntimeSettings): Promise<StepOutcome> {
    const { dir, uid } = StateSchema.parse(raw);
    const folder = runtimeFolder(dir);
    const outcome = await writeSettingsFile(folder, settings);
    if (uid !== undefined) await chown(folder.settings, uid, uid);
    return outcome;
  }

  async probe(raw: ProviderState): Promise<RuntimeEndpoint | null> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return null;
    const { socket } = sandboxFiles(state.data.dir);
    return (await socketAnswers(socket)) ? { linkUrl: linkUrl(socket) } : null;
  }

  async stop(raw: ProviderState): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    const { dir } = state.data;
    const pgid = state.data.pgid ?? (await this.savedPgid(dir));
    if (pgid === undefined || !(await sandboxRuns(pgid, dir))) return;
    // SIGTERM reaches the runtime (bwrap's own pid 1 ignores it): it cancels its commands and
    // flushes its outbox; when it exits, the kernel ends everything else in its pid namespace.
    await stopGracefully(-pgid, pgid, async () => groupAlive(pgid));
  }

  destroy(raw: ProviderState): Promise<void> {
    return destroyRuntimeFolder(raw, (state) => this.stop(state));
  }

  /** A sandbox of this provider's kind, as `uid` (when the BFF is root), running `command`. */
  private spec(uid: number | undefined, command: string[]): SandboxSpec {
    return {
      hostUid: isRoot() ? (uid ?? this.uidBase) : null,
      network: this.network,
      limits: this.limits,
      hidden: [this.dataDir],
      command,
    };
  }

  async start(context: StartContext, raw: ProviderState): Promise<StartedRuntime> {
    const state = StateSchema.parse(raw);
    const tools = findSandboxTools();
    if (typeof tools === 'string') throw new Error(tools);
    const { dir } = state;
    const folder = runtimeFolder(dir);
    await requireRuntimeFolder(folder);
    const files = sandboxFiles(dir);
    // A sandbox of this runtime that still runs but stopped answering holds its state's lock.
    await this.stop(state);
    await rm(join(folder.stateDir, 'runtime.json'), { force: true });
    await this.writeSystemFiles(dir, state.uid);
    const command = sandboxCommand(tools, {
      ...this.spec(state.uid, [
        nodeBinary(),
        INSIDE.bundle,
        'serve',
        '--workspace',
        INSIDE.workspace,
        '--state-dir',
        INSIDE.stateDir,
        '--settings',
        INSIDE.settings,
        '--socket',
        INSIDE.socket,
      ]),
      runtime: { ...folder, ...files },
    });
    const log = await open(files.log, 'a', 0o600);
    const internet = this.network === 'internet';
    const child = spawn(command[0]!, command.slice(1), {
      // Its own process group and no pipes to us once started: it keeps running when the BFF stops.
      detached: true,
      stdio: internet ? ['ignore', log.fd, log.fd, 'pipe', 'pipe'] : ['ignore', log.fd, log.fd],
      // Only what a shell needs; the token is read and hidden from commands by the runtime.
      env: {
        PATH: sandboxPath(),
        // The sandbox's own user, as its /etc/passwd says.
        HOME: INSIDE.home,
        USER: 'runtime',
        LOGNAME: 'runtime',
        SHELL: '/bin/bash',
        LANG: process.env.LANG ?? 'C.UTF-8',
        // V8 reserves 10 GB of address space per WebAssembly memory for its trap handler, past
        // the sandbox's 4 GiB limit: fetch (undici's llhttp) would fail in the runtime (its
        // agents' model clients) and in every node command. Bounds checks need no reservation.
        NODE_OPTIONS: '--disable-wasm-trap-handler',
        REMOTE_CHAT_RUNTIME_ID: context.runtimeId,
        REMOTE_CHAT_RUNTIME_TOKEN: context.token,
      },
    });
    child.unref();
    await log.close();
    if (child.pid === undefined) throw new Error('bubblewrap did not start');
    await writeFile(files.pidFile, `${JSON.stringify({ pgid: child.pid })}\n`, { mode: 0o600 });
    if (internet) {
      await this.connectInternet(child, tools, files.log).catch(async (error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}: ${await logTail(files.log)}`);
      });
    }
    await waitUntilListening(
      child,
      context,
      { stateDir: folder.stateDir, log: files.log },
      this.options.startTimeoutMs,
    );
    // The BFF dials the socket it knows, never a path the runtime wrote.
    if (!(await socketAnswers(files.socket))) throw new Error(`the runtime does not answer on ${files.socket}`);
    return {
      endpoint: { linkUrl: linkUrl(files.socket) },
      state: { ...state, pgid: child.pid } satisfies State,
      detail: `sandbox ${child.pid}${state.uid === undefined ? '' : `, uid ${state.uid}`}, network ${this.network}`,
    };
  }

  /**
   * Gives a starting sandbox the internet: slirp4netns joins its network namespace and forwards
   * its traffic from user space, never to the host's loopback (`--disable-host-loopback`). It
   * watches the end of a pipe the sandbox holds open (`--exit-fd`), so it exits with the sandbox,
   * also while the BFF is down.
   */
  private async connectInternet(child: ChildProcess, tools: SandboxTools, log: string): Promise<void> {
    const [info, alive] = [child.stdio[3] as Readable, child.stdio[4] as Readable];
    try {
      if (!tools.slirp4netns) throw new Error('slirp4netns is not installed (Debian: apt-get install slirp4netns)');
      const pid = await childPid(info);
      const output = await open(log, 'a', 0o600);
      const slirp = spawn(
        tools.slirp4netns,
        [
          '--configure',
          '--mtu=65520',
          '--disable-host-loopback',
          ...(isRoot() ? ['--enable-sandbox', '--enable-seccomp'] : [`--userns-path=/proc/${pid}/ns/user`]),
          '--exit-fd=3',
          '--ready-fd=4',
          String(pid),
          'tap0',
        ],
        { detached: true, stdio: ['ignore', output.fd, output.fd, alive, 'pipe'] },
      );
      slirp.unref();
      await output.close();
      await new Promise<void>((resolve, reject) => {
        const ready = slirp.stdio[4] as Readable;
        ready.once('data', () => resolve());
        slirp.once('exit', (code) => reject(new Error(`slirp4netns exited (${code}) before the network was up`)));
      }).finally(() => (slirp.stdio[4] as Readable).destroy());
    } finally {
      info.destroy();
      alive.destroy();
    }
  }

  /** passwd, group and resolv.conf as the sandbox sees them: its own user, and its own DNS. */
  private async writeSystemFiles(dir: string, uid: number | undefined): Promise<void> {
    const files = sandboxFiles(dir);
    const id = uid ?? NAMESPACE_UID;
    const passwd = `root:x:0:0:root:/root:/usr/sbin/nologin\nruntime:x:${id}:${id}:Remote Chat runtime:${INSIDE.home}:/bin/bash\n`;
    await writeFile(files.passwd, passwd, { mode: 0o644 });
    await writeFile(files.group, `root:x:0:\nruntime:x:${id}:\n`, { mode: 0o644 });
    // slirp4netns answers DNS on 10.0.2.3; with no network there is nobody to ask.
    await writeFile(files.resolvConf, this.network === 'internet' ? 'nameserver 10.0.2.3\n' : '', { mode: 0o644 });
  }

  private async savedPgid(dir: string): Promise<number | undefined> {
    try {
      const saved = z
        .object({ pgid: z.number().int() })
        .parse(JSON.parse(await readFile(sandboxFiles(dir).pidFile, 'utf8')));
      return saved.pgid;
    } catch {
      return undefined;
    }
  }

  /** The first uid from `uidBase` that no runtime folder on this host belongs to; the workspace takes it at once. */
  private pickUid(folder: RuntimeFolder): Promise<number> {
    const base = this.uidBase;
    const picked = this.picking.then(async () => {
      const root = join(this.dataDir, RUNTIMES_FOLDER);
      const taken = new Set<number>();
      for (const id of await readdir(root)) {
        const stat = await lstat(join(root, id, 'workspace')).catch(() => null);
        if (stat && stat.uid >= base && stat.uid < base + UID_RANGE) taken.add(stat.uid);
      }
      let uid = base;
      while (taken.has(uid)) uid++;
      if (uid >= base + UID_RANGE) throw new Error('no free uid for another sandbox');
      await chown(folder.workspace, uid, uid);
      return uid;
    });
    this.picking = picked.catch(() => undefined);
    return picked;
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The `ws` URL of a link served on a Unix socket. */
function linkUrl(socket: string): string {
  return `ws+unix://${socket}:/link`;
}
