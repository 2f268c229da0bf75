// A BFF in its own process, for the benchmarks: the driver (runtimes and browsers) runs in the
// parent, so the BFF's event loop does only the BFF's work and can be killed, restarted and
// measured on its own. Configured by BENCH_BFF (JSON); talks to the parent over IPC.
import { readFileSync } from 'node:fs';
import { configuredProviders, createLogger, startServer } from '@remote-chat/bff';

const config = JSON.parse(process.env.BENCH_BFF ?? '{}');
const logger = createLogger(config.logLevel ?? 'silent');
// `config.env`: provider settings by environment, as `remote-chat-bff` reads them.
const providers = config.env
  ? await configuredProviders({
      env: config.env,
      context: { dataDir: config.dataDir, logger, idleTimeoutMs: config.idleTimeoutMs ?? 3_600_000 },
    })
  : [];
const server = await startServer({
  configuredProviders: providers,
  ...(config.processProviderFor && { processProviderFor: config.processProviderFor }),
  ...(config.idleTimeoutMs && { idleTimeoutMs: config.idleTimeoutMs, idleCheckMs: config.idleCheckMs ?? 100 }),
  port: config.port ?? 0,
  host: '127.0.0.1',
  dataDir: config.dataDir,
  ...(config.databaseUrl && { databaseUrl: config.databaseUrl }),
  // A cluster (bench/scale.mjs): the same secret on every instance, each its own name.
  ...(config.secret && { secret: config.secret }),
  ...(config.instanceId && { instanceId: config.instanceId }),
  ...(config.redisUrl && { redisUrl: config.redisUrl }),
  ...(config.sqliteSynchronous && { sqliteSynchronous: config.sqliteSynchronous }),
  ...(config.stream && { stream: config.stream }),
  ...(config.gateway && { gateway: config.gateway }),
  logger,
});
const { store } = server.chat;

function memory() {
  // Twice: the first pass can leave finalised objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  const usage = process.memoryUsage();
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return { ...usage, vmRss: rss ? Number(rss[1]) * 1024 : usage.rss, gc: typeof globalThis.gc === 'function' };
}

/** Appends `n` copies of `body` (with its counter in `data`) to a thread through the public store API. */
async function seed({ threadId, n, batch, body }) {
  const started = performance.now();
  const make = (i) => ({ ...body, data: body.data.replace('{i}', String(i)) });
  let i = 0;
  const batched = typeof store.appendEvents === 'function';
  while (i < n) {
    if (batched) {
      const items = [];
      for (let k = 0; k < batch && i < n; k++) items.push({ body: make(++i) });
      await store.appendEvents(threadId, items);
    } else {
      await store.appendEvent(threadId, make(++i));
    }
  }
  return {
    ms: performance.now() - started,
    via: batched ? `store.appendEvents (batches of ${batch})` : 'store.appendEvent',
  };
}

/** Times `n` sequential single-event appends (one transaction each), as the link handles them. */
async function timeAppends({ threadId, n, body }) {
  const times = [];
  for (let i = 1; i <= n; i++) {
    const started = performance.now();
    await store.appendEvent(threadId, { ...body, data: body.data.replace('{i}', String(i)) });
    times.push(performance.now() - started);
  }
  return times;
}

/** CPU time and event-loop utilisation so far; the parent takes differences. */
function load() {
  return { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), at: performance.now() };
}

const ops = {
  load: async () => load(),
  timeAppends,
  memory: async () => memory(),
  signin: async () => server.signinLink(),
  seed,
  thread: async ({ threadId }) => store.getThread(threadId),
  close: async () => {
    await server.close();
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', async (message) => {
  const { id, op, args } = message;
  try {
    const result = await ops[op](args ?? {});
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.stack : String(error) });
  }
});
process.send({
  ready: true,
  url: server.url,
  signin: await server.signinLink(),
  dialect: store.dialect,
  pid: process.pid,
});
