// 4. Recovery: a BFF process on a fixed port and data dir; a machine runtime (LinkSession + a
// LinkDialer with its default backoff, as `remote-chat-runtime connect` dials) sends an event every
// 5 ms without pause; a browser subscriber reconnects every 20 ms while the stream is down and
// resubscribes after its last seq. The BFF is SIGKILLed and started again on the same data dir
// several times. Measured from the kill: the new process listening, the runtime's link open again,
// the first event reaching the subscriber. At the end every event the runtime sent must have
// reached the subscriber exactly once and in order.
// Baseline: the bare relay killed and restarted the same way, with a sender and a receiver that
// both reconnect every 20 ms: from the kill to the first relayed message.
import WebSocket from 'ws';
import * as h from '../lib/harness.mjs';

const SEND_EVERY_MS = 5;
const RECONNECT_EVERY_MS = 20;

/** A resuming subscriber that also checks each event's counter and watches for the first ones. */
function resumingSubscriber(url, cookie, threadId) {
  const resuming = h.resumingSubscriber(
    url,
    cookie,
    threadId,
    {
      parse: 'full',
      onEvent: (seq, event) => {
        const { state } = resuming;
        const w = state.watch;
        if (w) {
          w.first ??= h.now();
          if (seq > w.seqAbove) w.firstNew ??= h.now();
        }
        const c = h.counterOf(event);
        if (c !== state.expected && state.wrong.length < 10)
          state.wrong.push({ got: c, expected: state.expected, seq: event.seq });
        state.expected = c + 1;
      },
    },
    RECONNECT_EVERY_MS,
  );
  Object.assign(resuming.state, { expected: 1, wrong: [], watch: null });
  return resuming;
}

async function relayBaseline(restarts) {
  const port = await h.freePort();
  let relay = await h.startRelay({ port });
  const times = [];
  let lastMessageAt = 0;
  const base = `ws://127.0.0.1:${port}`;
  const sender = h.keepOpen(`${base}/send`, () => {}, RECONNECT_EVERY_MS);
  const receiver = h.keepOpen(`${base}/recv`, () => (lastMessageAt = h.now()), RECONNECT_EVERY_MS);
  const ticker = setInterval(
    () => sender.ws?.readyState === WebSocket.OPEN && sender.ws.send('{"type":"event"}'),
    SEND_EVERY_MS,
  );
  try {
    await h.until(() => lastMessageAt > 0, 10_000, 'the relay baseline flowing');
    for (let r = 0; r < restarts; r++) {
      await h.sleep(500);
      const killedAt = h.now();
      await relay.kill('SIGKILL');
      relay = await h.startRelay({ port });
      const readyAt = h.now();
      await h.until(() => lastMessageAt > readyAt, 20_000, 'the relay baseline flowing again');
      times.push({ readyMs: readyAt - killedAt, firstMs: lastMessageAt - killedAt });
    }
  } finally {
    sender.stop();
    receiver.stop();
    clearInterval(ticker);
    await relay.close();
  }
  return times;
}

export async function recovery({ quick, log }) {
  const restarts = quick ? 1 : 3;
  // LinkDialer resets its backoff after a connection stayed up this long (its default).
  // BENCH_RECOVERY_STABLE_MS=0 restarts back to back instead (the backoff then keeps growing).
  const stableMs = Number(process.env.BENCH_RECOVERY_STABLE_MS ?? 10_000);
  const port = await h.freePort();
  const dataDir = h.tempDir();
  let bff = await h.startBff({ dataDir, port });
  const auth = await h.owner(bff);
  const { runtime, threadId } = await h.machineWithThread(bff, auth, { redial: true });
  const subscriber = resumingSubscriber(bff.url, auth.cookie, threadId);
  await subscriber.connect();

  let sent = 0;
  let sending = true;
  const sender = (async () => {
    while (sending) {
      await runtime.event(threadId, h.outputEvent(++sent));
      await h.sleep(SEND_EVERY_MS);
    }
  })();

  const times = [];
  try {
    await h.until(() => subscriber.sub.lastSeq > 50, 10_000, 'events flowing');
    for (let r = 0; r < restarts; r++) {
      // Each restart is a fresh outage for the dialer: its link has been up long enough to reset
      // the backoff (back-to-back restarts are slower; see the README of bench/).
      const upFor = h.now() - runtime.opens[runtime.opens.length - 1];
      await h.sleep(r === 0 ? 1000 : Math.max(1000, stableMs + 500 - upFor));
      const opensBefore = runtime.opens.length;
      const killedAt = h.now();
      const seqAtKill = subscriber.sub.lastSeq;
      const sentAtKill = sent;
      await bff.kill('SIGKILL');
      const exitedAt = h.now();
      await h.sleep(0); // frames the old process sent before it died are read by now
      const watch = (subscriber.state.watch = { seqAbove: sentAtKill, first: null, firstNew: null });
      bff = await h.startBff({ dataDir, port });
      const readyAt = h.now();
      await h.until(() => runtime.opens.length > opensBefore, 60_000, 'the runtime link to reopen', 2);
      const linkAt = runtime.opens[opensBefore];
      await h.until(() => watch.first !== null, 60_000, 'an event after the restart', 2);
      const firstAt = watch.first;
      // An event the runtime sent after the kill, which went through the new process's link.
      await h.until(() => watch.firstNew !== null, 60_000, 'an event sent after the kill', 2);
      const firstNewAt = watch.firstNew;
      const t = {
        exitMs: exitedAt - killedAt,
        readyMs: readyAt - killedAt,
        linkMs: linkAt - killedAt,
        firstMs: firstAt - killedAt,
        firstSentAfterKillMs: firstNewAt - killedAt,
        linkOpensThisOutage: runtime.opens.length - opensBefore,
        deliveredBeforeKill: seqAtKill,
        sentBeforeKill: sentAtKill,
      };
      times.push(t);
      log(
        `recovery ${r + 1}: after the kill, listening ${t.readyMs.toFixed(0)} ms, link open ${t.linkMs.toFixed(0)} ms, first event sent after the kill at the subscriber ${t.firstSentAfterKillMs.toFixed(0)} ms (first replayed event ${t.firstMs.toFixed(0)} ms)`,
      );
    }
  } finally {
    sending = false;
    await sender;
  }
  // Everything sent must arrive, once, in order.
  await h.until(
    () => subscriber.sub.lastSeq >= sent,
    30_000,
    `all ${sent} events at the subscriber (has ${subscriber.sub.lastSeq})`,
    5,
  );
  await h.sleep(300);
  const { sub, state } = subscriber;
  const thread = await bff.call('thread', { threadId });
  subscriber.stop();
  await runtime.close();
  await bff.close();
  const integrity = {
    sent,
    stored: thread.lastSeq,
    received: sub.received,
    gaps: sub.gaps,
    duplicates: sub.duplicates,
    outOfOrder: state.wrong,
    streamReconnects: state.reconnects,
    linkOpens: runtime.opens.length,
  };
  if (sub.gaps || sub.duplicates || state.wrong.length || thread.lastSeq !== sent || sub.received !== sent) {
    throw new Error(`recovery lost or duplicated events: ${JSON.stringify(integrity)}`);
  }

  const baseline = await relayBaseline(restarts);
  const med = (list, key) => h.median(list.map((x) => x[key]));
  const resumed = med(times, 'firstSentAfterKillMs');
  const baseFirst = med(baseline, 'firstMs');
  return {
    rows: [
      {
        id: 'recovery.resumed',
        name: `Recovery: BFF SIGKILL → restart → first event the runtime sent after the kill reaches the subscriber (median of ${restarts}; machine runtime, default LinkDialer backoff)`,
        value: resumed,
        unit: 'ms',
        baseline: baseFirst,
        ratio: resumed / baseFirst,
        note: `max ${Math.max(...times.map((t) => t.firstSentAfterKillMs)).toFixed(0)} ms`,
      },
      {
        id: 'recovery.ready',
        name: 'of which: kill → new BFF process listening (resume done)',
        value: med(times, 'readyMs'),
        unit: 'ms',
        baseline: med(baseline, 'readyMs'),
        ratio: med(times, 'readyMs') / med(baseline, 'readyMs'),
      },
      {
        id: 'recovery.link',
        name: 'of which: kill → runtime link open again (LinkDialer backoff while the BFF was down)',
        value: med(times, 'linkMs'),
        unit: 'ms',
      },
      {
        id: 'recovery.integrity',
        name: `Recovery: events sent through ${restarts} kills, lost / duplicated / out of order`,
        value: 0,
        unit: '',
        target: '0',
        pass: true,
        note: `${sent.toLocaleString('en-US')} sent, all stored once and delivered once in order`,
      },
    ],
    detail: { restarts: times, baseline, integrity, sendEveryMs: SEND_EVERY_MS, reconnectEveryMs: RECONNECT_EVERY_MS },
  };
}
