import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.mjs';

/** A real OpenSSH server on loopback for the ssh provider's tests, as the current user. */
export interface TestSshd {
  host: string;
  port: number;
  user: string;
  /** The private key sshd accepts for `user`. */
  keyFile: string;
  /** A known_hosts file pinning this server's host key under `[127.0.0.1]:PORT`. */
  knownHostsFile: string;
  /** A temporary folder the provider's runtimes go under (its `dir` setting). */
  remoteDir: string;
  /** A throwaway folder for more keys and files. */
  scratch: string;
  /** A fresh ed25519 key pair in `scratch`: the private key's path (`.pub` beside it). */
  newKey(name: string): string;
  /** What sshd logged. */
  log(): string;
  /** Cuts every SSH connection (SIGKILL to sshd's per-connection processes); sshd keeps listening. */
  dropConnections(): void;
  /** Stops sshd (by its pid) and removes its files. */
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

/**
 * Starts `/usr/sbin/sshd` in the foreground on 127.0.0.1 and a free port, with a throwaway host key,
 * a user key in its own authorized_keys file and a config of flags only (`-f /dev/null`), and waits
 * until it accepts connections. The caller stops it.
 */
export async function startSshd(options: { sshdOptions?: string[] } = {}): Promise<TestSshd> {
  const scratch = mkdtempSync(join(tmpdir(), 'rc-sshd-'));
  // Short: the runtime's link socket path (under it) must fit Linux's 107 bytes.
  const remoteDir = mkdtempSync(join(tmpdir(), 'rc-ssh-'));
  const newKey = (name: string): string => {
    const file = join(scratch, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
    return file;
  };
  const hostKey = newKey('host_key');
  const keyFile = newKey('user_key');
  const authorizedKeys = join(scratch, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${keyFile}.pub`), { mode: 0o600 });
  const port = await freePort();
  const knownHostsFile = join(scratch, 'known_hosts');
  const [type, blob] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${type} ${blob}\n`);
  // sshd's privilege separation folder (made by its service unit, which tests do not run).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const logFile = join(scratch, 'sshd.log');
  const child: ChildProcess = spawn(
    SSHD,
    [
      '-D',
      '-f',
      '/dev/null',
      '-h',
      hostKey,
      '-p',
      String(port),
      '-o',
      'ListenAddress=127.0.0.1',
      '-o',
      `AuthorizedKeysFile=${authorizedKeys}`,
      '-o',
      'StrictModes=no',
      '-o',
      'PasswordAuthentication=no',
      '-o',
      'KbdInteractiveAuthentication=no',
      '-o',
      'UsePAM=no',
      '-o',
      'PermitRootLogin=prohibit-password',
      '-o',
      `PidFile=${join(scratch, 'sshd.pid')}`,
      '-o',
      'Subsystem=sftp /usr/lib/openssh/sftp-server',
      '-E',
      logFile,
      ...(options.sshdOptions ?? []).flatMap((option) => ['-o', option]),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(scratch, { recursive: true, force: true });
    rmSync(remoteDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const output = log();
      await stop();
      throw new Error(`sshd did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    keyFile,
    knownHostsFile,
    remoteDir,
    scratch,
    newKey,
    log,
    dropConnections: () => {
      for (const pid of descendants(child.pid!)) {
        try {
          // Only sshd's own processes: what a session started (a runtime) is no connection.
          if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd') process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
    },
    stop,
  };
}

/** Every process below `root`, from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
