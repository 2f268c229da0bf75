// 7. Execution gateway overhead per streamed chunk: a model stream read by an OpenAI client at a
// runtime's keyless endpoint (stub → BFF's gateway → runtime link → runtime endpoint → client)
// beside the same stream read by the same client straight from the stub, alternating, same run.
// The stub is the tests' (test/support/model-stub.ts, bundled here with esbuild); the runtime is a
// real Local process runtime that the BFF starts; the driver process holds the stub, and each
// client is a process of its own (`streamReader`), as a model server's clients are.
import * as h from '../lib/harness.mjs';
import { streamReader, gatewayBff, markedAnswer, poll, processRuntime, timedStub } from '../lib/model-stub.mjs';

export async function gateway({ quick, log }) {
  const chunks = quick ? 100 : 300;
  const rounds = quick ? 2 : 6;
  const intervalMs = 10;

  const { stub, sentAt, close } = await timedStub();
  let next = 0;
  stub.setDefault(() => markedAnswer(chunks, intervalMs, () => ++next));
  const bff = await gatewayBff(stub);
  let auth;
  let viaGateway;
  let direct;
  try {
    auth = await h.owner(bff);
    const endpoint = await runtimeEndpoint(bff, auth, log);
    viaGateway = streamReader(`${endpoint.baseUrl}/v1`, endpoint.apiKey);
    direct = streamReader(stub.openaiBaseUrl, 'bench-key');

    const read = (reader) => reader.read(sentAt, chunks);
    await read(viaGateway); // warm-up: clients, connections, JIT
    await read(direct);
    const gatewayMs = [];
    const directMs = [];
    for (let round = 0; round < rounds; round++) {
      gatewayMs.push(...(await read(viaGateway)));
      directMs.push(...(await read(direct)));
      log(`gateway round ${round + 1}/${rounds}`);
    }
    const g = h.summary(gatewayMs);
    const d = h.summary(directMs);
    const added = g.p50 - d.p50;
    const note = `${g.n} chunks, ${chunks} a stream ${intervalMs} ms apart; baseline: the same client straight at the stub; each client in its own process`;
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
          value: g.p95,
          unit: 'ms',
          baseline: d.p95,
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
      detail: { gateway: g, direct: d },
    };
  } finally {
    viaGateway?.close();
    direct?.close();
    // Its Local process runtime outlives the BFF.
    if (auth) await h.deleteRuntimes(bff, auth).catch(() => {});
    await bff.close();
    await close();
  }
}

/**
 * A Local process runtime and the endpoint its commands are given: a command run by the shell
 * agent prints them, as a CLI agent in the runtime would find them.
 */
async function runtimeEndpoint(bff, auth, log) {
  const call = (path, body) => h.api(bff.url, auth.cookie, path, body);
  const runtime = await processRuntime(bff, auth, 'bench gateway');
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
