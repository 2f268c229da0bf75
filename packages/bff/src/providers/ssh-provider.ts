import { GIT_TOKEN_HELPER_ARGS } from '@remote-chat/protocol';
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type SFTPWrapper } from 'ssh2';
import { z } from 'zod';
import { RuntimeFileSchema, describeSettings } from './local-runtime.js';
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
import type { ProviderAudience } from './provider-access.js';
import { type ExecResult, SshConnection, type SshTarget } from './ssh-connection.js';

/** The ssh provider's settings: the config file's `providers.ssh`, the environment's values over it. */
export const SshSettingsSchema = z.object({
  /** The host's name or address. */
  host: z.string().min(1),
  /** @default 22 */
  port: z.coerce.number().int().min(1).max(65535).default(22),
  /** @default the BFF's own user name */
  user: z.string().min(1).optional(),
  /** A private key file (unencrypted). @default the SSH agent at SSH_AUTH_SOCK */
  key: z.string().min(1).optional(),
  /** The known_hosts file that pins the host's key. @default ~/.ssh/known_hosts of the BFF's user */
  knownHosts: z.string().min(1).optional(),
  /** The folder on the host each runtime gets a folder in (`~/` is the SSH user's home). @default '~/.remote-chat/runtimes' */
  dir: z.string().min(1).default('~/.remote-chat/runtimes'),
  /** Who may make its runtimes: they share the host and its user. @default 'owner' */
  audience: z.enum(['owner', 'all']).default('owner'),
});
export type SshSettings = z.infer<typeof SshSettingsSchema>;

export const SSH_ENV = {
  host: 'REMOTE_CHAT_SSH_HOST',
  port: 'REMOTE_CHAT_SSH_PORT',
  user: 'REMOTE_CHAT_SSH_USER',
  key: 'REMOTE_CHAT_SSH_KEY',
  knownHosts: 'REMOTE_CHAT_SSH_KNOWN_HOSTS',
  dir: 'REMOTE_CHAT_SSH_DIR',
  audience: 'REMOTE_CHAT_SSH_AUDIENCE',
} as const;

/** The configured `ssh` provider: switched on by REMOTE_CHAT_SSH_HOST (or `providers.ssh` in the config file). */
export const sshProviderDefinition: ProviderDefinition<SshSettings> = {
  id: 'ssh',
  settings: SshSettingsSchema,
  env: SSH_ENV,
  make: (settings) => SshProvider.fromSettings(settings),
};

export interface SshProviderOptions {
  target: SshTarget;
  /** The folder on the host runtimes go under (`~/…` is the SSH user's home). @default '~/.remote-chat/runtimes' */
  dir?: string;
  /** @default 'owner' */
  audience?: ProviderAudience;
  /** How long `start` waits for the runtime to listen. @default 15_000 */
  startTimeoutMs?: number;
}

/** What the provider keeps about a runtime (the BFF keeps it in the store). */
const StateSchema = z.object({
  /** The runtime's folder on the host (absolute). */
  dir: z.string().startsWith('/'),
  pid: z.number().int().positive().optional(),
});
type State = z.infer<typeof StateSchema>;

/** CLONE_SCRIPT's exit code when the host has no git. */
const NO_GIT = 127;

/**
 * `git clone` $2 (at branch $3, when given) into the workspace $1, or `git init` it when $2 is
 * empty; the arguments after $3 go to git before `clone` (the inline credential helper). The
 * user's token, if any, is the first line of stdin: into the git command's environment only,
 * never on a command line or in a file.
 */
const CLONE_SCRIPT = `
command -v git >/dev/null 2>&1 || exit ${NO_GIT}
workspace=$1 url=$2 branch=$3
shift 3
IFS= read -r REMOTE_CHAT_GIT_TOKEN || :
if [ -n "$REMOTE_CHAT_GIT_TOKEN" ]; then export REMOTE_CHAT_GIT_TOKEN; else unset REMOTE_CHAT_GIT_TOKEN; fi
if [ -z "$url" ]; then
  # symbolic-ref rather than --initial-branch, which git before 2.28 lacks.
  git init --quiet "$workspace" && git -C "$workspace" symbolic-ref HEAD refs/heads/main
  exit
fi
if [ -n "$branch" ]; then set -- "$@" clone --quiet --depth 50 --branch "$branch" -- "$url" "$workspace"
else set -- "$@" clone --quiet --depth 50 -- "$url" "$workspace"; fi
GIT_TERMINAL_PROMPT=0 exec git "$@"
`;

/** sun_path's size on Linux, with its terminating NUL. */
const MAX_SOCKET_PATH = 107;
/** The oldest Node the one-file runtime runs on. */
const MIN_NODE_MAJOR = 20;

/** The files of one runtime on the host, all under its folder (as the local providers lay them out). */
function remoteFolder(dir: string) {
  return {
    workspace: posix.join(dir, 'workspace'),
    stateDir: posix.join(dir, 'state'),
    bundle: posix.join(dir, 'remote-chat-runtime.js'),
    settings: posix.join(dir, 'settings.json'),
    socket: posix.join(dir, 'state', 'link.sock'),
  };
}

/**
 * Finds the runtime's pid ($1: its folder; $2: the pid the state remembers, or empty): runtime.json's,
 * else the state's, and only when that process's command line names this runtime's bundle (not a
 * process that reused the pid). `find_pid "$@"` leaves it in $pid, or fails having found none.
 */
const FIND_PID = `
find_pid() {
  pid=$(sed -n 's/.*"pid": *\\([0-9][0-9]*\\).*/\\1/p' "$1/state/runtime.json" 2>/dev/null | head -n 1)
  [ -n "$pid" ] || pid=$2
  [ -n "$pid" ] || return 1
  case "$(ps -ww -o args= -p "$pid" 2>/dev/null)" in *"$1/remote-chat-runtime.js"*) return 0 ;; *) return 1 ;; esac
}
`;

/** Prints the runtime's pid when it runs. */
const PROBE_SCRIPT = `${FIND_PID}
find_pid "$@" && echo "$pid"
`;

/**
 * `stop "$@"`: SIGTERM to the runtime (it flushes its outbox and exits), then after 5 s SIGKILL to
 * its process group; nothing when it does not run.
 */
const STOP = `${FIND_PID}
stop() {
find_pid "$@" || return 0
kill -s TERM "$pid" 2>/dev/null || return 0
i=0
while kill -0 "$pid" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 50 ]; then kill -s KILL -- "-$pid" "$pid" 2>/dev/null; sleep 0.2; return 0; fi
  sleep 0.1
done
}
`;

/** Stops the runtime of folder $1 (state pid $2), and with $3 `destroy` removes the folder. */
const STOP_SCRIPT = `${STOP}
stop "$@"
if [ "$3" = destroy ]; then rm -rf -- "$1"; fi
`;

/**
 * Starts the runtime of folder $1 (state pid $2, id $3) detached, in its own session, with the token
 * read from stdin; waits ($4 tenths of a second at most) until it listens and prints its runtime.json.
 */
const START_SCRIPT = `${STOP}
dir=$1 tries=$4
cd "$dir/workspace" || exit 10
# One that still runs but stopped answering holds its state folder's lock.
stop "$1" "$2"
IFS= read -r REMOTE_CHAT_RUNTIME_TOKEN || exit 11
REMOTE_CHAT_RUNTIME_ID=$3
export REMOTE_CHAT_RUNTIME_ID REMOTE_CHAT_RUNTIME_TOKEN
rm -f "$dir/state/runtime.json"
set -- node "$dir/remote-chat-runtime.js" serve --workspace "$dir/workspace" --state-dir "$dir/state" \\
  --settings "$dir/settings.json" --socket "$dir/state/link.sock"
if command -v setsid >/dev/null 2>&1; then set -- setsid "$@"; fi
nohup "$@" </dev/null >>"$dir/runtime.log" 2>&1 &
pid=$!
unset REMOTE_CHAT_RUNTIME_TOKEN
i=0
until [ -s "$dir/state/runtime.json" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then tail -n 10 "$dir/runtime.log" >&2; exit 12; fi
  i=$((i + 1))
  if [ "$i" -gt "$tries" ]; then kill -s KILL -- "-$pid" "$pid" 2>/dev/null; tail -n 10 "$dir/runtime.log" >&2; exit 13; fi
  sleep 0.1
done
sleep 0.05
cat "$dir/state/runtime.json"
`;

/**
 * A runtime on a host reached over SSH (`ssh2`): a folder per runtime under the configured folder,
 * the one-file runtime copied there over SFTP and started detached as the SSH user, listening on a
 * Unix socket in its state folder. The BFF reaches its link through a channel forwarded to that
 * socket, so no port is opened on the host. One SSH connection serves every runtime of the host.
 * Like a process runtime it is not a sandbox (it runs as the SSH user), and it outlives a BFF
 * restart. SSH hosts cannot pause: an idle runtime is stopped.
 */
export class SshProvider implements Provider {
  readonly id = 'ssh';
  readonly label = 'SSH host';
  readonly kind = 'sandbox' as const;
  readonly description: string;
  readonly audience: ProviderAudience;
  private readonly ssh: SshConnection;
  /** The runtimes' folder on the host, `~` resolved (once, on first use). */
  private base: Promise<string> | null = null;

  constructor(private readonly options: SshProviderOptions) {
    this.ssh = new SshConnection(options.target);
    this.audience = options.audience ?? 'owner';
    this.description = `A workspace and an agent on ${this.ssh.where}, reached over SSH.`;
  }

  /**
   * The provider for its settings: reads the key (or finds the SSH agent) and checks the known_hosts
   * file can be read, so that a wrong setting stops the BFF at start-up, named.
   */
  static fromSettings(settings: SshSettings, env: NodeJS.ProcessEnv = process.env): SshProvider {
    const knownHostsFile = settings.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
    try {
      readFileSync(knownHostsFile);
    } catch (error) {
      throw new Error(
        `${SSH_ENV.knownHosts}: cannot read the known_hosts file ${knownHostsFile} (${errorText(error)}); it must pin the host's key`,
      );
    }
    let privateKey: Buffer | undefined;
    if (settings.key !== undefined) {
      try {
        privateKey = readFileSync(settings.key);
      } catch (error) {
        throw new Error(`${SSH_ENV.key}: cannot read the private key file ${settings.key} (${errorText(error)})`);
      }
      // ssh2 is CommonJS: Node's ESM sees `utils` on its default export only.
      const parsed = ssh2.utils.parseKey(privateKey);
      if (parsed instanceof Error)
        throw new Error(`${SSH_ENV.key}: ${settings.key} is not a usable private key (${parsed.message})`);
    } else if (!env.SSH_AUTH_SOCK) {
      throw new Error(`${SSH_ENV.key}: no private key file is set and no SSH agent runs (SSH_AUTH_SOCK is not set)`);
    }
    return new SshProvider({
      target: {
        host: settings.host,
        port: settings.port,
        username: settings.user ?? userInfo().username,
        knownHostsFile,
        ...(privateKey ? { privateKey } : { agent: env.SSH_AUTH_SOCK }),
      },
      dir: settings.dir,
      audience: settings.audience,
    });
  }

  async create(context: StepContext): Promise<{ state: State; detail: string }> {
    const dir = posix.join(await this.baseDir(), context.runtimeId);
    const folder = remoteFolder(dir);
    if (Buffer.byteLength(folder.socket) > MAX_SOCKET_PATH) {
      throw new Error(
        `The runtime's link socket ${folder.socket} is longer than Linux allows (${MAX_SOCKET_PATH} bytes): set a shorter ${SSH_ENV.dir}.`,
      );
    }
    // Private: the settings and the runtime's state are the SSH user's alone.
    await this.run(
      'create',
      'umask 077 && mkdir -p "$1" "$2" && chmod 700 "$1" "$2"',
      [folder.workspace, folder.stateDir],
      {
        signal: context.signal,
      },
    );
    return { state: { dir }, detail: `workspace ${this.ssh.where}:${folder.workspace}` };
  }

  async clone(context: StepContext, raw: ProviderState, source: CloneSource | null): Promise<StepOutcome> {
    const { workspace } = remoteFolder(StateSchema.parse(raw).dir);
    const result = await this.ssh.exec(
      CLONE_SCRIPT,
      [workspace, source?.url ?? '', source?.branch ?? '', ...GIT_TOKEN_HELPER_ARGS],
      { signal: context.signal, stdin: `${source?.token ?? ''}\n` },
    );
    if (result.code === NO_GIT)
      throw new Error(`git is not installed on ${this.ssh.where}: the runtime needs it there.`);
    if (result.code !== 0)
      throw new Error(
        `${source ? `git clone ${source.url}` : 'git init'} failed: ${result.stderr.trim() || `exit ${result.code}`}`,
      );
    if (!source) return { skipped: 'No repository selected: the agent starts in an empty git repository.' };
    return { detail: `${source.repo}${source.branch ? `@${source.branch}` : ''}` };
  }

  async install(context: StepContext, raw: ProviderState, runtimeFile: string): Promise<StepOutcome> {
    const { bundle } = remoteFolder(StateSchema.parse(raw).dir);
    const version = await this.ssh.exec('node --version', [], { signal: context.signal });
    const found = /^v(\d+)\.\d+\.\d+/.exec(version.stdout.trim());
    if (version.code !== 0 || !found)
      throw new Error(
        `Node.js is not installed on ${this.ssh.where} (or not on the PATH of an SSH command): the runtime needs Node ${MIN_NODE_MAJOR} or later there.`,
      );
    if (Number(found[1]) < MIN_NODE_MAJOR)
      throw new Error(
        `${this.ssh.where} has Node ${found[0]}: the runtime needs Node ${MIN_NODE_MAJOR} or later there.`,
      );
    await this.ssh.sftp((sftp) => put(sftp, runtimeFile, bundle));
    return { detail: `remote-chat-runtime on Node ${found[0]} at ${this.ssh.where}` };
  }

  async writeSettings(_context: StepContext, raw: ProviderState, settings: RuntimeSettings): Promise<StepOutcome> {
    const folder = remoteFolder(StateSchema.parse(raw).dir);
    await this.ssh.sftp((sftp) => writePrivate(sftp, folder.settings, JSON.stringify(settings, null, 2)));
    return { detail: describeSettings(settings) };
  }

  async start(context: StartContext, raw: ProviderState): Promise<StartedRuntime> {
    const state = StateSchema.parse(raw);
    const folder = remoteFolder(state.dir);
    const tries = Math.ceil((this.options.startTimeoutMs ?? 15_000) / 100);
    const result = await this.ssh.exec(
      START_SCRIPT,
      [state.dir, String(state.pid ?? ''), context.runtimeId, String(tries)],
      {
        // The link token goes in on stdin, never in argv, where `ps` would show it.
        stdin: `${context.token}\n`,
        signal: context.signal,
      },
    );
    if (result.code !== 0) {
      const why =
        result.code === 10
          ? `the runtime's folder ${state.dir} is gone`
          : result.code === 12
            ? 'the runtime exited'
            : result.code === 13
              ? 'the runtime did not start listening in time'
              : `the start command failed (exit ${result.code})`;
      throw new Error(`${why} on ${this.ssh.where}: ${result.stderr.trim() || '(no output)'}`);
    }
    const running = parseRuntimeFile(result.stdout);
    if (!running) throw new Error(`the runtime on ${this.ssh.where} wrote an unreadable runtime.json`);
    const endpoint = this.endpoint(folder.socket);
    // The BFF dials the socket it knows, never a path the runtime wrote; it must answer through the forward.
    (await endpoint.connect()).destroy();
    return {
      endpoint,
      state: { dir: state.dir, pid: running.pid } satisfies State,
      detail: `pid ${running.pid} on ${this.ssh.where}, link on ${folder.socket}`,
    };
  }

  async probe(raw: ProviderState): Promise<RuntimeEndpoint | null> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return null;
    const found = await this.ssh.exec(PROBE_SCRIPT, [state.data.dir, String(state.data.pid ?? '')]);
    if (!/^\d+$/.test(found.stdout.trim())) return null;
    const endpoint = this.endpoint(remoteFolder(state.data.dir).socket);
    try {
      (await endpoint.connect()).destroy();
      return endpoint;
    } catch {
      return null;
    }
  }

  async stop(raw: ProviderState): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    await this.ssh.exec(STOP_SCRIPT, [state.data.dir, String(state.data.pid ?? '')]);
  }

  async destroy(raw: ProviderState): Promise<void> {
    const state = StateSchema.safeParse(raw);
    if (!state.success) return;
    const { dir } = state.data;
    // Only ever a runtime's folder directly under the configured one.
    if (posix.dirname(dir) !== (await this.baseDir()) || posix.basename(dir).startsWith('.')) return;
    await this.run('destroy', STOP_SCRIPT, [dir, String(state.data.pid ?? ''), 'destroy']);
  }

  /** The link's endpoint: a channel forwarded to the runtime's socket; the URL names the upgrade request only. */
  private endpoint(socket: string): RuntimeEndpoint & { connect: () => Promise<Duplex> } {
    return { linkUrl: 'ws://localhost/link', connect: () => this.ssh.forwardStreamLocal(socket) };
  }

  private baseDir(): Promise<string> {
    this.base ??= this.resolveBase().catch((error: unknown) => {
      this.base = null;
      throw error;
    });
    return this.base;
  }

  private async resolveBase(): Promise<string> {
    const dir = this.options.dir ?? '~/.remote-chat/runtimes';
    if (dir.startsWith('/')) return posix.normalize(dir).replace(/\/$/, '');
    if (dir !== '~' && !dir.startsWith('~/'))
      throw new Error(`${SSH_ENV.dir} must be an absolute path or start with ~/ (it is ${dir})`);
    const home = await this.run('create', 'printf %s "$HOME"', []);
    if (!home.stdout.startsWith('/')) throw new Error(`${this.ssh.where} has no home folder ($HOME is not set)`);
    return posix.normalize(posix.join(home.stdout, dir.slice(1))).replace(/\/$/, '');
  }

  /** Runs a script that must succeed, failing with the step's name and the host's words. */
  private async run(
    step: string,
    script: string,
    args: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<ExecResult> {
    const result = await this.ssh.exec(script, args, options);
    if (result.code !== 0)
      throw new Error(`${step} on ${this.ssh.where} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
    return result;
  }
}

function parseRuntimeFile(text: string) {
  try {
    const parsed = RuntimeFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Copies a local file to the host, executable by its owner only. */
function put(sftp: SFTPWrapper, local: string, remote: string): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.fastPut(local, remote, { mode: 0o700 }, (error) => (error ? reject(error) : resolve())),
  );
}

/** Writes a file on the host readable by its owner only (also when it was there before). */
function writePrivate(sftp: SFTPWrapper, remote: string, text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.writeFile(remote, text, { mode: 0o600 }, (error) => {
      if (error) reject(error);
      else sftp.chmod(remote, 0o600, (chmodError) => (chmodError ? reject(chmodError) : resolve()));
    }),
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
