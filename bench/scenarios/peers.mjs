// 10. Peers: Remote Chat beside relays that store nothing, with one workload for all:
//   - latency: 5,000 events at one per ms from one sender to 10 subscribers, in blocks of 1,000
//     that alternate between the peers; p50 and p99 over every delivery;
//   - throughput: 50,000 events as fast as each peer accepts them, until the slowest of the 10
//     subscribers has the last one; three rounds that take the peers in turn, the median of each;
//   - a kill: 5,000 events at one per ms, the server SIGKILLed at event 2,000 and started again on
//     the same port (and data directory); senders and subscribers reconnect as each peer's clients
//     do; then the events each subscriber never got, or got twice.
// The peers: a bare `ws` relay (the baseline of every ratio), the same relay corking a tick's writes
// per receiver, socket.io (WebSocket transport, its client buffering while disconnected), and
// Remote Chat (a machine runtime on the link, subscribers on the browser stream that resume after
// their last seq). Every peer's frames are the size of Remote Chat's stream frame.
import { streamTopic } from '@remote-chat/protocol';
import { io as socketIo } from 'socket.io-client';
import WebSocket from 'ws';
import * as h from '../lib/harness.mjs';

const SUBSCRIBERS = 10;
const RECONNECT_MS = 20;

/** The relays' frames are as long as Remote Chat's stream frame of one event (measured first). */
const frameSize = { bytes: 0 };
function frame(i) {
  const topic = streamTopic.thread('th_peers');
  const bare = JSON.stringify({ type: 'event', topic, event: { i, data: '' } });
  return JSON.stringify({
    type: 'event',
    topic,
    event: { i, data: 'x'.repeat(Math.max(0, frameSize.bytes - bare.length)) },
  });
}

/** Each peer: start/kill/restart its server, open a sender and subscribers on a fresh topic. */
function relayPeer(name, label, cork) {
  let server;
  let port;
  return {
    name,
    label,
    async start() {
      port ??= await h.freePort();
      server = await h.startRelay({ port, cork });
    },
    kill: () => server.kill('SIGKILL'),
    close: () => server.close(),
    async topic() {
      const base = `ws://127.0.0.1:${port}`;
      return {
        sender() {
          const c = h.keepOpen(`${base}/send`, () => {}, RECONNECT_MS);
          return {
            ready: () => c.ws !== null,
            // What is sent while the socket is down is gone: a bare relay keeps nothing.
            send: (i) => c.ws?.readyState === WebSocket.OPEN && c.ws.send(frame(i)),
            backlog: () => c.ws?.bufferedAmount ?? 0,
            close: () => c.stop(),
          };
        },
        subscriber(onCounter, { parse }) {
          let n = 0;
          const c = h.keepOpen(
            `${base}/recv`,
            parse ? (data) => onCounter(JSON.parse(data.toString()).event.i) : () => onCounter(++n),
            RECONNECT_MS,
          );
          return { ready: () => c.ws !== null, close: () => c.stop() };
        },
      };
    },
  };
}

function socketIoPeer() {
  let server;
  let port;
  const client = (role) =>
    socketIo(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      query: { role },
      reconnectionDelay: RECONNECT_MS,
      reconnectionDelayMax: RECONNECT_MS,
      randomizationFactor: 0,
    });
  return {
    name: 'socketio',
    label: 'socket.io (stores nothing)',
    async start() {
      port ??= await h.freePort();
      server = await h.startSocketIo({ port });
    },
    kill: () => server.kill('SIGKILL'),
    close: () => server.close(),
    async topic() {
      return {
        sender() {
          const socket = client('send');
          return {
            ready: () => socket.connected,
            // socket.io buffers what is emitted while disconnected and sends it on reconnect.
            send: (i) => socket.emit('e', frame(i)),
            backlog: () => (socket.io.engine?.writeBuffer?.length ?? 0) * frameSize.bytes,
            close: () => socket.close(),
          };
        },
        subscriber(onCounter, { parse }) {
          const socket = client('recv');
          let n = 0;
          socket.on('e', parse ? (text) => onCounter(JSON.parse(text).event.i) : () => onCounter(++n));
          return { ready: () => socket.connected, close: () => socket.close() };
        },
      };
    },
  };
}

function remoteChatPeer() {
  let bff;
  let port;
  let auth;
  let runtime;
  const dataDir = h.tempDir();
  return {
    name: 'remote-chat',
    label: 'Remote Chat (stores every event, SQLite synchronous=full)',
    durable: true,
    async start() {
      port ??= await h.freePort();
      bff = await h.startBff({ dataDir, port });
      if (!auth) {
        auth = await h.owner(bff);
        runtime = new h.MachineRuntime({ url: bff.url, token: auth.token });
        await runtime.keepConnected();
      }
    },
    kill: () => bff.kill('SIGKILL'),
    async close() {
      await runtime.close();
      await bff.close();
    },
    /** The size of a stream frame carrying one event, for the relays to match. */
    async frameBytes() {
      const threadId = await h.newThread(bff, auth, runtime.runtimeId);
      const sub = new h.Subscriber(bff.url, auth.cookie);
      let bytes = 0;
      await sub.open();
      sub.ws.on('message', (data) => (bytes = data.length));
      sub.subscribe(threadId, 0);
      await h.until(() => sub.caughtUp, 10_000, 'caught-up');
      await runtime.event(threadId, h.outputEvent(1));
      await h.until(() => sub.received === 1, 10_000, 'the first event');
      sub.close();
      return bytes;
    },
    async topic() {
      const threadId = await h.newThread(bff, auth, runtime.runtimeId);
      return {
        sender: () => ({
          ready: () => runtime.session.state === 'open',
          // Kept in the runtime's outbox until the BFF acknowledges it as stored.
          send: (i) => runtime.event(threadId, h.outputEvent(i)),
          backlog: () => 0,
          close() {},
        }),
        subscriber(onCounter, { parse }) {
          const resuming = h.resumingSubscriber(
            bff.url,
            auth.cookie,
            threadId,
            // Replays and catch-ups in `events` frames, as the browser client asks for them.
            parse
              ? { parse: 'full', batch: true, onEvent: (_seq, event) => onCounter(h.counterOf(event)) }
              : { parse: 'quick', batch: true, onEvent: (seq) => onCounter(seq) },
            RECONNECT_MS,
          );
          void resuming.connect();
          return { ready: () => resuming.sub.caughtUp !== null, close: () => resuming.stop() };
        },
      };
    },
  };
}

/** Opens a sender and SUBSCRIBERS subscribers on a fresh topic of `peer`, all ready. */
async function open(peer, onCounter, { parse }) {
  const topic = await peer.topic();
  const sender = topic.sender();
  const subs = Array.from({ length: SUBSCRIBERS }, (_, k) => topic.subscriber((i) => onCounter(k, i), { parse }));
  await h.until(() => sender.ready() && subs.every((s) => s.ready()), 20_000, `${peer.name} clients connected`);
  await h.sleep(50);
  return {
    sender,
    close() {
      sender.close();
      for (const s of subs) s.close();
    },
  };
}

/** Sends events first..last at one per ms (catching up after a late timer); `at(i)` after each. */
async function paced(first, last, send, at) {
  const t0 = h.now() - first;
  let i = first;
  while (i <= last) {
    const due = Math.min(last, Math.floor(h.now() - t0));
    while (i <= due) {
      await send(i);
      at?.(i);
      i++;
    }
    await h.sleep(1);
  }
}

async function latencyRounds(peers, { total, block, warmup }) {
  const samples = new Map(peers.map((p) => [p.name, []]));
  const links = new Map();
  for (const peer of peers) {
    const sentAt = new Float64Array(total + warmup + 2);
    const list = samples.get(peer.name);
    const link = await open(
      peer,
      (_k, i) => {
        if (i > warmup) list.push(h.now() - sentAt[i]);
      },
      { parse: true },
    );
    links.set(peer.name, { link, sentAt, next: 1 });
  }
  const send = (state) => (i) => {
    state.sentAt[i] = h.now();
    return state.link.sender.send(i);
  };
  for (const peer of peers) {
    const state = links.get(peer.name);
    await paced(1, warmup, send(state));
    state.next = warmup + 1;
  }
  for (let done = 0; done < total; done += block) {
    for (const peer of peers) {
      const state = links.get(peer.name);
      const last = state.next + Math.min(block, total - done) - 1;
      await paced(state.next, last, send(state));
      state.next = last + 1;
    }
  }
  await h.sleep(500);
  for (const { link } of links.values()) link.close();
  return new Map([...samples].map(([name, list]) => [name, h.summary(list)]));
}

async function throughputRun(peer, count) {
  const received = new Array(SUBSCRIBERS).fill(0);
  let done = 0;
  let finishedAt = null;
  const link = await open(
    peer,
    (k) => {
      if (++received[k] === count && ++done === SUBSCRIBERS) finishedAt = h.now();
    },
    { parse: false },
  );
  const started = h.now();
  for (let i = 1; i <= count; i++) {
    await link.sender.send(i);
    if (i % 256 === 0) {
      while (link.sender.backlog() > 1 << 20) await h.sleep(1);
      await new Promise((r) => setImmediate(r));
    }
  }
  await h.until(() => finishedAt !== null, 120_000, `${peer.name}: ${count} events at every subscriber`, 2);
  link.close();
  return count / ((finishedAt - started) / 1000);
}

async function killRun(peer, { total, killAt }) {
  const seen = Array.from({ length: SUBSCRIBERS }, () => new Uint8Array(total + 1));
  let lastArrival = h.now();
  const link = await open(
    peer,
    (k, i) => {
      if (i >= 1 && i <= total) seen[k][i] = Math.min(255, seen[k][i] + 1);
      lastArrival = h.now();
    },
    { parse: true },
  );
  let restarted = null;
  await paced(1, total, link.sender.send, (i) => {
    if (i === killAt)
      restarted = (async () => {
        await peer.kill();
        await peer.start();
      })();
  });
  await restarted;
  // Wait until every subscriber has every event; for a relay that keeps nothing, until nothing
  // has arrived for 3 s (what it lost will not come).
  const complete = () => seen.every((s) => s.every((n, i) => i === 0 || n > 0));
  const deadline = h.now() + 60_000;
  const quiet = () => !peer.durable && h.now() - lastArrival > 3_000;
  while (!complete() && !quiet() && h.now() < deadline) await h.sleep(50);
  link.close();
  let lost = 0;
  let doubled = 0;
  let missedDeliveries = 0;
  for (let i = 1; i <= total; i++) {
    let missing = false;
    let twice = false;
    for (const s of seen) {
      if (s[i] === 0) {
        missing = true;
        missedDeliveries++;
      }
      if (s[i] > 1) twice = true;
    }
    if (missing) lost++;
    if (twice) doubled++;
  }
  return { lost, doubled, missedDeliveries };
}

export async function peers({ quick, log }) {
  const total = quick ? 1_000 : 5_000;
  const block = quick ? 500 : 1_000;
  const warmup = quick ? 200 : 500;
  const throughputCount = quick ? 10_000 : 50_000;
  const throughputRounds = quick ? 1 : 3;
  const kill = { total: quick ? 2_000 : 5_000, killAt: quick ? 800 : 2_000 };

  const rc = remoteChatPeer();
  const list = [
    relayPeer('bare', 'bare ws relay (stores nothing)', false),
    relayPeer('corked', 'bare ws relay, corking a tick’s writes', true),
    socketIoPeer(),
    rc,
  ];
  for (const peer of list) await peer.start();
  frameSize.bytes = await rc.frameBytes();
  try {
    log(`peers: latency, ${total} events at 1/ms to ${SUBSCRIBERS} subscribers, blocks of ${block}`);
    const latency = await latencyRounds(list, { total, block, warmup });
    // Rounds that take every peer in turn (each round starting one peer later), so that a slow
    // spell of this shared machine falls on all of them; each peer's figure is its median round.
    const rounds = new Map(list.map((peer) => [peer.name, []]));
    for (let round = 0; round < throughputRounds; round++) {
      for (let k = 0; k < list.length; k++) {
        const peer = list[(k + round) % list.length];
        const value = await throughputRun(peer, throughputCount);
        rounds.get(peer.name).push(value);
        log(`peers: throughput round ${round + 1} ${peer.name} ${value.toFixed(0)} events/s`);
      }
    }
    const throughput = new Map([...rounds].map(([name, values]) => [name, h.median(values)]));
    const kills = new Map();
    for (const peer of list) {
      kills.set(peer.name, await killRun(peer, kill));
      log(`peers: kill ${peer.name} ${JSON.stringify(kills.get(peer.name))}`);
    }
    return {
      rows: rowsOf(list, { latency, throughput, kills, total, throughputCount, throughputRounds, kill }),
      detail: { frameBytes: frameSize.bytes, throughputRounds: Object.fromEntries(rounds) },
    };
  } finally {
    for (const peer of list) await peer.close().catch(() => {});
  }
}

const TARGETS = { p50: 1.6, p99: 2, throughput: 0.7 };

function rowsOf(list, { latency, throughput, kills, total, throughputCount, throughputRounds, kill }) {
  const bare = latency.get('bare');
  const corked = throughput.get('corked');
  const rows = [];
  for (const peer of list) {
    const own = peer.name === 'remote-chat';
    const l = latency.get(peer.name);
    for (const p of ['p50', 'p99']) {
      const ratio = l[p] / bare[p];
      rows.push({
        id: `peers.latency.${p}.${peer.name}`,
        name: `Peers, ${total.toLocaleString('en-US')} events at 1/ms to ${SUBSCRIBERS} subscribers: latency ${p} — ${peer.label}`,
        value: l[p],
        unit: 'ms',
        ...(peer.name !== 'bare' && { baseline: bare[p], ratio }),
        ...(own && { target: `≤ ${TARGETS[p]}× bare`, pass: ratio <= TARGETS[p] }),
      });
    }
  }
  for (const peer of list) {
    const own = peer.name === 'remote-chat';
    const value = throughput.get(peer.name);
    rows.push({
      id: `peers.throughput.${peer.name}`,
      name: `Peers, ${throughputCount.toLocaleString('en-US')} events as fast as accepted, to the slowest of ${SUBSCRIBERS}: throughput${throughputRounds > 1 ? ` (median of ${throughputRounds} rounds)` : ''} — ${peer.label}`,
      value,
      unit: 'events/s',
      ...(peer.name !== 'corked' && { baseline: corked, ratio: value / corked }),
      ...(own && { target: `≥ ${TARGETS.throughput}× corked`, pass: value / corked >= TARGETS.throughput }),
    });
  }
  for (const peer of list) {
    const own = peer.name === 'remote-chat';
    const k = kills.get(peer.name);
    rows.push({
      id: `peers.kill.${peer.name}`,
      name: `Peers, server SIGKILLed at event ${kill.killAt.toLocaleString('en-US')} of ${kill.total.toLocaleString('en-US')}: events lost — ${peer.label}`,
      value: k.lost,
      unit: '',
      note: `doubled ${k.doubled}; deliveries missed ${k.missedDeliveries} of ${(kill.total * SUBSCRIBERS).toLocaleString('en-US')}`,
      ...(own && { target: '0', pass: k.lost === 0 && k.doubled === 0 }),
    });
  }
  return rows;
}
