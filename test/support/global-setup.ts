import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserServer } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_LAUNCH } from './chromium.mjs';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.mjs';
import { startRedisServer, type RedisServer } from './redis-server.mjs';
import type { TestService } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * Where test files ask for the run's shared services (`test/support/services.ts`): one
     * Chromium and one PostgreSQL server, each started the first time a test asks for it, so a
     * run of tests that need neither starts neither.
     */
    testServicesUrl: string;
  }
}

let browser: Promise<BrowserServer> | undefined;
let postgres: Promise<PostgresCluster> | undefined;
let redis: Promise<RedisServer> | undefined;
let broker: Server | undefined;

const start: Record<TestService, () => Promise<string>> = {
  chromium: async () => {
    browser ??= chromium.launchServer(CHROMIUM_LAUNCH);
    return (await browser).wsEndpoint();
  },
  postgres: async () => {
    if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
    postgres ??= startPostgresCluster();
    return (await postgres).url;
  },
  redis: async () => {
    redis ??= startRedisServer();
    return (await redis).url;
  },
};

export default async function setup(project: TestProject) {
  broker = createServer((req, res) => {
    const service = req.url?.slice(1) as TestService;
    if (!Object.hasOwn(start, service)) {
      res.writeHead(404).end();
      return;
    }
    start[service]().then(
      (address) => res.end(address),
      (error: unknown) => res.writeHead(500).end(error instanceof Error ? error.message : String(error)),
    );
  });
  await new Promise<void>((resolve) => broker!.listen(0, '127.0.0.1', resolve));
  project.provide('testServicesUrl', `http://127.0.0.1:${(broker.address() as AddressInfo).port}`);
  return async () => {
    broker?.close();
    await Promise.allSettled([
      browser?.then((b) => b.close()),
      postgres?.then((p) => p.stop()),
      redis?.then((r) => r.stop()),
    ]);
  };
}
