import { createServer, connect, type Server, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/** A loopback TCP proxy whose connections a test can cut, to drop sockets without stopping processes. */
export interface TcpProxy {
  port: number;
  url: string;
  /** Destroys every open connection, both sides, at once. */
  dropAll(): number;
  /** While on, new connections are closed at once: the target looks unreachable. */
  refuse(on: boolean): void;
  /**
   * While on, what clients send is held in the proxy (the target gets none of it) while what the
   * target sends still reaches them: a peer's acknowledgements never arrive. Held bytes are lost
   * with `dropAll`.
   */
  holdFromClients(on: boolean): void;
  /** New connections go to this port from now on (a load balancer moving to another instance). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  let holding = false;
  let target = targetPort;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);
    if (holding) client.pause();
    else client.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const proxy: TcpProxy = {
    port,
    url: `http://127.0.0.1:${port}`,
    dropAll() {
      const n = pairs.size;
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      return n;
    },
    refuse(on) {
      refusing = on;
    },
    retarget(port) {
      target = port;
    },
    holdFromClients(on) {
      holding = on;
      for (const [client, upstream] of pairs) {
        if (on) {
          client.unpipe(upstream);
          client.pause();
        } else {
          client.pipe(upstream);
        }
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.dropAll();
        server.close(() => resolve());
      }),
  };
  onTestFinished(() => proxy.close());
  return proxy;
}
