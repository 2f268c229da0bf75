// 2. Throughput: one runtime sends as fast as its link accepts (waiting when the outbox is full);
// an event is done when the last subscriber has it. 1, 10 and 100 subscribers, on SQLite and (when
// installed) Postgres, beside a bare `ws` relay fanning the same frames out to as many receivers.
import { streamTopic } from '@remote-chat/protocol';
import WebSocket from 'ws';
import * as h from '../lib/harness.mjs';

const FANOUTS = [1, 10, 100];

/** Sends `count` events and resolves with the elapsed ms when every subscriber has all of them. */
async function runBff(bff, auth, runtime, fanout, count) {
  const threadId = await h.newThread(bff, auth, runtime.runtimeId);
  let done = 0;
  let finished;
  const all = new Promise((resolve) => (finished = resolve));
  const subs = await h.openSubscribers(bff.url, auth.cookie, fanout, {
    parse: 'quick',
    onEvent: (seq) => seq === count && ++done === fanout && finished(h.now()),
  });
  for (const s of subs) s.subscribe(threadId, 0);
  await h.until(() => subs.every((s) => s.caughtUp), 20_000, 'subscribers caught up');
  const fullBefore = runtime.outboxFull ?? 0;
  const started = h.now();
  for (let i = 1; i <= count; i++) await runtime.event(threadId, h.outputEvent(i));
  const sentAt = h.now();
  const timeoutMs = 120_000;
  const ended = await Promise.race([all, h.sleep(timeoutMs).then(() => null)]);
  const closed = subs.filter((s) => s.closes.length > 0);
  const result = {
    fanout,
    count,
    ms: ended === null ? null : ended - started,
    sendMs: sentAt - started,
    outboxWaits: (runtime.outboxFull ?? 0) - fullBefore,
    gaps: subs.reduce((a, s) => a + s.gaps, 0),
    duplicates: subs.reduce((a, s) => a + s.duplicates, 0),
    closedByServer: closed.map((s) => s.closes[0]),
    minReceived: Math.min(...subs.map((s) => s.lastSeq)),
  };
  for (const s of subs) s.close();
  if (ended === null) {
    throw new Error(
      `throughput with ${fanout} subscribers: not every subscriber had ${count} events after ${timeoutMs / 1000} s ` +
        `(slowest at ${result.minReceived}; ${closed.length} closed by the server: ${JSON.stringify(result.closedByServer.slice(0, 3))})`,
    );
  }
  if (result.gaps || result.duplicates)
    throw new Error(`throughput: ${result.gaps} gaps, ${result.duplicates} duplicates with ${fanout} subscribers`);
  return result;
}

async function runRelay(relay, fanout, count, frameBytes) {
  const base = relay.url.replace(/^http/, 'ws');
  const open = (path) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(base + path, { perMessageDeflate: false });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const sender = await open('/send');
  const receivers = [];
  for (let i = 0; i < fanout; i++) receivers.push(await open('/recv'));
  let done = 0;
  let finished;
  const all = new Promise((resolve) => (finished = resolve));
  for (const ws of receivers) {
    let last = 0;
    ws.on('message', (data) => {
      // Same work per frame as the BFF's subscribers: find the seq at the end of the frame.
      const text = data.toString();
      const seq = Number(text.slice(text.lastIndexOf('"seq":') + 6, text.lastIndexOf(',"at"')));
      if (seq !== last + 1) throw new Error(`relay baseline: seq ${seq} after ${last}`);
      last = seq;
      if (seq === count && ++done === fanout) finished(h.now());
    });
  }
  const head = `{"type":"event","topic":${JSON.stringify(streamTopic.thread('bench'))},"event":{"data":"`;
  const make = (i) => {
    const tail = `","seq":${i},"at":"2026-01-01T00:00:00.000Z"}}`;
    return head + 'x'.repeat(Math.max(0, frameBytes - head.length - tail.length)) + tail;
  };
  const started = h.now();
  for (let i = 1; i <= count; i++) {
    sender.send(make(i));
    // The same courtesy the link's outbox gets: do not queue without bound.
    if (sender.bufferedAmount > 4 << 20) while (sender.bufferedAmount > 1 << 20) await h.sleep(1);
  }
  const ended = await Promise.race([all, h.sleep(120_000).then(() => null)]);
  sender.close();
  for (const ws of receivers) ws.close();
  if (ended === null) throw new Error(`relay baseline with ${fanout} receivers did not finish`);
  return { fanout, count, ms: ended - started };
}

export async function throughput({ quick, pg, log }) {
  // Upper bounds; each run is sized from a calibration to take about `seconds`.
  const counts = quick ? { 1: 5000, 10: 5000, 100: 2000 } : { 1: 100_000, 10: 100_000, 100: 20_000 };
  const baselineCounts = quick ? { 1: 5000, 10: 2000, 100: 300 } : { 1: 20_000, 10: 10_000, 100: 1000 };
  const seconds = quick ? 1 : 2;
  const frameBytes = 250; // a stream `event` frame of outputEvent(i), as measured in latency
  const stores = [{ name: 'SQLite', reps: quick ? 1 : 3, config: () => ({ dataDir: h.tempDir() }) }];
  if (pg)
    stores.push({
      name: 'Postgres',
      reps: quick ? 1 : 2,
      config: async () => ({ dataDir: h.tempDir(), databaseUrl: await pg.database() }),
    });

  const rows = [];
  const detail = { note: 'each fan-out runs `reps` times, alternating with the relay baseline; medians reported' };
  const relay = await h.startRelay();
  const rate = (r) => (r.count / r.ms) * 1000;
  try {
    for (const store of stores) {
      // The bench's subscribers share two cores with the runtime driver and the BFF, so they read
      // slower than the BFF now delivers; let them fall further behind than the 4 MiB a real
      // browser may before it is cut off and resumes, so the run measures the BFF, not its cut-off.
      const bff = await h.startBff({ ...(await store.config()), stream: { maxBufferedBytes: 256 * 1024 * 1024 } });
      try {
        const auth = await h.owner(bff);
        const { runtime } = await h.machineWithThread(bff, auth);
        const probe = await runBff(bff, auth, runtime, 1, quick ? 300 : 1000);
        const probeRate = rate(probe);
        // The first run of a fan-out guesses from the calibration (fan-out costs), later runs
        // take the rate the previous run of that fan-out measured.
        const guess = { 1: 1, 10: 3, 100: 10 };
        const countFor = (fanout, runs) => {
          const expected = runs.length ? rate(runs[runs.length - 1]) : probeRate / guess[fanout];
          return Math.round(Math.min(counts[fanout], Math.max(300, expected * seconds)));
        };
        log(`throughput ${store.name}: calibration ${probeRate.toFixed(0)} events/s`);
        const results = { calibration: probe };
        for (const fanout of FANOUTS) {
          const name = `Throughput, 1 runtime → ${fanout} subscriber${fanout > 1 ? 's' : ''}, ${store.name}`;
          const target = fanout === 10 && store.name === 'SQLite';
          const runs = [];
          const baseRuns = [];
          try {
            for (let rep = 0; rep < store.reps; rep++) {
              baseRuns.push(await runRelay(relay, fanout, baselineCounts[fanout], frameBytes));
              runs.push(await runBff(bff, auth, runtime, fanout, countFor(fanout, runs)));
            }
          } catch (error) {
            log(`throughput ${store.name} ×${fanout} FAILED: ${error.message}`);
            results[fanout] = { error: error.message, runs, baseline: baseRuns };
            rows.push({
              id: `throughput.${store.name}.${fanout}`,
              name,
              value: null,
              unit: 'events/s',
              ...(target && { target: '≥ 20,000 events/s', pass: false }),
              note: error.message,
            });
            continue;
          }
          results[fanout] = { runs, baseline: baseRuns };
          const value = h.median(runs.map(rate));
          const baseRate = h.median(baseRuns.map(rate));
          log(
            `throughput ${store.name} ×${fanout}: ${runs.map((r) => rate(r).toFixed(0)).join(', ')} /s; relay ${baseRuns.map((r) => rate(r).toFixed(0)).join(', ')} /s`,
          );
          rows.push({
            id: `throughput.${store.name}.${fanout}`,
            name,
            value,
            unit: 'events/s',
            baseline: baseRate,
            ratio: value / baseRate,
            ...(target && { target: '≥ 20,000 events/s', pass: value >= 20_000 }),
            note: `median of ${runs.length} runs of ${runs.map((r) => r.count.toLocaleString('en-US')).join(' / ')} events`,
          });
        }
        detail[store.name] = results;
        await runtime.close();
      } finally {
        await bff.close();
      }
    }
  } finally {
    await relay.close();
  }
  return { rows, detail };
}
