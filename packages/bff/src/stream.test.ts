import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { textFrame } from './stream.js';

describe('textFrame', () => {
  it('builds frames a WebSocket client reads as the same text, at every header size', async () => {
    // Byte lengths at each boundary of the 7-bit, 16-bit and 64-bit length forms, and multi-byte text.
    const payloads = [0, 1, 125, 126, 127, 65_535, 65_536, 70_001].map((length) => 'x'.repeat(length));
    payloads.push('é€ 😀'.repeat(20_000));
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    server.on('connection', (ws, request) => {
      for (const payload of payloads) request.socket.write(textFrame(payload));
    });
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const received: Array<{ text: string; isBinary: boolean }> = [];
    client.on('message', (data, isBinary) => received.push({ text: String(data), isBinary }));
    try {
      await expect.poll(() => received.length, { timeout: 5000 }).toBe(payloads.length);
      expect(received.map((r) => r.isBinary)).toEqual(payloads.map(() => false));
      expect(received.map((r) => r.text)).toEqual(payloads);
    } finally {
      client.close();
      server.close();
    }
  });
});
