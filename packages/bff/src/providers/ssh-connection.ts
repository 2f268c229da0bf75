import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { checkHostKey, fingerprint, knownHostsName, type HostKeyVerdict } from './known-hosts.js';

/** Where and as whom the BFF logs in to an SSH host. */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** A private key (the file's content); absent: the SSH agent at `agent`. */
  privateKey?: Buffer;
  /** The SSH agent's socket (`SSH_AUTH_SOCK`), used when there is no private key. */
  agent?: string;
  /** The known_hosts file that pins the host's key: read at every connection. */
  knownHostsFile: string;
}

/** What a command run on the host printed, and how it ended. */
export interface ExecResult {
  /** The exit code; null when it ended by a signal or the channel closed first. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** At most this much of a command's output is kept (a host's answer is not trusted to be small). */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/** An unused connection is closed after this long (it is opened again when needed). */
const IDLE_CLOSE_MS = 30_000;

/** Quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * One SSH connection to a host, shared by every runtime there: opened when first needed (the host
 * key checked against the known_hosts file), opened again after it dropped, closed when nothing
 * used it for a while. Commands run over exec channels, files go over SFTP, and a runtime's link
 * runs over a channel forwarded to its Unix socket (OpenSSH's streamlocal forwarding).
 */
export class SshConnection {
  #client: Promise<Client> | null = null;
  /** Channels and calls in use: the connection is kept while any are. */
  #users = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly target: SshTarget) {}

  /** `user@host:port`, for messages. */
  get where(): string {
    return `${this.target.username}@${knownHostsName(this.target.host, this.target.port)}`;
  }

  /**
   * Runs a POSIX shell script on the host (`sh -c`, whatever the login shell), with `args` as its
   * positional parameters ($1 …), so no value is spliced into the script. `stdin` is written to it
   * and closed (a secret goes here, never in argv); `signal` closes the channel.
   */
  async exec(script: string, args: string[] = [], options: { stdin?: string; signal?: AbortSignal } = {}) {
    const command = ['sh', '-c', script, 'sh', ...args].map(shellQuote).join(' ');
    return this.#using(async (client) => {
      const channel = await new Promise<ClientChannel>((resolve, reject) =>
        client.exec(command, (error, opened) => (error ? reject(error) : resolve(opened))),
      );
      return new Promise<ExecResult>((resolve, reject) => {
        const stdout = { chunks: [] as Buffer[], bytes: 0 };
        const stderr = { chunks: [] as Buffer[], bytes: 0 };
        const keep = (into: typeof stdout) => (chunk: Buffer) => {
          if (into.bytes >= MAX_OUTPUT_BYTES) return;
          into.chunks.push(chunk);
          into.bytes += chunk.length;
        };
        let code: number | null = null;
        const abort = () => channel.close();
        options.signal?.addEventListener('abort', abort, { once: true });
        channel.on('data', keep(stdout));
        channel.stderr.on('data', keep(stderr));
        channel.on('exit', (exitCode: number | null) => (code = typeof exitCode === 'number' ? exitCode : null));
        channel.once('error', reject);
        channel.once('close', () => {
          options.signal?.removeEventListener('abort', abort);
          if (options.signal?.aborted) reject(new Error('cancelled'));
          else
            resolve({
              code,
              stdout: Buffer.concat(stdout.chunks).toString('utf8'),
              stderr: Buffer.concat(stderr.chunks).toString('utf8'),
            });
        });
        channel.end(options.stdin);
      });
    });
  }

  /** Runs `work` with an SFTP session, ended afterwards. */
  sftp<T>(work: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    return this.#using(async (client) => {
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
        client.sftp((error, opened) => (error ? reject(error) : resolve(opened))),
      );
      try {
        return await work(sftp);
      } finally {
        sftp.end();
      }
    });
  }

  /**
   * A channel to the Unix socket `path` on the host, as a stream: the connection is kept while it
   * is open. Rejects when nothing listens there or the server does not forward (sshd's
   * `AllowStreamLocalForwarding`).
   */
  async forwardStreamLocal(path: string): Promise<Duplex> {
    this.#hold();
    try {
      const client = await this.#connect();
      const channel = await new Promise<ClientChannel>((resolve, reject) =>
        client.openssh_forwardOutStreamLocal(path, (error, opened) => (error ? reject(error) : resolve(opened))),
      );
      channel.once('close', () => this.#release());
      return channel;
    } catch (error) {
      this.#release();
      throw new Error(
        `${this.where} did not open a channel to ${path} (${errorText(error)}): the runtime is not listening, or the SSH server does not allow Unix socket forwarding (AllowStreamLocalForwarding)`,
      );
    }
  }

  /** Closes the connection now (it is opened again when needed). */
  close(): void {
    clearTimeout(this.#idleTimer);
    const client = this.#client;
    this.#client = null;
    void client?.then((c) => c.end()).catch(() => undefined);
  }

  async #using<T>(work: (client: Client) => Promise<T>): Promise<T> {
    this.#hold();
    try {
      return await work(await this.#connect());
    } finally {
      this.#release();
    }
  }

  #hold(): void {
    this.#users++;
    clearTimeout(this.#idleTimer);
  }

  #release(): void {
    this.#users--;
    if (this.#users > 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS);
    this.#idleTimer.unref();
  }

  #connect(): Promise<Client> {
    this.#client ??= this.#open().catch((error: unknown) => {
      this.#client = null;
      throw error;
    });
    return this.#client;
  }

  async #open(): Promise<Client> {
    const { host, port, username, privateKey, agent, knownHostsFile } = this.target;
    let knownHosts: string;
    try {
      knownHosts = await readFile(knownHostsFile, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the known_hosts file ${knownHostsFile} (${errorText(error)}).`);
    }
    let refused: string | undefined;
    const config: ConnectConfig = {
      host,
      port,
      username,
      ...(privateKey ? { privateKey } : { agent }),
      readyTimeout: 15_000,
      // A dead connection is noticed (and a new one made) within about a minute.
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        const verdict = checkHostKey(knownHosts, host, port, key);
        if (verdict !== 'match') refused = hostKeyRefusal(verdict, knownHostsName(host, port), key, knownHostsFile);
        return verdict === 'match';
      },
    };
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', (error: Error & { level?: string }) => {
        if (refused) reject(new Error(refused));
        else if (error.level === 'client-authentication')
          reject(
            new Error(
              `${this.where} refused the login (${error.message}): ${
                privateKey
                  ? 'its authorized_keys does not hold the public key of REMOTE_CHAT_SSH_KEY'
                  : 'the SSH agent offered no key it accepts'
              }.`,
            ),
          );
        else reject(new Error(`Cannot reach ${this.where} over SSH: ${error.message}.`));
      });
      client.connect(config);
    });
    client.on('error', () => undefined);
    // A dropped connection is made anew on the next use.
    client.once('close', () => this.#forget(client));
    return client;
  }

  #forget(client: Client): void {
    void this.#client?.then(
      (current) => {
        if (current === client) this.#client = null;
      },
      () => undefined,
    );
  }
}

function hostKeyRefusal(verdict: HostKeyVerdict, name: string, key: Buffer, file: string): string {
  const print = fingerprint(key);
  if (verdict === 'changed')
    return `The host key of ${name} has changed (it now offers ${print}, which ${file} does not pin): refusing to connect. If the host was reinstalled, replace its line in ${file}.`;
  if (verdict === 'revoked') return `The host key of ${name} (${print}) is revoked in ${file}: refusing to connect.`;
  return `The host key of ${name} (${print}) is not in ${file}: refusing to connect to an unknown host. Check the fingerprint, then add the host's key (ssh-keyscan -p PORT HOST >> ${file}).`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
