import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** One HTTP response as read off a raw connection. */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Reads the responses to pipelined HTTP/1.1 requests off one connection, in order: bodies by
 * Content-Length, chunked, or up to the close; none for HEAD, 1xx, 204 and 304. Interim 1xx
 * answers (`100 Continue`) are skipped, except `101`, which ends HTTP on the connection.
 */
export class ResponseReader {
  readonly responses: RawResponse[] = [];
  private buffer = Buffer.alloc(0);
  private head: { status: number; headers: Map<string, string> } | undefined;
  /** Set once a 101 came: what follows is the upgraded protocol's. */
  upgraded: Buffer | undefined;

  /** `methods` are the requests' methods, in order, so that a HEAD's answer is read without a body. */
  constructor(private readonly methods: string[] = []) {}

  push(chunk: Buffer): void {
    if (this.upgraded) {
      this.upgraded = Buffer.concat([this.upgraded, chunk]);
      return;
    }
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.step()) {
      // Each step takes one head or one body off the buffer.
    }
  }

  /** The connection closed: a body that runs to the close ends here. */
  end(): void {
    if (this.head && !this.upgraded) {
      this.responses.push({ ...this.head, body: this.buffer });
      this.head = undefined;
      this.buffer = Buffer.alloc(0);
    }
  }

  private step(): boolean {
    if (!this.head) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      this.buffer = this.buffer.subarray(end + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
      if (!Number.isInteger(status)) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      if (status === 101) {
        this.responses.push({ status, headers, body: Buffer.alloc(0) });
        this.upgraded = this.buffer;
        return false;
      }
      if (status >= 100 && status < 200) return true;
      const method = this.methods.shift();
      this.head = { status, headers };
      if (method === 'HEAD' || status === 204 || status === 304) return this.finish(0);
      return true;
    }
    const { headers } = this.head;
    if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') return this.chunked();
    const length = headers.get('content-length');
    if (length === undefined) return false;
    if (this.buffer.length < Number(length)) return false;
    return this.finish(Number(length));
  }

  private chunked(): boolean {
    const parts: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const lineEnd = this.buffer.indexOf('\r\n', offset);
      if (lineEnd < 0) return false;
      const size = Number.parseInt(this.buffer.subarray(offset, lineEnd).toString('latin1'), 16);
      if (size === 0) {
        const trailerEnd = this.buffer.indexOf('\r\n\r\n', lineEnd);
        if (trailerEnd < 0) return false;
        this.responses.push({ ...this.head!, body: Buffer.concat(parts) });
        this.head = undefined;
        this.buffer = this.buffer.subarray(trailerEnd + 4);
        return true;
      }
      if (this.buffer.length < lineEnd + 2 + size + 2) return false;
      parts.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
    }
  }

  private finish(length: number): boolean {
    this.responses.push({ ...this.head!, body: this.buffer.subarray(0, length) });
    this.head = undefined;
    this.buffer = this.buffer.subarray(length);
    return true;
  }
}

/** Writes `bytes` to a fresh connection, half-closes it unless `keepOpen`, and feeds what comes back to `onData`. */
export function rawExchange(
  url: string,
  bytes: Buffer,
  onData: (chunk: Buffer) => void,
  options: { keepOpen?: boolean; timeoutMs?: number } = {},
): { socket: Socket; closed: Promise<void> } {
  const { port, hostname } = new URL(url);
  const socket = connect({ port: Number(port), host: hostname });
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server neither answered nor closed within ${options.timeoutMs ?? 15_000} ms`));
    }, options.timeoutMs ?? 15_000);
    socket.on('data', onData);
    // A reset is the server's way of refusing too: what it answered before is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.on('connect', () => {
    socket.write(bytes);
    if (!options.keepOpen) socket.end();
  });
  return { socket, closed };
}

/** WebSocket opcodes. */
export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** A client's WebSocket frame, masked unless told; `declaredLength` may lie about the payload. */
export function wsFrame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; rsv?: number; masked?: boolean; declaredLength?: number } = {},
): Buffer {
  const { fin = true, rsv = 0, masked = true } = options;
  const length = options.declaredLength ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65_536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    head.push(...big);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from(head), mask, Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!))]);
}

/** One frame from the server (never masked). */
export interface ServerWsFrame {
  opcode: number;
  payload: Buffer;
}

/** Decodes the server's frames from the bytes after a 101; returns them and what is left over. */
export function readWsFrames(bytes: Buffer): { frames: ServerWsFrame[]; rest: Buffer } {
  const frames: ServerWsFrame[] = [];
  let offset = 0;
  for (;;) {
    if (bytes.length < offset + 2) break;
    const opcode = bytes[offset]! & 0x0f;
    let length = bytes[offset + 1]! & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      if (bytes.length < start + 2) break;
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (bytes.length < start + 8) break;
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (bytes.length < start + length) break;
    frames.push({ opcode, payload: bytes.subarray(start, start + length) });
    offset = start + length;
  }
  return { frames, rest: bytes.subarray(offset) };
}

/** The headers of a WebSocket upgrade request, a fresh key each time. */
export function upgradeHeaders(): string {
  return (
    'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`
  );
}
