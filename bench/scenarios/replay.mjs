// 3. Replay: a thread of 100,000 stored events; a fresh browser subscribes with after: 0. Time to
// the first event and to the last (every event, in order, parsed like a browser would), from the
// subscribe frame. Beside a bare `ws` server sending as many frames of the same size from memory.
// Measured as the browser client subscribes (`batch`: the replay in `events` frames) and as a
// client of the documented stream that did not ask for it (a frame per event).
import { streamTopic } from '@remote-chat/protocol';
import WebSocket from 'ws';
import * as h from '../lib/harness.mjs';

async function replayBff(bff, cookie, threadId, count, batch) {
  const sub = new h.Subscriber(bff.url, cookie, { parse: 'full', batch });
  const connectStarted = h.now();
  await sub.open();
  const connectMs = h.now() - connectStarted;
  let lastAt = null;
  sub.onEvent = (seq) => {
    if (seq === count) lastAt = h.now();
  };
  sub.subscribe(threadId, 0);
  try {
    await h.until(
      () => (lastAt !== null && sub.caughtUp) || sub.closes.length > 0,
      60_000,
      `replay of ${count} events`,
      2,
    );
  } catch (error) {
    throw new Error(`${error.message}; got ${sub.lastSeq}`);
  }
  if (sub.closes.length > 0) {
    throw new Error(
      `the BFF closed the replaying stream after ${sub.lastSeq} of ${count} events ` +
        `(${sub.closes[0].code} ${sub.closes[0].reason}) — ${((h.now() - sub.subscribedAt) / 1000).toFixed(2)} s into the replay`,
    );
  }
  sub.close();
  if (sub.gaps || sub.duplicates || sub.received !== count) {
    throw new Error(
      `replay: ${sub.received} events, ${sub.gaps} gaps, ${sub.duplicates} duplicates (expected ${count})`,
    );
  }
  return { connectMs, firstMs: sub.firstEventAt - sub.subscribedAt, allMs: lastAt - sub.subscribedAt };
}

async function replayRelay(relay, count, size) {
  const ws = new WebSocket(`${relay.url.replace(/^http/, 'ws')}/recv?replay=${count}&size=${size}`, {
    perMessageDeflate: false,
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  let first = null;
  let last = null;
  let seen = 0;
  const done = new Promise((resolve) =>
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'event') {
        first ??= h.now();
        if (frame.seq !== ++seen) throw new Error(`relay replay: seq ${frame.seq}, expected ${seen}`);
      } else if (frame.type === 'caught-up') {
        last = h.now();
        resolve();
      }
    }),
  );
  const started = h.now();
  ws.send('{"type":"subscribe"}');
  await done;
  ws.close();
  return { firstMs: first - started, allMs: last - started };
}

/** Planner statistics of the events table (Postgres): what the planner believes, and when it last looked. */
async function pgStats(databaseUrl) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT c.reltuples, s.last_analyze, s.last_autoanalyze FROM pg_class c
         LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = 'events'`,
    );
    return rows[0] ?? null;
  } finally {
    await client.end();
  }
}

async function pgAnalyze(databaseUrl) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('ANALYZE events');
  await client.end();
}

export async function replay({ quick, pg, log }) {
  const count = quick ? 20_000 : 100_000;
  const stores = [{ name: 'SQLite', target: 500, runs: quick ? 1 : 3, config: () => ({ dataDir: h.tempDir() }) }];
  if (pg)
    stores.push({
      name: 'Postgres',
      target: 2000,
      runs: quick ? 1 : 2,
      postgres: true,
      config: async () => ({ dataDir: h.tempDir(), databaseUrl: await pg.database() }),
    });

  const rows = [];
  const detail = { count };
  const relay = await h.startRelay();
  let frameBytes = 250;

  /**
   * `runs` replays of the thread, each followed by a baseline replay; rows under `label`. With
   * `batch`, the time to the first event and to all of them, else (a frame per event) to all.
   */
  async function measure(bff, cookie, threadId, label, target, runs, batch) {
    const bffRuns = [];
    const relayRuns = [];
    let failure = null;
    for (let i = 0; i < runs; i++) {
      try {
        bffRuns.push(await replayBff(bff, cookie, threadId, count, batch));
      } catch (error) {
        failure = error;
        log(`replay ${label} FAILED: ${error.message}`);
        break;
      }
      relayRuns.push(await replayRelay(relay, count, frameBytes));
    }
    if (relayRuns.length === 0) relayRuns.push(await replayRelay(relay, count, frameBytes));
    const med = (list, key) => h.median(list.map((r) => r[key]));
    detail[label] = { bff: bffRuns, baseline: relayRuns, failure: failure?.message };
    const baseFirst = med(relayRuns, 'firstMs');
    const baseAll = med(relayRuns, 'allMs');
    if (failure) {
      rows.push({
        id: `replay.${label}.all`,
        name: `Replay ${count.toLocaleString('en-US')} events, ${label}: did not complete`,
        value: null,
        unit: 'ms',
        target: `< ${target} ms`,
        baseline: baseAll,
        pass: false,
        note: failure.message,
      });
      return;
    }
    const first = med(bffRuns, 'firstMs');
    const all = med(bffRuns, 'allMs');
    log(
      `replay ${label}: first ${first.toFixed(1)} ms, all ${all.toFixed(0)} ms; baseline ${baseFirst.toFixed(1)} / ${baseAll.toFixed(0)} ms`,
    );
    if (batch)
      rows.push({
        id: `replay.${label}.first`,
        name: `Replay, time to first event, ${label} (${count.toLocaleString('en-US')}-event thread)`,
        value: first,
        unit: 'ms',
        target: '< 30 ms',
        pass: first < 30,
        baseline: baseFirst,
        ratio: first / baseFirst,
        note: `socket open + auth ${med(bffRuns, 'connectMs').toFixed(1)} ms before it`,
      });
    rows.push({
      id: `replay.${label}.all`,
      name: `Replay, time to all ${count.toLocaleString('en-US')} events, ${label}`,
      value: all,
      unit: 'ms',
      target: `< ${target.toLocaleString('en-US')} ms`,
      pass: all < target,
      baseline: baseAll,
      ratio: all / baseAll,
      note: `median of ${bffRuns.length}`,
    });
  }

  /** The browser client's replay (batched), then a client's that did not ask for batches. */
  async function measureBoth(bff, cookie, threadId, label, target, runs) {
    await measure(bff, cookie, threadId, label, target, runs, true);
    await measure(bff, cookie, threadId, `${label}, a frame per event`, target * 2, runs, false);
  }

  try {
    for (const store of stores) {
      const config = await store.config();
      const bff = await h.startBff(config);
      try {
        const auth = await h.owner(bff);
        const { runtime, threadId } = await h.machineWithThread(bff, auth);
        await runtime.close();
        const seeded = await bff.call('seed', { threadId, n: count, batch: 1000, body: h.outputEvent('{i}') });
        log(`replay ${store.name}: seeded ${count} events in ${(seeded.ms / 1000).toFixed(1)} s via ${seeded.via}`);
        detail[`${store.name} seeding`] = seeded;
        // The size of one replayed frame, for the baseline.
        const probe = await h.api(bff.url, auth.cookie, `/api/threads/${threadId}/events?after=0&limit=1`);
        const event = probe.events?.[0] ?? probe[0];
        if (event) frameBytes = JSON.stringify({ type: 'event', topic: streamTopic.thread(threadId), event }).length;
        if (!store.postgres) {
          await measureBoth(bff, auth.cookie, threadId, store.name, store.target, store.runs);
          continue;
        }
        // Postgres: first as the thread was just written (the planner's statistics predate it,
        // as for any thread that grew fast since autovacuum last analysed), then after ANALYZE.
        detail['Postgres stats before'] = await pgStats(config.databaseUrl);
        await measureBoth(bff, auth.cookie, threadId, 'Postgres', store.target, store.runs);
        await pgAnalyze(config.databaseUrl);
        detail['Postgres stats after ANALYZE'] = await pgStats(config.databaseUrl);
        await measureBoth(bff, auth.cookie, threadId, 'Postgres after ANALYZE', store.target, store.runs);
      } finally {
        await bff.close();
      }
    }
  } finally {
    await relay.close();
  }
  return { rows, detail };
}
