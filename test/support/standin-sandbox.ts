import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { isAbsolute, join, normalize, relative } from 'node:path';
import type { Duplex } from 'node:stream';

/**
 * One sandbox of the E2B and Daytona stand-ins: a folder plus real processes on this machine.
 *
 * Every process of a sandbox runs under bubblewrap with the host's root read-only, the sandbox's
 * home folder (`/home/user` for E2B, `/home/daytona` for Daytona) and `/tmp` bound to folders of
 * its own, and one network namespace per sandbox: a server in it listens on any port (as in a
 * real sandbox, two sandboxes may both use port 8080) and the host cannot reach it except through
 * {@link StandinSandbox.connect}, which a small forwarder inside the namespace serves over a Unix
 * socket. Pause stops every process with SIGSTOP and resume continues them with SIGCONT, so
 * processes survive a pause as they do in E2B's memory snapshots (Daytona's stop does not keep
 * processes; its stand-in kills them instead).
 */
export class StandinSandbox {
  /** `running`, or `paused` while its processes are stopped. */
  state: 'running' | 'paused' = 'running';
  readonly commands = new Map<number, StandinCommand>();
  private nextPid = 1000;

  private constructor(
    /** The folder holding `home/` and `tmp/`. */
    readonly dir: string,
    /** The home folder as processes inside see it. */
    readonly home: string,
    private readonly holder: ChildProcess,
    private readonly netnsPid: number,
    private readonly forwardSocket: string,
  ) {}

  static async start(dir: string, home: string): Promise<StandinSandbox> {
    for (const sub of ['home', 'tmp', 'standin']) mkdirSync(join(dir, sub), { recursive: true });
    const forwardSocket = join(dir, 'standin', 'forward.sock');
    const holder = spawn(
      'bwrap',
      [
        '--ro-bind',
        '/',
        '/',
        '--bind',
        join(dir, 'standin'),
        join(dir, 'standin'),
        '--unshare-net',
        '--die-with-parent',
        '--info-fd',
        '3',
        process.execPath,
        '-e',
        FORWARDER,
        forwardSocket,
      ],
      { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] },
    );
    const info = await new Promise<string>((resolve, reject) => {
      let text = '';
      holder.stdio[3]?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      holder.stdio[3]?.on('end', () => resolve(text));
      holder.on('error', reject);
    });
    const childPid = Number((JSON.parse(info) as { 'child-pid'?: unknown })['child-pid']);
    await new Promise<void>((resolve, reject) => {
      holder.stdout?.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`sandbox network holder exited (${code})`)));
    });
    return new StandinSandbox(dir, home, holder, childPid, forwardSocket);
  }

  /**
   * The host path of `path` as a process inside sees it: absolute under the home folder or
   * `/tmp`, or relative to the home folder. Anything else (the read-only rest, `..` escapes) is
   * refused with `undefined`.
   */
  hostPath(path: string): string | undefined {
    const absolute = normalize(isAbsolute(path) ? path : join(this.home, path));
    for (const [inside, outside] of [
      [this.home, join(this.dir, 'home')],
      ['/tmp', join(this.dir, 'tmp')],
    ] as const) {
      const rest = relative(inside, absolute);
      if (!rest.startsWith('..') && !isAbsolute(rest)) return join(outside, rest);
    }
    return undefined;
  }

  /** Starts `cmd args` inside the sandbox; its output and exit go to the returned command's listeners. */
  spawn(
    cmd: string,
    args: readonly string[],
    options: { cwd?: string; envs?: Record<string, string>; stdin?: boolean; tag?: string } = {},
  ): StandinCommand {
    const cwd = options.cwd ?? this.home;
    const child = spawn(
      'nsenter',
      [
        `--net=/proc/${this.netnsPid}/ns/net`,
        '--',
        'bwrap',
        '--ro-bind',
        '/',
        '/',
        '--tmpfs',
        '/home',
        '--bind',
        join(this.dir, 'home'),
        this.home,
        '--bind',
        join(this.dir, 'tmp'),
        '/tmp',
        '--dev',
        '/dev',
        '--proc',
        '/proc',
        '--die-with-parent',
        '--chdir',
        this.hostPath(cwd) === undefined ? this.home : cwd,
        cmd,
        ...args,
      ],
      {
        // Its own process group, so pause, resume and kill reach everything it starts.
        detached: true,
        stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          HOME: this.home,
          USER: this.home.split('/').pop(),
          LANG: 'C.UTF-8',
          ...options.envs,
        },
      },
    );
    const command = new StandinCommand(this.nextPid++, cmd, args, cwd, options.envs ?? {}, options.tag, child);
    this.commands.set(command.pid, command);
    child.on('exit', () => this.commands.delete(command.pid));
    return command;
  }

  /** Stops every process (SIGSTOP): a paused sandbox keeps its files and its processes. */
  pause(): void {
    this.state = 'paused';
    for (const command of this.commands.values()) command.signal('SIGSTOP');
  }

  /** Continues every process stopped by {@link pause}. */
  resume(): void {
    this.state = 'running';
    for (const command of this.commands.values()) command.signal('SIGCONT');
  }

  /** Kills every process of the sandbox (its files stay until {@link destroy}). */
  killProcesses(): void {
    for (const command of this.commands.values()) {
      command.signal('SIGKILL');
      command.signal('SIGCONT');
    }
    this.commands.clear();
  }

  /** Kills every process, the network holder, and removes the folder. */
  destroy(): void {
    this.killProcesses();
    this.holder.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A socket to `port` inside the sandbox's network, or an error when nothing listens there. */
  connect(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.forwardSocket);
      socket.once('error', reject);
      socket.once('connect', () => socket.write(`${port}\n`));
      socket.once('data', (chunk: Buffer) => {
        socket.off('error', reject);
        if (chunk[0] !== 0x2b /* + */) {
          socket.destroy();
          reject(new Error(`nothing listens on port ${port} in the sandbox`));
          return;
        }
        if (chunk.length > 1) socket.unshift(chunk.subarray(1));
        resolve(socket);
      });
    });
  }

  /** Proxies an HTTP request to `port` inside the sandbox; 502 when nothing listens there. */
  async proxyRequest(request: IncomingMessage, response: ServerResponse, port: number): Promise<void> {
    let socket: Socket;
    try {
      socket = await this.connect(port);
    } catch (error) {
      response.writeHead(502, { 'content-type': 'text/plain' }).end(String((error as Error).message));
      return;
    }
    const upstream = httpRequest(
      { createConnection: () => socket, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  }

  /** Proxies an HTTP upgrade (a WebSocket) to `port` inside the sandbox, byte for byte. */
  async proxyUpgrade(request: IncomingMessage, client: Duplex, head: Buffer, port: number): Promise<void> {
    let socket: Socket;
    try {
      socket = await this.connect(port);
    } catch {
      client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const lines = [`${request.method} ${request.url} HTTP/1.1`];
    for (let i = 0; i < request.rawHeaders.length; i += 2)
      lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) socket.write(head);
    socket.pipe(client).pipe(socket);
    socket.on('error', () => client.destroy());
    client.on('error', () => socket.destroy());
  }
}

/** A process started in a sandbox: output and exit as events, kept while it runs. */
export class StandinCommand {
  /** Output chunks and the exit, for every listener attached (streams attach and detach). */
  private readonly listeners = new Set<(event: StandinCommandEvent) => void>();
  exit: { exitCode: number; signal: string | null } | undefined;

  constructor(
    readonly pid: number,
    readonly cmd: string,
    readonly args: readonly string[],
    readonly cwd: string,
    readonly envs: Record<string, string>,
    readonly tag: string | undefined,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (data: Buffer) => this.emit({ type: 'stdout', data }));
    child.stderr?.on('data', (data: Buffer) => this.emit({ type: 'stderr', data }));
    child.on('close', (code, signal) => {
      this.exit = { exitCode: code ?? -1, signal };
      this.emit({ type: 'exit', ...this.exit });
    });
  }

  /** Calls `listener` with every later event; returns the function that detaches it. */
  listen(listener: (event: StandinCommandEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.exit) listener({ type: 'exit', ...this.exit });
    return () => this.listeners.delete(listener);
  }

  /** Sends `signal` to the command's whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined || this.exit) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  private emit(event: StandinCommandEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

export type StandinCommandEvent =
  | { type: 'stdout' | 'stderr'; data: Buffer }
  | { type: 'exit'; exitCode: number; signal: string | null };

/**
 * Runs inside a sandbox's network namespace: each connection on the Unix socket names a port on
 * its first line; the forwarder answers `+` and pipes bytes to 127.0.0.1:port, or answers `-`.
 * It prints one line when listening.
 */
const FORWARDER = `
const net = require('node:net');
const server = net.createServer((client) => {
  let buffered = Buffer.alloc(0);
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf(10);
    if (end < 0) { if (buffered.length > 8) client.destroy(); return; }
    client.off('data', onData);
    client.pause();
    const port = Number(buffered.subarray(0, end).toString());
    const rest = buffered.subarray(end + 1);
    const target = net.connect(port, '127.0.0.1');
    let open = false;
    target.once('connect', () => {
      open = true;
      client.write('+');
      if (rest.length > 0) target.write(rest);
      client.pipe(target).pipe(client);
      client.resume();
    });
    target.on('error', () => { if (open) client.destroy(); else client.end('-'); });
    client.on('error', () => target.destroy());
  };
  client.on('data', onData);
  client.on('error', () => {});
});
server.listen(process.argv[1], () => console.log('listening'));
`;

const MAX_JSON_BYTES = 1024 * 1024;

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

/** The request body, or `undefined` when it is larger than `limit`. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A JSON request body (at most 1 MiB), or `undefined` when it is not JSON. */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const body = await readBody(request, MAX_JSON_BYTES);
  try {
    return JSON.parse(body?.toString() || '{}');
  } catch {
    return undefined;
  }
}
