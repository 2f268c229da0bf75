import { PROTOCOL_VERSION } from '@remote-chat/protocol';
import { onTestFinished } from 'vitest';
import WebSocket from 'ws';

/** What a machine reports after each handshake (`runtime.info`): the BFF lists it ready only then. */
export const MACHINE_INFO = {
  type: 'runtime.info',
  version: '0.1.0',
  agents: [{ id: 'shell', label: 'Shell' }],
  project: 'app',
  gitRemote: 'https://github.com/octo/app.git',
  machine: { id: 'mc_laptop000000000001', name: 'laptop' },
} as const;

/** A frame the BFF sends down a runtime link. */
export interface LinkFrame {
  type: string;
  seq?: number;
  lastReceived?: number;
  t?: number;
  message?: { type: string; [key: string]: unknown };
}

/**
 * A user's machine on `WS /api/link`, speaking the link protocol by hand so a test sees every
 * frame: it says hello, records what arrives, and acknowledges only when told to.
 */
export class MachineLink {
  readonly frames: LinkFrame[] = [];
  private waiters: Array<() => void> = [];
  private pings = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as LinkFrame);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Dials the BFF and completes the handshake; rejects with the close code if refused. */
  static async open(bffUrl: string, options: { token: string; runtimeId: string; lastReceived: number }) {
    const socket = new WebSocket(`${bffUrl.replace(/^http/, 'ws')}/api/link`);
    onTestFinished(() => socket.terminate());
    const link = new MachineLink(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    link.send({ type: 'hello', protocol: PROTOCOL_VERSION, ...options });
    await link.until(() => link.frames.some((f) => f.type === 'welcome'), 'the welcome');
    return link;
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The data frames that carried a message of this type. */
  messages(type: string): LinkFrame[] {
    return this.frames.filter((f) => f.type === 'data' && f.message?.type === type);
  }

  /**
   * A ping and its pong: the BFF answers in order, so whatever it sent before reading the ping
   * (a resend after the handshake, a queued message) has arrived once this resolves.
   */
  async roundTrip(): Promise<void> {
    const t = ++this.pings;
    this.send({ type: 'ping', t });
    await this.until(() => this.frames.some((f) => f.type === 'pong' && f.t === t), 'the pong');
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.close();
    await closed;
  }

  async until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`the link closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 1000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** How a machine's `hello` on `WS /api/link` was answered. */
export interface HelloAnswer {
  /** 0 for a welcome, else the close code (or the HTTP status of a refused upgrade). */
  code: number;
  socket: WebSocket;
  /** Resolves with the close code whenever the link closes. */
  closed: Promise<number>;
}

/**
 * Dials the BFF's link endpoint as a machine would, from `localAddress` (any 127.x address is
 * this machine), says hello and resolves with the answer; the socket is ended after the test.
 */
export function hello(
  bffUrl: string,
  token: string,
  runtimeId: string,
  options: { localAddress?: string } = {},
): Promise<HelloAnswer> {
  const socket = new WebSocket(`${bffUrl.replace(/^http/, 'ws')}/api/link`, options);
  onTestFinished(() => socket.terminate());
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return new Promise((resolve) => {
    socket.once('open', () =>
      socket.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, runtimeId, token, lastReceived: 0 })),
    );
    socket.once('unexpected-response', (_req, res) => {
      resolve({ code: res.statusCode ?? 0, socket, closed });
      socket.terminate();
    });
    socket.on('error', () => undefined);
    socket.once('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'welcome') resolve({ code: 0, socket, closed });
    });
    void closed.then((code) => resolve({ code, socket, closed }));
  });
}
