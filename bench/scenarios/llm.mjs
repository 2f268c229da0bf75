// 8. The llm agent as the browser sees it, through the whole path: stub → BFF gateway → runtime
// link → runtime endpoint → llm agent → `message.delta` event → link → BFF (stored) → browser
// stream. The driver holds the stub (its writes timed) and the browsers (`ws` subscribers as in
// the relay benchmarks); the BFF, a Local process runtime and the baseline's OpenAI client
// (`streamReader`: a client of a model server is never in the server's process) are processes of
// their own. Times are on the system-wide monotonic clock (`h.monotonicMs`).
//
// (a) Per streamed chunk: from the stub's write to the `message.delta` carrying it on the
//     browser's stream, beside the same stream read by an OpenAI client straight from the stub
//     in its own process, alternating. The chunks come 80 ms apart: the agent sends a piece at once when none went out
//     in the last 30 ms (its `deltaIntervalMs`), so each chunk travels alone, unbatched.
// (b) Send → first token: from POSTing the message (as the chat does) to the first
//     `message.delta` on the stream, the stub answering at once; beside the shell agent's Send →
//     first `tool.output` of `echo`, alternating, in another thread of the same runtime.
// Both with SQLite `synchronous=full`, then `normal`, since each delta is stored before it is shown.
import { randomBytes } from 'node:crypto';
import * as h from '../lib/harness.mjs';
import { streamReader, gatewayBff, marksIn, markedAnswer, processRuntime, timedStub } from '../lib/model-stub.mjs';

/** A lost event must fail the scenario, not hang it. */
const TURN_TIMEOUT_MS = 30_000;

/**
 * Measured twice, as the relay latency is: with SQLite's default `synchronous=full` (each delta
 * waits for its commit's fsync before the browser may see it) and with `normal`.
 */
export async function llm({ quick, log }) {
  const full = await measure({ quick, log }, 'full');
  const normal = await measure({ quick, log }, 'normal');
  return { rows: [...full.rows, ...normal.rows], detail: { full: full.detail, normal: normal.detail } };
}

async function measure({ quick, log }, synchronous) {
  const label = synchronous === 'full' ? '' : ', SQLite synchronous=normal';
  const suffix = synchronous === 'full' ? '' : '.normal';
  const chunks = quick ? 30 : 60;
  const rounds = quick ? 1 : 4;
  const sends = quick ? 10 : 40;
  const intervalMs = 80;

  const { stub, sentAt, close } = await timedStub();
  let next = 0;
  /** What the stub answers next: a long marked stream, or one word at once. */
  let answer = 'stream';
  stub.setDefault(() => (answer === 'stream' ? markedAnswer(chunks, intervalMs, () => ++next) : { text: 'ok' }));
  const bff = await gatewayBff(stub, { sqliteSynchronous: synchronous });
  let auth;
  let direct;
  try {
    auth = await h.owner(bff);
    const runtime = await processRuntime(bff, auth, 'bench llm');
    log('llm: runtime ready');
    const llmThread = await Browser.open(bff, auth, runtime.id);
    const shellThread = await Browser.open(bff, auth, runtime.id);
    direct = streamReader(stub.openaiBaseUrl, 'bench-key');

    /**
     * One answer of the llm agent; each chunk's latency from the stub's write to the browser. The
     * BFF's timestamp of the stored event (`at`, to the millisecond) splits it: `stored` is the
     * part up to the BFF storing it (stub → gateway → runtime → agent → link → BFF).
     */
    const stored = [];
    async function viaBrowser() {
      const latencies = [];
      llmThread.onEvent = (event) => {
        if (event.kind !== 'message.delta') return;
        for (const mark of marksIn(event.text)) {
          const sent = sentAt.get(mark);
          if (sent === undefined) continue;
          const ago = h.monotonicMs() - sent;
          latencies.push(ago);
          // Date.now, not performance.timeOrigin: the two clocks drift apart in a long run.
          stored.push(Date.parse(event.at) - (Date.now() - ago));
          sentAt.delete(mark);
        }
      };
      await llmThread.turn('Stream, please.', 'llm');
      if (latencies.length !== chunks) throw new Error(`the browser got ${latencies.length} of ${chunks} chunks`);
      return latencies;
    }

    await viaBrowser(); // warm-up: connections, JIT, the agent's first call
    await direct.read(sentAt, chunks);
    stored.length = 0;
    const browserMs = [];
    const directMs = [];
    for (let round = 0; round < rounds; round++) {
      browserMs.push(...(await viaBrowser()));
      directMs.push(...(await direct.read(sentAt, chunks)));
      log(`llm: chunk round ${round + 1}/${rounds}`);
    }

    answer = 'at once';
    /** Send → the first event of `kind` on the browser's stream. */
    async function firstOf(thread, text, agent, kind) {
      let first;
      thread.onEvent = (event) => {
        if (first === undefined && event.kind === kind) first = h.now();
      };
      const sent = h.now();
      await thread.turn(text, agent);
      if (first === undefined) throw new Error(`no ${kind} in the ${agent} turn`);
      return first - sent;
    }
    await firstOf(llmThread, 'Hi.', 'llm', 'message.delta'); // warm-up
    await firstOf(shellThread, 'echo hi', 'shell', 'tool.output');
    const llmFirst = [];
    const shellFirst = [];
    for (let i = 0; i < sends; i++) {
      llmFirst.push(await firstOf(llmThread, 'Hi.', 'llm', 'message.delta'));
      shellFirst.push(await firstOf(shellThread, 'echo hi', 'shell', 'tool.output'));
    }
    log(`llm: ${sends} sends each`);
    llmThread.close();
    shellThread.close();

    const b = h.summary(browserMs);
    const d = h.summary(directMs);
    const added = b.p50 - d.p50;
    const toStore = h.summary(stored);
    const l = h.summary(llmFirst);
    const s = h.summary(shellFirst);
    return {
      rows: [
        {
          id: `llm.chunk.p50${suffix}`,
          name: `llm agent: streamed chunk, stub → BFF → runtime → agent → BFF → browser stream, p50${label}`,
          value: b.p50,
          unit: 'ms',
          baseline: d.p50,
          note: `${b.n} chunks, ${chunks} a stream ${intervalMs} ms apart; baseline: an OpenAI client in its own process straight at the stub`,
        },
        {
          id: `llm.chunk.p95${suffix}`,
          name: `llm agent: streamed chunk to the browser, p95${label}`,
          value: b.p95,
          unit: 'ms',
          baseline: d.p95,
        },
        {
          id: `llm.chunk.added${suffix}`,
          name: `llm agent: added per streamed chunk to the browser, p50${label}`,
          value: added,
          unit: 'ms',
          target: '≤ 2 ms',
          pass: added <= 2,
          note: `of the ${b.p50.toFixed(2)} ms, stub → stored in the BFF p50 ${toStore.p50.toFixed(1)} ms (the BFF's millisecond timestamps)`,
        },
        {
          id: `llm.first.p50${suffix}`,
          name: `llm agent: Send → first streamed token on the browser stream, p50${label}`,
          value: l.p50,
          unit: 'ms',
          baseline: s.p50,
          ratio: l.p50 / s.p50,
          note: `${l.n} sends, the stub answering at once; baseline: the shell agent's Send → first output of echo`,
        },
        {
          id: `llm.first.p95${suffix}`,
          name: `llm agent: Send → first streamed token, p95${label}`,
          value: l.p95,
          unit: 'ms',
          baseline: s.p95,
          ratio: l.p95 / s.p95,
        },
      ],
      detail: { chunk: { browser: b, direct: d, stored: toStore }, first: { llm: l, shell: s } },
    };
  } finally {
    // Its Local process runtime outlives the BFF.
    direct?.close();
    if (auth) await h.deleteRuntimes(bff, auth).catch(() => {});
    await bff.close();
    await close();
  }
}

/**
 * A thread of the runtime and a browser's stream subscribed to it; `turn` sends a message as the
 * chat does and resolves when the agent is idle again. `onEvent` hears each event as it arrives.
 */
class Browser {
  static async open(bff, auth, runtimeId) {
    const threadId = await h.newThread(bff, auth, runtimeId);
    const browser = new Browser(bff, auth, threadId);
    await browser.subscriber.open();
    browser.subscriber.subscribe(threadId, 0);
    await h.until(() => browser.subscriber.caughtUp, 10_000, 'caught-up');
    return browser;
  }

  constructor(bff, auth, threadId) {
    this.bff = bff;
    this.auth = auth;
    this.threadId = threadId;
    this.onEvent = undefined;
    this.idle = undefined;
    this.subscriber = new h.Subscriber(bff.url, auth.cookie, {
      parse: 'full',
      onEvent: (_seq, event) => {
        this.onEvent?.(event);
        if (event.kind === 'status' && event.state === 'idle') this.idle?.();
      },
    });
  }

  async turn(text, agent) {
    const idle = new Promise((resolve) => (this.idle = resolve));
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the ${agent} turn did not end`)), TURN_TIMEOUT_MS);
    });
    const clientId = `bench-${randomBytes(8).toString('hex')}`;
    try {
      await Promise.race([
        Promise.all([
          h.api(this.bff.url, this.auth.cookie, `/api/threads/${this.threadId}/messages`, { clientId, text, agent }),
          idle,
        ]),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
      this.idle = undefined;
    }
    if (this.subscriber.gaps || this.subscriber.duplicates) throw new Error('the stream had a gap or a duplicate');
  }

  close() {
    this.subscriber.close();
  }
}
