// npm run bench:scale — several BFF instances behind nginx on one Postgres (issue 16): 1,000
// browser subscribers and 100 machine runtimes streaming through nginx, one instance SIGKILLed
// mid-run; beside the same load on one instance, in the same run. Prints events delivered per
// second, end-to-end latency (runtime send → browser receive) and the exact counts of events lost
// and doubled, in the store and at the browsers.
// BENCH_QUICK=1 runs a smaller load; BENCH_INSTANCES=3 runs three instances; BENCH_REDIS=1 fans out
// through Redis (redis-server from Debian) instead of LISTEN/NOTIFY.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  api,
  freePort,
  MachineRuntime,
  newThread,
  now,
  outputEvent,
  owner,
  QUICK,
  removeTemps,
  sleep,
  socketBudget,
  startBff,
  startPostgres,
  Subscriber,
  summary,
  tempDir,
  until,
} from './lib/harness.mjs';
import { startRedisServer } from '../test/support/redis-server.mjs';

const RUNTIMES = QUICK ? 20 : 100;
const SUBSCRIBERS = socketBudget(QUICK ? 200 : 1000, console.log);
const EVENTS = QUICK ? 60 : 150; // per runtime
const RATE = 10; // events per second per runtime
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 2);

/** nginx from Debian in front of `ports`, WebSocket upgrade on, as docs/deploy.md configures it. */
async function startNginx(ports) {
  const dir = tempDir('rc-bench-nginx-');
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  upstream remote_chat {
${ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=30s;`).join('\n')}
    keepalive 32;
  }
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://remote_chat;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 1h;
      proxy_buffering off;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  process.on('exit', () => child.kill('SIGKILL'));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/healthz`);
      break;
    } catch {
      if (i > 100) throw new Error('nginx did not start');
      await sleep(50);
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function scenario(postgres, redisUrl, instances, killOne) {
  const databaseUrl = await postgres.database();
  const secret = randomBytes(32).toString('base64url');
  const bffs = [];
  for (let i = 0; i < instances; i++)
    bffs.push(
      await startBff({
        dataDir: tempDir(),
        databaseUrl,
        secret,
        instanceId: `bench-${i}`,
        ...(redisUrl && { redisUrl }),
      }),
    );
  const nginx = await startNginx(bffs.map((b) => Number(new URL(b.url).port)));
  const front = { url: nginx.url, signin: bffs[0].signin };
  const auth = await owner(front);

  // Runtimes dial nginx, which spreads them over the instances; they redial through it.
  const runtimes = [];
  const threads = [];
  for (let i = 0; i < RUNTIMES; i++) {
    const runtime = new MachineRuntime({
      url: nginx.url,
      token: auth.token,
      dialer: { minDelayMs: 100, maxDelayMs: 1000 },
    });
    await runtime.keepConnected();
    runtimes.push(runtime);
    threads.push(await newThread(front, auth, runtime.runtimeId));
  }
  const sentAt = threads.map(() => new Float64Array(EVENTS + 1));
  const latencies = [];
  let delivered = 0;
  let lastDelivery = 0;

  // Browsers through nginx, each following one thread; a closed stream resumes from its last seq.
  const subs = [];
  const follow = async (sub, threadIndex) => {
    for (;;) {
      try {
        await sub.open();
        break;
      } catch {
        await sleep(200);
      }
    }
    sub.subscribe(threads[threadIndex], sub.lastSeq);
    sub.ws.once('close', () => {
      if (!sub.done) void follow(sub, threadIndex);
    });
  };
  for (let i = 0; i < SUBSCRIBERS; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, SUBSCRIBERS - i) }, async (_, k) => {
        const threadIndex = (i + k) % RUNTIMES;
        const sub = new Subscriber(nginx.url, auth.cookie, {
          parse: 'quick',
          onEvent: (seq) => {
            delivered++;
            lastDelivery = now();
            const at = sentAt[threadIndex][seq];
            if (at) latencies.push(lastDelivery - at);
          },
        });
        subs.push(sub);
        sub.threadIndex = threadIndex;
        await follow(sub, threadIndex);
      }),
    );
  }
  await until(() => subs.every((s) => s.caughtUp), 30_000, 'every subscriber caught up', 20);

  // Each runtime streams EVENTS events at RATE a second; one instance dies half way.
  const started = now();
  let killed = false;
  await Promise.all(
    runtimes.map(async (runtime, r) => {
      await sleep(Math.random() * (1000 / RATE));
      for (let i = 1; i <= EVENTS; i++) {
        if (killOne && r === 0 && i === Math.floor(EVENTS / 2) && !killed) {
          killed = true;
          bffs[1].kill('SIGKILL');
        }
        sentAt[r][i] = now();
        await runtime.event(threads[r], outputEvent(i));
        await sleep(1000 / RATE);
      }
    }),
  );
  const sendEnd = now();
  let complete = true;
  await until(() => subs.every((s) => s.lastSeq >= EVENTS), 90_000, 'every event at every browser', 50).catch(
    () => (complete = false),
  );
  const elapsed = (lastDelivery - started) / 1000;

  // The store: each thread holds events 1..EVENTS, each counter once, in order.
  let storedLost = 0;
  let storedDoubled = 0;
  const survivor = bffs.find((b) => b.child.exitCode === null && b.child.signalCode === null);
  for (const threadId of threads) {
    const { events } = await api(survivor.url, auth.cookie, `/api/threads/${threadId}/events?limit=1000`);
    const counters = events.map((e) => Number(/^bench (\d+) /.exec(e.data ?? '')?.[1]));
    const seen = new Set(counters);
    storedDoubled += counters.length - seen.size;
    for (let i = 1; i <= EVENTS; i++) if (!seen.has(i)) storedLost++;
  }
  const browserLost = subs.reduce((n, s) => n + Math.max(0, EVENTS - s.received) + s.gaps, 0);
  const browserDoubled = subs.reduce((n, s) => n + s.duplicates, 0);
  const reconnects = subs.reduce((n, s) => n + s.closes.length, 0);

  for (const sub of subs) {
    sub.done = true;
    sub.terminate();
  }
  await Promise.all(runtimes.map((r) => r.close().catch(() => undefined)));
  await nginx.stop();
  await Promise.all(bffs.map((b) => b.close()));
  const lat = summary(latencies);
  return {
    setup: `${instances} instance${instances > 1 ? 's' : ''}${killOne ? ', one SIGKILLed' : ''}`,
    complete,
    eventsPerSecond: Math.round(delivered / elapsed),
    stored: RUNTIMES * EVENTS,
    delivered,
    p50: lat.p50,
    p99: lat.p99,
    max: lat.max,
    storedLost,
    storedDoubled,
    browserLost,
    browserDoubled,
    reconnects,
    drainMs: Math.round(lastDelivery - sendEnd),
  };
}

const postgres = await startPostgres();
if (!postgres) throw new Error('bench:scale needs PostgreSQL (apt-get install postgresql)');
const redis = process.env.BENCH_REDIS === '1' ? await startRedisServer() : null;
console.log(
  `bench:scale: ${RUNTIMES} runtimes × ${EVENTS} events at ${RATE}/s, ${SUBSCRIBERS} browsers, through nginx; fan-out through ${redis ? 'Redis' : 'LISTEN/NOTIFY'}`,
);
const rows = [];
rows.push(await scenario(postgres, redis?.url, 1, false));
rows.push(await scenario(postgres, redis?.url, INSTANCES, true));
const fmt = (n) => (Number.isFinite(n) ? n.toFixed(1) : String(n));
console.log(
  '\n| setup | events delivered/s | p50 ms | p99 ms | max ms | lost (store / browsers) | doubled (store / browsers) | stream reconnects | complete |',
);
console.log('| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |');
for (const r of rows)
  console.log(
    `| ${r.setup} | ${r.eventsPerSecond} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.storedLost} / ${r.browserLost} | ${r.storedDoubled} / ${r.browserDoubled} | ${r.reconnects} | ${r.complete ? 'yes' : 'NO'} |`,
  );
await redis?.stop();
await postgres.stop();
removeTemps();
process.exit(
  rows.every((r) => r.complete && r.storedLost + r.browserLost + r.storedDoubled + r.browserDoubled === 0) ? 0 : 1,
);
