// A model stream's reader in a process of its own, as any client of a model server is: the
// gateway and llm benchmarks' clients (`streamReader` in model-stub.mjs). Asked
// `{ baseURL, apiKey }` over IPC, it reads one streamed answer (model `bench`) with the official
// OpenAI client and answers with each chunk's text and arrival time on the system-wide monotonic
// clock (`monotonicMs` in harness.mjs).
import OpenAI from 'openai';

const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;
const clients = new Map();

process.on('message', async ({ baseURL, apiKey }) => {
  try {
    if (!clients.has(baseURL)) clients.set(baseURL, new OpenAI({ baseURL, apiKey, maxRetries: 0 }));
    const stream = await clients.get(baseURL).chat.completions.create({
      model: 'bench',
      messages: [{ role: 'user', content: 'bench' }],
      stream: true,
    });
    const arrivals = [];
    for await (const chunk of stream) arrivals.push([chunk.choices[0]?.delta?.content ?? '', monotonicMs()]);
    process.send({ arrivals });
  } catch (error) {
    process.send({ error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
