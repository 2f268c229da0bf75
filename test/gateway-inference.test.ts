import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ConfigResponse, Thread, UsageResponse } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff } from './support/bff.js';
import { project, startConnect } from './support/machine.js';
import { tempDir } from './support/temp-dir.js';
import { apiToken } from './support/tokens.js';
import { waitFor } from './support/wait.js';
import {
  endpointOf,
  gatewayBff,
  keyedStub,
  MODEL_KEY,
  runtimeWithEndpoint,
  type EndpointAccess,
} from './support/model-gateway.js';
import type { StubFailure } from './support/model-stub.js';

const messages = [{ role: 'user' as const, content: 'hi' }];

function clients(endpoint: EndpointAccess) {
  return {
    openai: new OpenAI({ baseURL: `${endpoint.baseUrl}/v1`, apiKey: endpoint.apiKey, maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey, maxRetries: 0 }),
  };
}

/** What a client call threw, or a failure if it did not. */
async function thrown(
  call: () => Promise<unknown>,
): Promise<InstanceType<typeof OpenAI.APIError> | InstanceType<typeof Anthropic.APIError>> {
  try {
    await call();
  } catch (error) {
    if (error instanceof OpenAI.APIError || error instanceof Anthropic.APIError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

describe('the execution gateway, end to end', () => {
  it("streams answers from the upstream to an OpenAI and an Anthropic client at the runtime's endpoint", async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { threadId, endpoint } = await runtimeWithEndpoint(bff);
    const { openai, anthropic } = clients(endpoint);

    // Chat completions, streamed: the first piece arrives while the upstream is still answering.
    stub.script({
      text: ['Hel', { text: 'lo', delayMs: 400 }],
      usage: { inputTokens: 11, outputTokens: 2 },
    });
    const started = performance.now();
    const chat = await openai.chat.completions.create({ model: 'gpt', messages, stream: true });
    let text = '';
    let firstAt = 0;
    for await (const chunk of chat) {
      const delta = chunk.choices[0]?.delta.content ?? '';
      if (delta && !firstAt) firstAt = performance.now() - started;
      text += delta;
    }
    const doneAt = performance.now() - started;
    expect(text).toBe('Hello');
    expect(doneAt - firstAt).toBeGreaterThan(300);
    // The BFF put in the upstream's model name and its own key.
    expect(stub.requests[0]).toMatchObject({ api: 'openai-chat', model: 'stub-gpt', apiKey: MODEL_KEY, stream: true });

    // Anthropic messages, streamed.
    stub.script({ text: ['Bon', 'jour'], usage: { inputTokens: 20, outputTokens: 3 } });
    const message = anthropic.messages.stream({ model: 'claude', max_tokens: 100, messages });
    expect(await message.finalText()).toBe('Bonjour');
    expect(stub.requests[1]).toMatchObject({ api: 'anthropic-messages', model: 'stub-claude', apiKey: MODEL_KEY });

    // Responses, streamed, and chat completions whole.
    stub.script({ text: ['Y', 'es'], usage: { inputTokens: 5, outputTokens: 1 } });
    const responses = await openai.responses.create({ model: 'gpt', input: 'hi', stream: true });
    let answer = '';
    for await (const event of responses) if (event.type === 'response.output_text.delta') answer += event.delta;
    expect(answer).toBe('Yes');
    stub.script({ text: 'Whole.', usage: { inputTokens: 7, outputTokens: 2 } });
    const whole = await openai.chat.completions.create({ model: 'gpt', messages });
    expect(whole.choices[0]?.message.content).toBe('Whole.');

    // Every call counted for the owner, per thread and per model.
    const usage = (await (await bff.api('/api/usage')).json()) as UsageResponse;
    expect(usage.today).toEqual({ inputTokens: 43, outputTokens: 8, requests: 4 });
    expect(usage.total).toEqual(usage.today);
    expect(usage.dailyTokens).toBeNull();
    // Most used first: gpt 28 tokens, claude 23.
    expect(usage.models.map((m) => [m.model, m.total.requests])).toEqual([
      ['gpt', 3],
      ['claude', 1],
    ]);
    expect(usage.threads).toEqual([expect.objectContaining({ threadId, total: usage.total })]);
  });

  it('answers upstream errors in each API’s own shape and status, without the key', async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { endpoint } = await runtimeWithEndpoint(bff);
    const { openai, anthropic } = clients(endpoint);
    const viaOpenai = (failure: StubFailure) => {
      stub.script(failure);
      return thrown(() => openai.chat.completions.create({ model: 'gpt', messages, stream: true }));
    };
    const viaAnthropic = (failure: StubFailure) => {
      stub.script(failure);
      return thrown(() => anthropic.messages.create({ model: 'claude', max_tokens: 10, messages, stream: true }));
    };
    const anthropicType = (error: { error?: unknown }) => (error.error as { error?: { type?: string } }).error?.type;

    // The upstream refused the key, and said it back: the runtime hears neither the key nor a wrong status.
    const refusedKey = { error: 'unauthorized', message: `Incorrect API key provided: ${MODEL_KEY}.` } as const;
    const unauthorized = await viaOpenai(refusedKey);
    expect(unauthorized).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(unauthorized.message).toContain("refused this server's key");
    expect(unauthorized.message).not.toContain(MODEL_KEY);
    const anthropicUnauthorized = await viaAnthropic(refusedKey);
    expect(anthropicUnauthorized.status).toBe(401);
    expect(anthropicType(anthropicUnauthorized)).toBe('authentication_error');
    expect(anthropicUnauthorized.message).not.toContain(MODEL_KEY);

    const limited = await viaOpenai({ error: 'rate_limited', retryAfterSeconds: 7 });
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(limited.headers?.get('retry-after')).toBe('7');
    const anthropicLimited = await viaAnthropic({ error: 'rate_limited', retryAfterSeconds: 3 });
    expect(anthropicLimited.status).toBe(429);
    expect(anthropicLimited.headers?.get('retry-after')).toBe('3');
    expect(anthropicType(anthropicLimited)).toBe('rate_limit_error');

    const down = await viaOpenai({ error: 'server_error' });
    expect(down).toMatchObject({ status: 502, code: 'upstream_error' });
    expect(down.message).toContain('answered 500');
    const anthropicDown = await viaAnthropic({ error: 'server_error' });
    expect(anthropicDown.status).toBe(502);
    expect(anthropicType(anthropicDown)).toBe('api_error');

    const overflow = await viaOpenai({ error: 'context_overflow' });
    expect(overflow).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    const anthropicOverflow = await viaAnthropic({ error: 'context_overflow' });
    expect(anthropicOverflow.status).toBe(400);
    expect(anthropicType(anthropicOverflow)).toBe('invalid_request_error');
    expect(anthropicOverflow.message).toMatch(/does not fit model "claude"/);
  });

  it('refuses a stranger, an unknown model and the wrong API at the endpoint, naming what works', async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { endpoint } = await runtimeWithEndpoint(bff);
    const { openai, anthropic } = clients(endpoint);
    const stranger = new OpenAI({ baseURL: `${endpoint.baseUrl}/v1`, apiKey: 'guess', maxRetries: 0 });
    expect(await thrown(() => stranger.chat.completions.create({ model: 'gpt', messages }))).toMatchObject({
      status: 401,
    });
    const unknown = await thrown(() => openai.chat.completions.create({ model: 'gpt-9', messages }));
    expect(unknown).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(unknown.message).toContain('"gpt", "claude"');
    const wrongApi = await thrown(() => anthropic.messages.create({ model: 'gpt', max_tokens: 5, messages }));
    expect(wrongApi.status).toBe(400);
    expect(wrongApi.message).toMatch(/speaks the openai API.*chat completions/);
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['gpt', 'claude']);
    expect(stub.requests).toHaveLength(0);
  });

  it("lets a Local sandbox's commands call models on the sandbox's own loopback", async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { threadId } = await readyRuntime(bff, 'bubblewrap');
    const stream = await bff.stream();
    stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: 0 });
    stub.script({ text: ['inside ', 'the sandbox'] });
    const request = JSON.stringify({ model: 'gpt', stream: true, messages });
    const script =
      'fetch(process.env.OPENAI_BASE_URL + "/chat/completions", { method: "POST", headers: ' +
      '{ authorization: "Bearer " + process.env.OPENAI_API_KEY, "content-type": "application/json" }, ' +
      `body: ${JSON.stringify(request)} }).then((r) => r.text()).then((t) => console.log(t))`;
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: `node -e '${script}'` } });
    await stream.until(() => stream.events(threadId).some((e) => e.kind === 'tool.result'), 30_000, 'the command');
    const out = stream
      .events(threadId)
      .flatMap((e) => (e.kind === 'tool.output' ? [e.data] : []))
      .join('');
    const text = out
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => (JSON.parse(line.slice(6)) as OpenAI.ChatCompletionChunk).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe('inside the sandbox');
    expect(out).toContain('data: [DONE]');
    expect(stub.requests[0]).toMatchObject({ apiKey: MODEL_KEY, model: 'stub-gpt' });
  });

  it('gives a machine connected with remote-chat-runtime connect the same keyless path', async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { token } = await apiToken(bff, 'laptop');
    const home = tempDir('rc-home-');
    startConnect([project(home, 'app', 'https://github.com/octo/app.git'), '--url', bff.url], {
      HOME: home,
      REMOTE_CHAT_TOKEN: token,
    });
    const runtime = await waitFor(
      async () =>
        (await bff.server.chat.store.listRuntimes(null)).find((r) => r.kind === 'machine' && r.status === 'ready'),
      'the machine to be ready',
      20_000,
    );
    const thread = (await (await bff.api(`/api/runtimes/${runtime.id}/threads`, { body: {} })).json()) as Thread;
    const endpoint = await endpointOf(bff, thread.id, await bff.stream());
    const { anthropic } = clients(endpoint);
    stub.script({ text: ['from ', 'the laptop'], usage: { inputTokens: 3, outputTokens: 2 } });
    expect(await anthropic.messages.stream({ model: 'claude', max_tokens: 9, messages }).finalText()).toBe(
      'from the laptop',
    );
    expect(stub.requests[0]).toMatchObject({ apiKey: MODEL_KEY, model: 'stub-claude' });
  });

  it('lists the llm agents in GET /api/config only when a model is configured, and no key or URL', async () => {
    const stub = await keyedStub();
    const withModels = await gatewayBff(stub);
    const config = (await (await withModels.api('/api/config')).json()) as ConfigResponse;
    expect(config.agents.map((a) => [a.id, a.label])).toEqual([
      ['shell', 'Shell'],
      ['llm', 'GPT (stub)'],
      ['llm:gpt', 'GPT (stub)'],
      ['llm:claude', 'Claude (stub)'],
    ]);
    const text = JSON.stringify(config);
    expect(text).not.toContain(MODEL_KEY);
    expect(text).not.toContain(stub.url);
    const without = await startTestBff();
    const plain = (await (await without.api('/api/config')).json()) as ConfigResponse;
    expect(plain.agents.map((a) => a.id)).toEqual(['shell']);
  });
});
