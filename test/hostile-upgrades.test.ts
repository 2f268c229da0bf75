import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { StreamClient, signIn } from './support/bff.js';
import { spawnBff } from './support/bff-process.js';
import { upgradeHeaders } from './support/raw-http.js';
import { tempDir } from './support/temp-dir.js';

/** Opens a TCP connection to the server, writes `request` as it is, and resolves with the connected socket. */
function rawConnection(url: string, request: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.off('error', reject);
      // A reset after this is the test's own doing or the server's answer: the caller looks.
      socket.on('error', () => undefined);
      socket.write(request);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Sends one raw request and resolves with what the server answered before it closed (or '' on a reset). */
async function rawRequest(url: string, request: string): Promise<string> {
  const socket = await rawConnection(url, request);
  return new Promise((resolve) => {
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    // An upgrade the server accepted stays open: the status line is all we wait for.
    socket.on('data', () => answer.includes('\r\n') && socket.destroy());
  });
}

describe('hostile upgrade requests', () => {
  it('answers upgrade targets that are no URL with 400 and keeps serving', async () => {
    const dataDir = tempDir('rc-upgrade-');
    const bff = await spawnBff(['--data-dir', dataDir]);
    for (const path of ['/api/stream', '/api/link', '/api/agent']) {
      for (const target of [`http://[${path}`, `//[${path}`, `http://[:99999${path}`, `//%zz${path}`]) {
        const answer = await rawRequest(bff.url, `GET ${target} HTTP/1.1\r\nHost: x\r\n${upgradeHeaders()}\r\n`);
        expect(answer, `GET ${target}`).toMatch(/^HTTP\/1\.1 400 /);
      }
    }
    expect(bff.child.exitCode).toBeNull();

    // Still serving, both REST and the stream.
    expect((await fetch(`${bff.url}/api/config`)).status).toBe(200);
    const stream = await StreamClient.open(bff.url, await signIn(bff.signinLink));
    stream.send({ type: 'ping', id: 7 });
    await stream.until(() => stream.frames.some((f) => f.type === 'pong'));
  });

  it('survives peers that reset the connection while their upgrade is being authenticated', async () => {
    const dataDir = tempDir('rc-upgrade-');
    const bff = await spawnBff(['--data-dir', dataDir]);
    const cookie = await signIn(bff.signinLink);
    // The stream looks the session (or ticket) up before it answers: reset during that lookup,
    // so the answer is written to a socket the peer has gone from.
    for (let i = 0; i < 50; i++) {
      const credential = i % 2 === 0 ? `Cookie: rc_session=nonesuch${i}\r\n` : `Cookie: ${cookie}\r\n`;
      const target = i % 3 === 0 ? '/api/stream?ticket=nonesuch' : '/api/stream';
      const socket = await rawConnection(
        bff.url,
        `GET ${target} HTTP/1.1\r\nHost: x\r\n${upgradeHeaders()}${credential}\r\n`,
      );
      socket.resetAndDestroy();
    }
    expect((await fetch(`${bff.url}/api/config`)).status).toBe(200);
    const stream = await StreamClient.open(bff.url, cookie);
    stream.send({ type: 'ping', id: 1 });
    await stream.until(() => stream.frames.some((f) => f.type === 'pong'));
    expect(bff.child.exitCode).toBeNull();
    expect(bff.output()).not.toMatch(/Error|at .*\.js/);
  });
});
