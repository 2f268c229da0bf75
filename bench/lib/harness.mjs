// Shared pieces of the benchmarks: child processes (BFF, bare relay, Postgres), signing in, a
// machine runtime on the link, browser-stream subscribers that check seq order, and statistics.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToRuntimeMessageSchema, streamTopic } from '@remote-chat/protocol';
import { LinkDialer, LinkOutboxFullError, LinkSession, dialLink } from '@remote-chat/link';
import WebSocket from 'ws';
import { findPostgres, startPostgresCluster } from '../../test/support/postgres-cluster.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
export const QUICK = process.env.BENCH_QUICK === '1';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => performance.now();
/** Milliseconds on the system-wide monotonic clock (CLOCK_MONOTONIC): comparable between processes of one machine. */
export const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

const temps = [];
export function tempDir(prefix = 'rc-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
export function removeTemps() {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Child processes

const children = new Set();
/** Kills every child still running (on exit, including a crash of the driver). */
export function killChildren() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.on('exit', killChildren);

/**
 * Forks `script` with `--expose-gc`, passes `config` as JSON in env `envName`, waits for its
 * `{ready}` message. Returns { child, url, pid, call(op, args), kill(signal), exited, output() }.
 */
export async function spawnChild(script, envName, config, { timeoutMs = 30_000, execArgv = [] } = {}) {
  const child = fork(join(here, script), [], {
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of every child (BFF, relay) into DIR on exit;
    // BENCH_HEAP_PROF=DIR a sampling heap profile (where the allocations that GC pays for are made).
    execArgv: [
      ...execArgv,
      '--expose-gc',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ...(process.env.BENCH_HEAP_PROF
        ? ['--heap-prof', `--heap-prof-dir=${process.env.BENCH_HEAP_PROF}`, '--heap-prof-interval=16384']
        : []),
    ],
    env: { ...process.env, [envName]: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const pending = new Map();
  let nextId = 0;
  let ready;
  const readyPromise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output}`)), timeoutMs);
    ready = (m) => {
      clearTimeout(timer);
      resolve(m);
    };
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  child.on('message', (m) => {
    if (m.ready) return ready(m);
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(`${script}: ${m.error}`));
    else p.resolve(m.result);
  });
  void exited.then(({ code, signal }) => {
    for (const p of pending.values())
      p.reject(new Error(`${script} exited (${code ?? signal}):\n${output.slice(-2000)}`));
    pending.clear();
  });
  const info = await readyPromise;
  return {
    ...info,
    child,
    exited,
    output: () => output,
    call(op, args) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, op, args });
      });
    },
    kill(signal = 'SIGKILL') {
      child.kill(signal);
      return exited;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await Promise.race([
        this.call('close')
          .catch(() => {})
          .then(() => exited),
        sleep(10_000),
      ]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * A BFF in a child process. `config`: { dataDir, databaseUrl?, port?, env? (provider settings),
 * idleTimeoutMs?, idleCheckMs?, processProviderFor? }; `options.execArgv` goes to its Node.
 */
export async function startBff(config, options = {}) {
  const bff = await spawnChild('bff-child.mjs', 'BENCH_BFF', config, options);
  return bff;
}

/** The bare `ws` relay baseline in a child process; `{ cork: true }` corks a tick's writes. */
export function startRelay(config = {}) {
  return spawnChild('relay-child.mjs', 'BENCH_RELAY', config);
}

/** A socket.io relay (stores nothing) in a child process: the peers scenario's socket.io column. */
export function startSocketIo(config = {}) {
  return spawnChild('socketio-child.mjs', 'BENCH_SOCKETIO', config);
}

export { freePort } from '../../test/support/free-port.mjs';

/**
 * A throwaway PostgreSQL cluster on loopback (test/support/postgres-cluster.mjs, as the tests use),
 * or null when PostgreSQL is not installed. Stopped when the driver exits.
 */
export async function startPostgres() {
  if (!findPostgres()) return null;
  const cluster = await startPostgresCluster({ prefix: 'rc-bench-pg-' });
  process.on('exit', cluster.stop);
  const base = cluster.url.slice(0, cluster.url.lastIndexOf('/'));
  let databases = 0;
  return {
    ...cluster,
    /** A fresh database for one BFF. */
    async database() {
      const name = `rc_bench_${process.pid}_${++databases}`;
      const pg = (await import('pg')).default;
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return `${base}/${name}`;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Signing in, REST

/** Signs the owner in through a one-time link; returns the cookie header. */
export async function signIn(link) {
  const response = await fetch(link, { redirect: 'manual' });
  if (response.status !== 303) throw new Error(`sign-in answered ${response.status}`);
  const cookie = response.headers.get('set-cookie');
  if (!cookie) throw new Error('sign-in set no cookie');
  return cookie.split(';')[0];
}

export async function api(url, cookie, path, body, method) {
  const response = await fetch(`${url}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { cookie, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${method ?? (body === undefined ? 'GET' : 'POST')} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Deletes every runtime the signed-in user has, through the BFF, so each provider tears its own
 * down: a Local process runtime outlives its BFF (by design, to be linked again after a restart).
 */
export async function deleteRuntimes(bff, auth) {
  const { runtimes } = await api(bff.url, auth.cookie, '/api/runtimes');
  for (const runtime of runtimes)
    await api(bff.url, auth.cookie, `/api/runtimes/${runtime.id}`, undefined, 'DELETE').catch(() => {});
}

/** Signs in and creates an API token: { cookie, token }. */
export async function owner(bff) {
  const cookie = await signIn(bff.signin);
  const { token } = await api(bff.url, cookie, '/api/tokens', { name: `bench ${Date.now()}` });
  return { cookie, token };
}

// ---------------------------------------------------------------------------------------------
// The machine runtime

/** What every benchmark event looks like: a terminal chunk whose data carries a counter. */
export function outputEvent(i, pad = 40) {
  return { kind: 'tool.output', callId: 'bench-call', stream: 'stdout', data: `bench ${i} ${'x'.repeat(pad)}\n` };
}
/** The counter of an event made by outputEvent. */
export function counterOf(event) {
  const m = /^bench (\d+) /.exec(event.data ?? '');
  return m ? Number(m[1]) : NaN;
}

const INFO = {
  type: 'runtime.info',
  version: 'bench',
  agents: [{ id: 'shell', label: 'Shell' }],
  project: 'bench',
  gitRemote: null,
  machine: null,
};

/**
 * A machine runtime as `remote-chat-runtime connect` is one: a LinkSession dialled to
 * `/api/link` with an API token. `redial` keeps it up through BFF restarts with a LinkDialer
 * (default backoff unless `dialer` options are given).
 */
export class MachineRuntime {
  constructor({ url, token, runtimeId = `rt_bench_${randomBytes(6).toString('hex')}`, maxOutbox, dialer }) {
    this.url = url.replace(/^http/, 'ws') + '/api/link';
    this.token = token;
    this.runtimeId = runtimeId;
    this.dialerOptions = dialer;
    this.opens = [];
    this.session = new LinkSession({
      inbound: ToRuntimeMessageSchema,
      onMessage: () => {},
      ...(maxOutbox && { maxOutbox }),
    });
    this.session.onState((state) => {
      if (state !== 'open') return;
      this.opens.push(now());
      // After the resends of the attach (a synchronous send here would jump ahead of them).
      setImmediate(() => this.session.state === 'open' && this.session.send(INFO));
    });
  }

  /** Dials once (no redial). */
  async connect() {
    await dialLink({ url: this.url, runtimeId: this.runtimeId, token: this.token, session: this.session });
  }

  /** Dials and keeps redialling after every close. Resolves when first open. */
  async keepConnected() {
    const opened = new Promise((resolve) => {
      const off = this.session.onState((s) => {
        if (s !== 'open') return;
        off();
        resolve();
      });
    });
    this.dialer = new LinkDialer({
      url: this.url,
      runtimeId: this.runtimeId,
      token: this.token,
      session: this.session,
      ...this.dialerOptions,
    });
    this.dialer.start();
    await opened;
  }

  /** Queues a message; when the outbox is full waits for acknowledgements. Returns the link seq. */
  async send(message) {
    for (;;) {
      try {
        return this.session.send(message);
      } catch (error) {
        if (!(error instanceof LinkOutboxFullError)) throw error;
        this.outboxFull = (this.outboxFull ?? 0) + 1;
        await sleep(1);
      }
    }
  }

  event(threadId, body) {
    return this.send({ type: 'thread.event', threadId, event: body });
  }

  async close() {
    if (this.dialer) await this.dialer.stop();
    else this.session.detach(1000, 'bench done');
  }
}

/** Registers a machine runtime and gives it a thread: { runtime, threadId }. */
export async function machineWithThread(bff, auth, options = {}) {
  const runtime = new MachineRuntime({ url: bff.url, token: auth.token, ...options });
  if (options.redial) await runtime.keepConnected();
  else await runtime.connect();
  const threadId = await newThread(bff, auth, runtime.runtimeId);
  return { runtime, threadId };
}

export async function newThread(bff, auth, runtimeId) {
  // The runtime row exists once the hello was verified, which happened before the welcome.
  const thread = await api(bff.url, auth.cookie, `/api/runtimes/${runtimeId}/threads`, { title: 'bench' });
  return thread.id;
}

// ---------------------------------------------------------------------------------------------
// Browser-stream subscribers

/** The seq of an `event` frame without parsing all of it: the event's `seq` is its last one. */
function quickSeq(text) {
  const at = text.lastIndexOf('"seq":');
  let n = 0;
  for (let i = at + 6; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/**
 * One browser's `WS /api/stream`, subscribed to one thread. Checks every event: the seq must be
 * the previous one + 1 (a gap or a duplicate is counted, never silently accepted).
 * `parse: 'full'` parses every frame (like a browser); `'quick'` reads the seq of event frames
 * only (to keep the driver from being the bottleneck when it plays 100s of browsers).
 */
export class Subscriber {
  constructor(url, cookie, { parse = 'full', batch = false, onEvent, onCaughtUp, onFrame } = {}) {
    this.url = url.replace(/^http/, 'ws') + '/api/stream';
    this.cookie = cookie;
    this.parse = parse;
    /** Ask for the replay in `events` frames, as the browser client does. */
    this.batch = batch;
    this.onEvent = onEvent;
    this.onCaughtUp = onCaughtUp;
    this.onFrame = onFrame;
    this.lastSeq = 0;
    this.received = 0;
    this.gaps = 0;
    this.duplicates = 0;
    this.caughtUp = null;
    this.errors = [];
    this.closes = [];
    this.checkedQuick = false;
  }

  /** Opens the socket and waits for `welcome`. */
  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { headers: { cookie: this.cookie }, perMessageDeflate: false });
      this.ws = ws;
      let welcomed = false;
      ws.on('message', (data) => {
        const text = data.toString();
        if (!welcomed) {
          welcomed = true;
          resolve(this);
          return;
        }
        this.#frame(text);
      });
      ws.on('error', (e) => {
        this.errors.push(e.message);
        if (!welcomed) reject(e);
      });
      ws.on('close', (code, reason) => {
        this.closes.push({ code, reason: reason.toString() });
        if (!welcomed) reject(new Error(`stream closed before welcome (${code})`));
      });
    });
  }

  subscribe(threadId, after = this.lastSeq) {
    this.topic = streamTopic.thread(threadId);
    this.caughtUp = null;
    this.subscribedAt = now();
    this.ws.send(JSON.stringify({ type: 'subscribe', topic: this.topic, after, ...(this.batch && { batch: true }) }));
  }

  #frame(text) {
    if (this.parse === 'quick' && text.startsWith('{"type":"event"')) {
      if (!this.checkedQuick) {
        // The shortcut must agree with a real parse, or its numbers mean nothing.
        this.checkedQuick = true;
        if (JSON.parse(text).event.seq !== quickSeq(text)) throw new Error('quickSeq disagrees with JSON.parse');
      }
      this.#event(quickSeq(text), null);
      return;
    }
    const frame = JSON.parse(text);
    this.onFrame?.(frame);
    if (frame.type === 'event') this.#event(frame.event.seq, frame.event);
    else if (frame.type === 'events') for (const event of frame.events) this.#event(event.seq, event);
    else if (frame.type === 'caught-up') {
      this.caughtUp = { seq: frame.seq, at: now() };
      this.onCaughtUp?.(frame.seq, this);
    } else if (frame.type === 'error') this.errors.push(`${frame.code}: ${frame.message}`);
  }

  #event(seq, event) {
    if (seq === this.lastSeq + 1) {
      this.lastSeq = seq;
      this.received++;
      this.firstEventAt ??= now();
      this.onEvent?.(seq, event, this);
    } else if (seq <= this.lastSeq) this.duplicates++;
    else {
      this.gaps++;
      this.lastSeq = seq;
      this.received++;
      this.onEvent?.(seq, event, this);
    }
  }

  close() {
    this.ws?.close();
  }

  terminate() {
    this.ws?.terminate();
  }
}

/**
 * A subscriber that reconnects every `reconnectMs` while its stream is down and resubscribes
 * after the last seq it saw, as the browser client does. `options` go to its Subscriber.
 */
export function resumingSubscriber(url, cookie, threadId, options = {}, reconnectMs = 20) {
  const state = { reconnects: 0, stopped: false };
  const sub = new Subscriber(url, cookie, options);
  async function connect() {
    for (;;) {
      if (state.stopped) return;
      try {
        await sub.open();
        sub.ws.once('close', () => void reconnect());
        sub.subscribe(threadId, sub.lastSeq);
        return;
      } catch {
        await sleep(reconnectMs);
      }
    }
  }
  async function reconnect() {
    if (state.stopped) return;
    state.reconnects++;
    await sleep(reconnectMs);
    await connect();
  }
  return {
    sub,
    state,
    connect,
    stop() {
      state.stopped = true;
      sub.close();
    },
  };
}

/**
 * A plain `ws` client of a relay that redials every `reconnectMs` whenever it is not connected
 * (the baselines' stand-in for a client that reconnects). `c.ws` is the open socket or null.
 */
export function keepOpen(url, onMessage, reconnectMs = 20) {
  const c = { ws: null, opens: 0, stopped: false };
  const dial = () => {
    if (c.stopped) return;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('error', () => {});
    ws.on('open', () => {
      c.ws = ws;
      c.opens++;
    });
    ws.on('message', onMessage);
    ws.on('close', () => {
      if (c.ws === ws) c.ws = null;
      setTimeout(dial, reconnectMs);
    });
  };
  dial();
  c.stop = () => {
    c.stopped = true;
    c.ws?.close();
  };
  return c;
}

/** Opens `n` subscribers, `concurrency` handshakes at a time. */
export async function openSubscribers(url, cookie, n, options, concurrency = 100) {
  const subs = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + concurrency); k++) batch.push(new Subscriber(url, cookie, options).open());
    subs.push(...(await Promise.all(batch)));
  }
  return subs;
}

/** Resolves when `check()` holds, polling; rejects after `timeoutMs` with `what`. */
export async function until(check, timeoutMs, what, poll = 1) {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(poll);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}
export function median(values) {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** This process's soft limit on open files (children inherit it); Infinity if unknown. */
export function openFileLimit() {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}

/** `wanted` sockets, or fewer if the file limit would not allow them (with room to spare). */
export function socketBudget(wanted, log) {
  const limit = openFileLimit();
  const n = Math.max(10, Math.min(wanted, limit - 300));
  if (n < wanted)
    log?.(`ulimit -n is ${limit}: using ${n} sockets instead of ${wanted} (raise it with ulimit -n 65536)`);
  return n;
}

/** CPU share (of one core) and event-loop utilisation of a child between two `load` samples. */
export function loadBetween(a, b) {
  const wall = b.at - a.at;
  const cpuMs = (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000;
  const idle = b.elu.idle - a.elu.idle;
  const active = b.elu.active - a.elu.active;
  return { ms: wall, cpu: cpuMs / wall, eventLoopUtilization: active / (idle + active) };
}
