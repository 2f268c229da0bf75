import { accessSync, constants, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** Whether a sandbox reaches the internet: `none` (only its link to the BFF) or `internet` (through slirp4netns). */
export const SANDBOX_NETWORKS = ['none', 'internet'] as const;
export type SandboxNetwork = (typeof SANDBOX_NETWORKS)[number];

/** Resource limits of every process in a sandbox (setrlimit through `prlimit`). */
export interface SandboxLimits {
  /** Processes and threads of the sandbox's user. @default 1024 */
  processes: number;
  /** The largest file a process may write. @default 1 GiB */
  fileSizeBytes: number;
  /** Virtual memory per process (Node alone reserves about 1 GiB). @default 4 GiB */
  addressSpaceBytes: number;
  /** Open files per process. @default 4096 */
  openFiles: number;
  /** The size of its private /tmp (memory). @default 512 MiB */
  tmpBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  processes: 1024,
  fileSizeBytes: 1024 ** 3,
  addressSpaceBytes: 4 * 1024 ** 3,
  openFiles: 4096,
  tmpBytes: 512 * 1024 ** 2,
};

/** The host programs a sandbox needs, found on PATH. */
export interface SandboxTools {
  bwrap: string;
  prlimit: string;
  /** Switches to the runtime's own uid when the BFF runs as root. */
  setpriv: string | undefined;
  /** Gives a sandbox the internet (`--sandbox-network internet`). */
  slirp4netns: string | undefined;
}

/** An executable on PATH (or the usual system folders), or undefined. */
export function findExecutable(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const folder of folders.filter(Boolean)) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

export function findSandboxTools(): SandboxTools | string {
  const bwrap = findExecutable('bwrap');
  if (!bwrap) return 'bwrap is not installed (Debian: apt-get install bubblewrap)';
  const prlimit = findExecutable('prlimit');
  if (!prlimit) return 'prlimit is not installed (Debian: util-linux)';
  return { bwrap, prlimit, setpriv: findExecutable('setpriv'), slirp4netns: findExecutable('slirp4netns') };
}

/** Inside the sandbox: where a runtime's folders are mounted. */
export const INSIDE = {
  workspace: '/workspace',
  home: '/home/runtime',
  stateDir: '/runtime/state',
  bundle: '/runtime/remote-chat-runtime.js',
  settings: '/runtime/settings.json',
  socket: '/runtime/state/link.sock',
} as const;

/** The uid and gid inside a user namespace (when the BFF is not root). */
export const NAMESPACE_UID = 1000;

/** What one sandbox is made of. */
export interface SandboxSpec {
  /**
   * The host uid the sandbox runs as when the BFF is root (bwrap sets up the namespaces as root,
   * then `setpriv` drops to it); null when the BFF is not root: an unprivileged user namespace
   * then maps NAMESPACE_UID inside to the BFF's user outside.
   */
  hostUid: number | null;
  network: SandboxNetwork;
  limits: SandboxLimits;
  /** The runtime's folders; none for the start-up check. */
  runtime?: {
    workspace: string;
    home: string;
    stateDir: string;
    bundle: string;
    settings: string;
    /** Files that replace /etc/passwd, /etc/group and /etc/resolv.conf inside. */
    passwd: string;
    group: string;
    resolvConf: string;
  };
  /**
   * Host folders that must never show inside (the data directory): hidden under an empty tmpfs
   * when a bound folder holds them, as when Node lives in the BFF user's home.
   */
  hidden: string[];
  /** What runs inside. With `internet`, bwrap also writes its child's pid to fd 3 and holds fd 4 open while the sandbox lives. */
  command: string[];
}

/** This Node's binary, symlinks resolved: the sandbox runs the runtime with it. */
export function nodeBinary(): string {
  return realpathSync(process.execPath);
}

/** The folder Node is installed in, when it is not under /usr (nvm, /opt/node, …), else null. */
export function nodeFolder(): string | null {
  const prefix = dirname(dirname(nodeBinary()));
  return prefix === '/' || prefix === '/usr' || prefix.startsWith('/usr/') ? null : prefix;
}

/** /bin, /lib and friends: symlinks into /usr on merged-/usr systems, folders elsewhere. */
function systemFolders(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const folder of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const stat = lstatSync(folder);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(folder), folder);
      else if (stat.isDirectory()) args.push('--ro-bind', folder, folder);
    } catch {
      // Not on this system.
    }
  }
  return args;
}

/**
 * A minimal /dev made of binds, for a user-namespace sandbox: bwrap's `--dev` mounts a devpts,
 * for which it sets the namespace up as root and then nests a second user namespace, and
 * slirp4netns cannot join the network namespace from that one. (No ptys in there, then.)
 */
function deviceArgs(): string[] {
  const args: string[] = [];
  for (const device of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) {
    args.push('--dev-bind-try', `/dev/${device}`, `/dev/${device}`);
  }
  args.push('--symlink', '/proc/self/fd', '/dev/fd');
  for (const [fd, name] of ['stdin', 'stdout', 'stderr'].entries())
    args.push('--symlink', `/proc/self/fd/${fd}`, `/dev/${name}`);
  args.push('--perms', '1777', '--tmpfs', '/dev/shm');
  return args;
}

/** The `prlimit` arguments for the limits. */
function limitArgs(limits: SandboxLimits): string[] {
  return [
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--as=${limits.addressSpaceBytes}`,
    `--nofile=${limits.openFiles}`,
    '--core=0',
  ];
}

/**
 * The command line that runs `spec.command` in its own sandbox: prlimit sets the limits, bwrap
 * makes private mount, pid, network, IPC and UTS namespaces with the system folders read-only,
 * only the runtime's own folders writable and a private /tmp; as root, setpriv then drops to the
 * runtime's uid with no capabilities and no_new_privs. No `--die-with-parent`: the sandbox
 * outlives a BFF restart and is re-attached.
 */
export function sandboxCommand(tools: SandboxTools, spec: SandboxSpec): string[] {
  const args = [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--unshare-net',
    '--hostname',
    'sandbox',
    ...systemFolders(),
    '--ro-bind',
    '/etc',
    '/etc',
  ];
  const node = nodeFolder();
  if (node) args.push('--ro-bind', node, node);
  const bound = ['/usr', '/etc', ...(node ? [node] : [])];
  for (const folder of spec.hidden) {
    if (bound.some((b) => folder === b || folder.startsWith(`${b}/`))) args.push('--tmpfs', folder);
  }
  args.push('--proc', '/proc', ...(spec.hostUid === null ? deviceArgs() : ['--dev', '/dev']));
  args.push('--perms', '1777', '--size', String(spec.limits.tmpBytes), '--tmpfs', '/tmp');
  const { runtime } = spec;
  if (runtime) {
    args.push(
      '--ro-bind',
      runtime.passwd,
      '/etc/passwd',
      '--ro-bind',
      runtime.group,
      '/etc/group',
      '--ro-bind',
      runtime.resolvConf,
      '/etc/resolv.conf',
      '--bind',
      runtime.workspace,
      INSIDE.workspace,
      '--perms',
      '0755',
      '--dir',
      '/home',
      '--bind',
      runtime.home,
      INSIDE.home,
      '--perms',
      '0755',
      '--dir',
      '/runtime',
      '--bind',
      runtime.stateDir,
      INSIDE.stateDir,
      '--ro-bind',
      runtime.bundle,
      INSIDE.bundle,
      '--ro-bind',
      runtime.settings,
      INSIDE.settings,
      '--chdir',
      INSIDE.workspace,
    );
  }
  if (spec.network === 'internet') args.push('--info-fd', '3', '--sync-fd', '4');
  let command = spec.command;
  if (spec.hostUid === null) {
    args.push('--unshare-user', '--uid', String(NAMESPACE_UID), '--gid', String(NAMESPACE_UID));
  } else {
    if (!tools.setpriv) throw new Error('setpriv is not installed (Debian: util-linux)');
    // Only what setpriv needs to switch users; it leaves the runtime none.
    args.push('--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID');
    const uid = String(spec.hostUid);
    command = [
      tools.setpriv,
      `--reuid=${uid}`,
      `--regid=${uid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--no-new-privs',
      '--',
      ...command,
    ];
  }
  return [tools.prlimit, ...limitArgs(spec.limits), '--', tools.bwrap, ...args, '--', ...command];
}

/** The PATH inside a sandbox: Node's folder first, then the system's. */
export function sandboxPath(): string {
  const folders = [dirname(nodeBinary()), '/usr/local/bin', '/usr/bin', '/bin'];
  return [...new Set(folders)].join(':');
}
