// 5. Memory per idle browser connection: N stream sockets, each subscribed to a thread topic (it
// replays the thread's few events and goes live), then idle. The BFF runs in its own process with
// --expose-gc; heap + external after a full GC, before and after, divided by N (VmRSS too). Then
// every socket closes and the growth that remains is reported as a leak. Baseline: the same N
// sockets on a bare `ws` server, each sending one frame and getting one answer.
import WebSocket from 'ws';
import * as h from '../lib/harness.mjs';

const used = (m) => m.heapUsed + m.external;

async function measure(target, openAll) {
  const warm = await openAll(20);
  await warm.close();
  await h.sleep(300);
  const before = await target.call('memory');
  const conns = await openAll(null);
  await h.sleep(500);
  const during = await target.call('memory');
  await conns.close();
  await h.sleep(1000);
  const after = await target.call('memory');
  return { before, during, after };
}

export async function memory({ quick, log }) {
  const n = h.socketBudget(quick ? 300 : 1000, log);
  const bff = await h.startBff({ dataDir: h.tempDir() });
  const relay = await h.startRelay();
  try {
    const auth = await h.owner(bff);
    const { runtime, threadId } = await h.machineWithThread(bff, auth);
    for (let i = 1; i <= 10; i++) await runtime.event(threadId, h.outputEvent(i));

    const bffMem = await measure(bff, async (count) => {
      const subs = await h.openSubscribers(bff.url, auth.cookie, count ?? n, { parse: 'full' }, 50);
      for (const s of subs) s.subscribe(threadId, 0);
      await h.until(() => subs.every((s) => s.caughtUp && s.lastSeq === 10), 30_000, 'every subscriber caught up');
      const closed = subs.filter((s) => s.closes.length);
      if (closed.length)
        throw new Error(
          `${closed.length} idle stream sockets were closed by the BFF: ${JSON.stringify(closed[0].closes)}`,
        );
      return {
        async close() {
          for (const s of subs) s.close();
          await h.until(() => subs.every((s) => s.closes.length), 10_000, 'sockets closed');
        },
      };
    });

    const base = relay.url.replace(/^http/, 'ws') + '/recv';
    const relayMem = await measure(relay, async (count) => {
      const sockets = [];
      for (let i = 0; i < (count ?? n); i += 50) {
        const batch = [];
        for (let k = i; k < Math.min(count ?? n, i + 50); k++) {
          batch.push(
            new Promise((resolve, reject) => {
              const ws = new WebSocket(base, { perMessageDeflate: false });
              ws.once('open', () => ws.send('{"type":"subscribe"}'));
              ws.once('message', () => resolve(ws));
              ws.once('error', reject);
            }),
          );
        }
        sockets.push(...(await Promise.all(batch)));
      }
      return {
        async close() {
          const closed = sockets.map((ws) => new Promise((r) => ws.once('close', r)));
          for (const ws of sockets) ws.close();
          await Promise.all(closed);
        },
      };
    });
    await runtime.close();

    const per = (m, f) => (f(m.during) - f(m.before)) / n;
    const bffPer = per(bffMem, used);
    const relayPer = per(relayMem, used);
    const bffLeak = (used(bffMem.after) - used(bffMem.before)) / n;
    log(
      `memory: BFF ${(bffPer / 1024).toFixed(1)} KB/conn (rss ${(per(bffMem, (m) => m.vmRss) / 1024).toFixed(1)}), relay ${(relayPer / 1024).toFixed(1)} KB/conn, left after close ${(bffLeak / 1024).toFixed(2)} KB/conn`,
    );
    return {
      rows: [
        {
          id: 'memory.perConnection',
          name: `Memory per idle browser connection (heap + external, ${n} sockets each subscribed to a thread)`,
          value: bffPer / 1024,
          unit: 'KB',
          target: '< 20 KB',
          pass: bffPer / 1024 < 20,
          baseline: relayPer / 1024,
          ratio: bffPer / relayPer,
        },
        {
          id: 'memory.rss',
          name: 'Same, process RSS growth per connection',
          value: per(bffMem, (m) => m.vmRss) / 1024,
          unit: 'KB',
          baseline: per(relayMem, (m) => m.vmRss) / 1024,
          ratio: per(bffMem, (m) => m.vmRss) / per(relayMem, (m) => m.vmRss),
        },
        {
          id: 'memory.leak',
          name: 'Heap + external still held per connection after all closed',
          value: bffLeak / 1024,
          unit: 'KB',
          baseline: (used(relayMem.after) - used(relayMem.before)) / n / 1024,
        },
      ],
      detail: { n, bff: bffMem, baseline: relayMem, gc: bffMem.before.gc },
    };
  } finally {
    await Promise.all([bff.close(), relay.close()]);
  }
}
