import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { RawData } from 'ws';

/** A loopback WebSocket server on a free port that hands every accepted socket to `onSocket`. */
export interface TestLinkServer {
  url: string;
  sockets: WebSocket[];
  close(): Promise<void>;
}

export async function startLinkServer(
  onSocket: (socket: WebSocket) => void,
  maxPayload = 1024 * 1024,
): Promise<TestLinkServer> {
  const server: Server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  const sockets: WebSocket[] = [];
  server.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.push(ws);
      onSocket(ws);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/link`,
    sockets,
    async close() {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A hand-driven WebSocket client that records every frame and the close code. */
export class RawPeer {
  readonly frames: unknown[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly opened: Promise<void>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: RawData) => {
      const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as Buffer).toString();
      try {
        this.frames.push(JSON.parse(text));
      } catch {
        this.frames.push(text);
      }
    });
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    socket.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      if (socket.readyState === socket.OPEN) resolve();
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
  }

  static async connect(url: string): Promise<RawPeer> {
    const peer = new RawPeer(new WebSocket(url, { perMessageDeflate: false }));
    await peer.opened;
    return peer;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Frames of one type, in arrival order. */
  ofType(type: string): Record<string, unknown>[] {
    return this.frames.filter(
      (frame): frame is Record<string, unknown> =>
        typeof frame === 'object' && frame !== null && (frame as { type?: unknown }).type === type,
    );
  }
}
