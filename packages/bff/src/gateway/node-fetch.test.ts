import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeFetch } from './node-fetch.js';
import { upstreamError } from './upstream.js';

type Handler = (request: http.IncomingMessage, body: string, response: http.ServerResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Handler): Promise<string> {
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => handler(request, body, response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const client = (baseURL: string, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
  new OpenAI({ baseURL, apiKey: 'sk-test-key', maxRetries: 0, fetch: createNodeFetch(), ...options });

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

describe('createNodeFetch, as the model clients use it', () => {
  it('sends the request as the client made it and streams the answer chunk by chunk', async () => {
    let seen: { method?: string; url?: string; authorization?: string; body?: unknown } = {};
    let release: () => void = () => {};
    const base = await serve((request, body, response) => {
      seen = {
        method: request.method,
        url: request.url,
        authorization: request.headers.authorization,
        body: JSON.parse(body),
      };
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(chunk('Hel'));
      // The second chunk only once the first reached the client: nothing waits for the whole body.
      release = () => {
        response.write(chunk('lo'));
        response.end('data: [DONE]\n\n');
      };
    });
    const stream = await client(base).chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const texts: string[] = [];
    for await (const part of stream) {
      texts.push(part.choices[0]?.delta.content ?? '');
      if (texts.length === 1) release();
    }
    expect(texts).toEqual(['Hel', 'lo']);
    expect(seen).toEqual({
      method: 'POST',
      url: '/v1/chat/completions',
      authorization: 'Bearer sk-test-key',
      body: { model: 'm', messages: [{ role: 'user', content: 'Hi' }], stream: true },
    });
  });

  it('decompresses a compressed answer', async () => {
    const base = await serve((request, _body, response) => {
      expect(request.headers['accept-encoding']).toMatch(/gzip/);
      const answer = { id: 'x', object: 'list', data: [{ id: 'm', object: 'model', created: 1, owned_by: 'o' }] };
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(gzipSync(JSON.stringify(answer)));
    });
    const models = await client(base).models.list();
    expect(models.data.map((model) => model.id)).toEqual(['m']);
  });

  it('gives the client the status, headers and error body of a refusal', async () => {
    const base = await serve((_request, _body, response) => {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      response.end(JSON.stringify({ error: { message: 'Slow down.', type: 'rate_limit' } }));
    });
    const error = await client(base)
      .chat.completions.create({ model: 'm', messages: [] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');
    expect((error as Error).message).toMatch(/Slow down/);
  });

  it('ends a streaming body when the caller aborts, and the server sees the connection go', async () => {
    let closed!: Promise<void>;
    const base = await serve((_request, _body, response) => {
      closed = new Promise((resolve) => response.on('close', () => resolve()));
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(chunk('first'));
    });
    const abort = new AbortController();
    const stream = await client(base).chat.completions.create(
      { model: 'm', messages: [], stream: true },
      { signal: abort.signal },
    );
    const texts: string[] = [];
    const read = (async () => {
      for await (const part of stream) {
        texts.push(part.choices[0]?.delta.content ?? '');
        abort.abort();
      }
    })();
    // The client ends its stream quietly on its caller's abort; what matters is that it ends.
    await read;
    expect(texts).toEqual(['first']);
    await closed;
  });

  it('times out as the client says, and a server that is not there is unreachable in words', async () => {
    const base = await serve(() => {
      // Never answers.
    });
    const timeout = await client(base, { timeout: 200 })
      .chat.completions.create({ model: 'm', messages: [] })
      .catch((caught: unknown) => caught);
    expect(timeout).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);

    const nowhere = await serve(() => {});
    const server = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const refused = await client(nowhere)
      .chat.completions.create({ model: 'm', messages: [] })
      .catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(OpenAI.APIConnectionError);
    const model = {
      id: 'gpt',
      label: 'GPT',
      api: 'openai' as const,
      baseUrl: nowhere,
      model: 'gpt',
      apiKey: 'sk-test-key',
    };
    expect(upstreamError(refused, model).message).toMatch(
      /^Cannot reach the upstream of model "gpt": connect ECONNREFUSED/,
    );
  });

  it('takes a 204 without a body', async () => {
    const base = await serve((_request, _body, response) => {
      response.writeHead(204);
      response.end();
    });
    const fetch = createNodeFetch();
    const response = await fetch(`${base}/nothing`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });
});
