// The tests' model stub for the benchmarks that stream model answers (gateway, llm): bundled
// from TypeScript for these plain Node scripts, with each chunk's HTTP write timed on the
// system-wide monotonic clock, a reader process to time its arrival, and a Local process runtime
// of the BFF to call it from.
import { fork } from 'node:child_process';
import { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as h from './harness.mjs';

/** Each chunk's text carries its number between these marks, so its send and arrival can be paired. */
export const MARK = /§(\d+)§/g;

/** The marks' numbers in a piece of text (a streamed piece may carry several). */
export function marksIn(text) {
  return [...(text ?? '').matchAll(MARK)].map((match) => Number(match[1]));
}

/**
 * The stub (test/support/model-stub.ts), started on loopback, with `sentAt`: when each marked
 * chunk left it (its first HTTP write, `h.monotonicMs()`, so that another process's arrival times
 * compare). `close()` stops it and undoes the timing.
 */
export async function timedStub() {
  const { build } = await import('esbuild');
  const outfile = join(h.tempDir(), 'model-stub.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('../../test/support/model-stub.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'silent',
  });
  const { startModelStub } = await import(outfile);
  const sentAt = new Map();
  const write = ServerResponse.prototype.write;
  ServerResponse.prototype.write = function timedWrite(chunk, ...rest) {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    for (const mark of marksIn(text)) if (!sentAt.has(mark)) sentAt.set(mark, h.monotonicMs());
    return write.call(this, chunk, ...rest);
  };
  const stub = await startModelStub();
  return {
    stub,
    sentAt,
    async close() {
      ServerResponse.prototype.write = write;
      await stub.close();
    },
  };
}

/** A streamed answer of `count` marked chunks, `intervalMs` apart, numbered on from `next()`. */
export function markedAnswer(count, intervalMs, next) {
  return {
    text: Array.from({ length: count }, () => ({ text: `§${next()}§ `, delayMs: intervalMs })),
    usage: { inputTokens: 10, outputTokens: count },
  };
}

/**
 * An OpenAI client in a process of its own (bench/lib/stream-reader-child.mjs) at `baseURL`, as
 * any client of a model server is: the baselines read the stub with one. (A reader in the stub's
 * own process would get each chunk with no process to wake and its caches warm from writing it:
 * a baseline no client has.) `read(sentAt, expected)` reads one streamed answer (model `bench`)
 * and resolves to each marked chunk's latency from the stub's write; it throws unless all
 * `expected` chunks came.
 */
export function streamReader(baseURL, apiKey) {
  const child = fork(fileURLToPath(new URL('./stream-reader-child.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    read(sentAt, expected) {
      return new Promise((resolve, reject) => {
        const onExit = (code) => reject(new Error(`the direct reader exited (${code})`));
        child.once('exit', onExit);
        child.once('message', (answer) => {
          child.off('exit', onExit);
          if (answer.error) reject(new Error(`the direct reader failed: ${answer.error}`));
          else resolve(latenciesOf(answer.arrivals, sentAt, expected));
        });
        child.send({ baseURL, apiKey });
      });
    },
    close() {
      child.disconnect();
    },
  };
}

/** Each marked chunk's latency from `sentAt` (consumed) to its arrival; throws unless all `expected` came. */
function latenciesOf(arrivals, sentAt, expected) {
  const latencies = [];
  for (const [text, arrivedAt] of arrivals) {
    for (const mark of marksIn(text)) {
      const sent = sentAt.get(mark);
      if (sent !== undefined) latencies.push(arrivedAt - sent);
      sentAt.delete(mark);
    }
  }
  if (latencies.length !== expected) throw new Error(`read ${latencies.length} of ${expected} chunks`);
  return latencies;
}

/**
 * A BFF (child process) whose gateway serves the stub's OpenAI API as model `bench` (the `llm`
 * agent); `options` go to the BFF too (`sqliteSynchronous`).
 */
export function gatewayBff(stub, options = {}) {
  return h.startBff({
    dataDir: h.tempDir(),
    ...options,
    gateway: {
      models: [
        {
          id: 'bench',
          label: 'Bench',
          api: 'openai',
          baseUrl: stub.openaiBaseUrl,
          apiKey: 'bench-key',
          model: 'bench',
        },
      ],
      requestsPerMinute: 10_000,
    },
  });
}

/** Creates a Local process runtime and waits until it is ready. */
export async function processRuntime(bff, auth, name) {
  const call = (path, body) => h.api(bff.url, auth.cookie, path, body);
  const runtime = await call('/api/runtimes', { provider: 'process', name });
  await poll(async () => (await call(`/api/runtimes/${runtime.id}`)).status === 'ready', 'the runtime');
  return runtime;
}

/** Resolves once the async `check` holds, asking every 50 ms; rejects after 30 s. */
export async function poll(check, what) {
  const deadline = h.now() + 30_000;
  while (!(await check())) {
    if (h.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await h.sleep(50);
  }
}
