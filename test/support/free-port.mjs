// Shared by the tests and the benchmarks (plain JavaScript so that both can import it).
import { createServer } from 'node:net';

/**
 * A port on 127.0.0.1 that was free a moment ago, for a server whose address must be known before
 * it starts (a Postgres cluster, a BFF restarted on the same port, a host site's origin).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
