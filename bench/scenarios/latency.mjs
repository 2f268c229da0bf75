// 1. Relay latency: runtime → BFF → browser, one event at a time (the next goes when the previous
// arrived), beside a bare `ws` relay with frames of the same size. The two run in alternating
// blocks so that noise on this shared machine hits both alike.
import { streamTopic } from '@remote-chat/protocol';
import WebSocket from 'ws';
import * as h from '../lib/harness.mjs';

/** A lost event must fail the scenario, not hang it. */
function within(promise, what, ms = 10_000) {
  let timer;
  return Promise.race([
    promise,
    new Promise(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not arrive within ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Measured twice: with SQLite's default `synchronous=full` (each commit fsynced: an event
 * survives power loss before anyone sees it) and with `normal` (it survives a process kill), so
 * the table shows what the fsync costs apart from the relay itself.
 */
export async function latency({ quick, log }) {
  const full = await measure({ quick, log }, 'full');
  const normal = await measure({ quick, log }, 'normal');
  return { rows: [...full.rows, ...normal.rows], detail: { full: full.detail, normal: normal.detail } };
}

async function measure({ quick, log }, synchronous) {
  const total = quick ? 500 : 2000;
  const warmup = quick ? 100 : 300;
  const block = 250;
  const label = synchronous === 'full' ? '' : ', SQLite synchronous=normal';
  const id = synchronous === 'full' ? '' : '.normal';

  const bff = await h.startBff({ dataDir: h.tempDir(), sqliteSynchronous: synchronous });
  const relay = await h.startRelay();
  try {
    const auth = await h.owner(bff);
    const { runtime, threadId } = await h.machineWithThread(bff, auth);

    // The BFF path: a link frame in, a stored event, a stream frame out.
    let waiting = null;
    let frameBytes = 0;
    const sub = new h.Subscriber(bff.url, auth.cookie, {
      parse: 'full',
      onEvent: (_seq, event) => waiting?.(h.counterOf(event)),
    });
    await sub.open();
    sub.ws.on('message', (data) => (frameBytes = data.length));
    sub.subscribe(threadId, 0);
    await h.until(() => sub.caughtUp, 10_000, 'caught-up');
    let counter = 0;
    async function viaBff() {
      const i = ++counter;
      const arrived = new Promise((resolve) => {
        waiting = (c) => c === i && resolve();
      });
      const started = h.now();
      await runtime.event(threadId, h.outputEvent(i));
      await within(arrived, `event ${i} through the BFF`);
      return h.now() - started;
    }

    // The baseline: the same size of frame through a server that only forwards it.
    await viaBff(); // learn the size of a stream frame
    const sender = new WebSocket(relay.url.replace(/^http/, 'ws') + '/send', { perMessageDeflate: false });
    const receiver = new WebSocket(relay.url.replace(/^http/, 'ws') + '/recv', { perMessageDeflate: false });
    await Promise.all(
      [sender, receiver].map(
        (ws) =>
          new Promise((r, j) => {
            ws.once('open', r);
            ws.once('error', j);
          }),
      ),
    );
    let relayWaiting = null;
    receiver.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'event') relayWaiting?.(frame.event.i);
    });
    const topic = streamTopic.thread(threadId);
    const template = (i) => JSON.stringify({ type: 'event', topic, event: { i, data: '' } });
    const pad = (i) => 'x'.repeat(Math.max(0, frameBytes - template(i).length));
    let relayCounter = 0;
    async function viaRelay() {
      const i = ++relayCounter;
      const text = JSON.stringify({ type: 'event', topic, event: { i, data: pad(i) } });
      const arrived = new Promise((resolve) => {
        relayWaiting = (c) => c === i && resolve();
      });
      const started = h.now();
      sender.send(text);
      await within(arrived, `frame ${i} through the relay`);
      return h.now() - started;
    }

    for (let i = 0; i < warmup; i++) {
      await viaBff();
      await viaRelay();
    }
    const bffTimes = [];
    const relayTimes = [];
    while (bffTimes.length < total) {
      for (let i = 0; i < block; i++) bffTimes.push(await viaBff());
      for (let i = 0; i < block; i++) relayTimes.push(await viaRelay());
    }

    // What one append costs on its own (one transaction per event, as the link stores them).
    const appendThread = await h.newThread(bff, auth, runtime.runtimeId);
    const appends = h.summary(
      await bff.call('timeAppends', { threadId: appendThread, n: quick ? 200 : 500, body: h.outputEvent('{i}') }),
    );

    const b = h.summary(bffTimes);
    const r = h.summary(relayTimes);
    log(
      `latency (${synchronous}): bff p50 ${b.p50.toFixed(3)} p99 ${b.p99.toFixed(3)}; relay p50 ${r.p50.toFixed(3)} p99 ${r.p99.toFixed(3)}; append p50 ${appends.p50.toFixed(3)}`,
    );
    if (sub.gaps || sub.duplicates)
      throw new Error(`latency subscriber saw ${sub.gaps} gaps, ${sub.duplicates} duplicates`);
    sender.close();
    receiver.close();
    sub.close();
    await runtime.close();
    return {
      rows: [
        {
          id: `latency.p50${id}`,
          name: `Relay latency p50 (runtime → BFF → browser${label})`,
          value: b.p50,
          unit: 'ms',
          baseline: r.p50,
          ratio: b.p50 / r.p50,
          target: '≤ 3× baseline',
          pass: b.p50 / r.p50 <= 3,
        },
        {
          id: `latency.p99${id}`,
          name: `Relay latency p99 (runtime → BFF → browser${label})`,
          value: b.p99,
          unit: 'ms',
          baseline: r.p99,
          ratio: b.p99 / r.p99,
          target: '≤ 5× baseline',
          pass: b.p99 / r.p99 <= 5,
        },
        {
          id: `latency.append${id}`,
          name: `of which: one stored append, p50 (store.appendEvent alone, SQLite${label})`,
          value: appends.p50,
          unit: 'ms',
          note: `p99 ${appends.p99.toFixed(2)} ms`,
        },
      ],
      detail: { events: total, warmup, frameBytes, bff: b, baseline: r, appendAlone: appends },
    };
  } finally {
    await Promise.all([bff.close(), relay.close()]);
  }
}
