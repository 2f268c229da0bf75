// A private Redis server on loopback, shared by the tests (test/support/global-setup.ts) and the
// benchmarks. Plain JavaScript so that both can import it.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './free-port.mjs';

/** Answers once a PING on `port` gets PONG, or rejects after `ms`. */
async function pong(port, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('error', () => resolve(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(String(data).startsWith('+PONG'));
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts Debian's `redis-server` on a free loopback port, with no persistence. Throws when it is
 * not installed (`apt-get install redis-server`).
 * @returns {Promise<import('./redis-server.d.mts').RedisServer>}
 */
export async function startRedisServer() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await Promise.race([pong(port, 10_000), new Promise((_, reject) => child.once('error', reject))]);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
