// 7. Execution gateway overhead per streamed chunk: a model stream read by an OpenAI client at a
// runtime's keyless endpoint (stub → BFF's gateway → runtime link → runtime endpoint → client)
// beside the same stream read by the same client straight from the stub, alternating, same run.
// The stub is the tests' (test/support/model-stub.ts, bundled here with esbuild); the runtime is a
// real Local process runtime that the BFF starts; the driver process holds the stub and the client.
import { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as h from '../lib/harness.mjs';

/** Each chunk's text carries its number between these marks, so its send and arrival can be paired. */
const MARK = /§(\d+)§/;

export async function gateway({ quick, log }) {
  const chunks = quick ? 100 : 300;
  const rounds = quick ? 2 : 6;
  const intervalMs = 10;

  const { startModelStub } = await loadStub();
  // When each chunk left the stub: its HTTP write, timed in this process's clock.
  const sentAt = new Map();
  const write = ServerResponse.prototype.write;
  ServerResponse.prototype.write = function timedWrite(chunk, ...rest) {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    const mark = MARK.exec(text);
    if (mark && !sentAt.has(Number(mark[1]))) sentAt.set(Number(mark[1]), h.now());
    return write.call(this, chunk, ...rest);
  };
  let next = 0;
  const stub = await startModelStub();
  stub.setDefault(() => ({
    text: Array.from({ length: chunks }, () => ({ text: `§${++next}§ `, delayMs: intervalMs })),
    usage: { inputTokens: 10, outputTokens: chunks },
  }));

  const bff = await h.startBff({
    dataDir: h.tempDir(),
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
  try {
    const auth = await h.owner(bff);
    const endpoint = await runtimeEndpoint(bff, auth, log);
    const { default: OpenAI } = await import('openai');
    const viaGateway = new OpenAI({ baseURL: `${endpoint.baseUrl}/v1`, apiKey: endpoint.apiKey, maxRetries: 0 });
    const direct = new OpenAI({ baseURL: stub.openaiBaseUrl, apiKey: 'bench-key', maxRetries: 0 });

    /** One streamed answer; each chunk's latency from the stub's write to the client's hands. */
    async function read(client, model) {
      const latencies = [];
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'bench' }],
        stream: true,
      });
      for await (const chunk of stream) {
        const mark = MARK.exec(chunk.choices[0]?.delta?.content ?? '');
        if (!mark) continue;
        const sent = sentAt.get(Number(mark[1]));
        if (sent !== undefined) latencies.push(h.now() - sent);
        sentAt.delete(Number(mark[1]));
      }
      if (latencies.length !== chunks) throw new Error(`read ${latencies.length} of ${chunks} chunks`);
      return latencies;
    }

    await read(viaGateway, 'bench'); // warm-up: clients, connections, JIT
    await read(direct, 'bench');
    const gatewayMs = [];
    const directMs = [];
    for (let round = 0; round < rounds; round++) {
      gatewayMs.push(...(await read(viaGateway, 'bench')));
      directMs.push(...(await read(direct, 'bench')));
      log(`gateway round ${round + 1}/${rounds}`);
    }
    const g = h.summary(gatewayMs);
    const d = h.summary(directMs);
    const p95 = (values) =>
      h.percentile(
        [...values].sort((a, b) => a - b),
        95,
      );
    const added = g.p50 - d.p50;
    const note = `${g.n} chunks, ${chunks} a stream ${intervalMs} ms apart; baseline: the same client straight at the stub`;
    return {
      rows: [
        {
          id: 'gateway.chunk.p50',
          name: 'gateway: streamed chunk, stub → BFF → link → runtime endpoint → client, p50',
          value: g.p50,
          unit: 'ms',
          baseline: d.p50,
          note,
        },
        {
          id: 'gateway.chunk.p95',
          name: 'gateway: streamed chunk, p95',
          value: p95(gatewayMs),
          unit: 'ms',
          baseline: p95(directMs),
        },
        {
          id: 'gateway.chunk.added',
          name: 'gateway: added per streamed chunk, p50',
          value: added,
          unit: 'ms',
          target: '≤ 2 ms',
          pass: added <= 2,
        },
      ],
      detail: { gateway: g, direct: d, p95: { gateway: p95(gatewayMs), direct: p95(directMs) } },
    };
  } finally {
    ServerResponse.prototype.write = write;
    await bff.close();
    await stub.close();
  }
}

/** The tests' model stub, bundled from TypeScript for this plain Node script. */
async function loadStub() {
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
  return import(outfile);
}

/**
 * A Local process runtime and the endpoint its commands are given: a command run by the shell
 * agent prints them, as a CLI agent in the runtime would find them.
 */
async function runtimeEndpoint(bff, auth, log) {
  const call = (path, body, method) => h.api(bff.url, auth.cookie, path, body, method);
  const runtime = await call('/api/runtimes', { provider: 'process', name: 'bench gateway' });
  await poll(async () => (await call(`/api/runtimes/${runtime.id}`)).status === 'ready', 'the runtime');
  log('gateway: runtime ready');
  const thread = await call(`/api/runtimes/${runtime.id}/threads`, {});
  await call(`/api/threads/${thread.id}/messages`, {
    clientId: `bench-${Date.now()}`,
    text: 'printf "%s %s" "$ANTHROPIC_BASE_URL" "$OPENAI_API_KEY"',
  });
  let out = '';
  await poll(async () => {
    const { events } = await call(`/api/threads/${thread.id}/events?after=0`);
    out = events.flatMap((e) => (e.kind === 'tool.output' ? [e.data] : [])).join('');
    return events.some((e) => e.kind === 'tool.result');
  }, 'the endpoint');
  const [baseUrl, apiKey] = out.trim().split(' ');
  if (!baseUrl || !apiKey) throw new Error(`no model endpoint in: ${out}`);
  return { baseUrl, apiKey };
}

/** Resolves once the async `check` holds, asking every 50 ms; rejects after 30 s. */
async function poll(check, what) {
  const deadline = h.now() + 30_000;
  while (!(await check())) {
    if (h.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await h.sleep(50);
  }
}
