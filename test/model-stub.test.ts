import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ModelStub, type StubErrorKind, slowAnswer, startModelStub } from './support/model-stub.js';

// The stub is what every llm-agent and gateway test talks to, so it is checked here with the
// official clients: if they accept its answers, streams and errors, so will the real upstreams' users.

let stub: ModelStub;
beforeEach(async () => {
  stub = await startModelStub({ apiKey: 'sk-test' });
});
afterEach(async () => {
  await stub.close();
});

const openai = () => new OpenAI({ baseURL: stub.openaiBaseUrl, apiKey: 'sk-test', maxRetries: 0 });
const anthropic = () => new Anthropic({ baseURL: stub.anthropicBaseUrl, apiKey: 'sk-test', maxRetries: 0 });
const readFile = { name: 'read_file', arguments: { path: 'src/sum.js' } };

describe('OpenAI chat completions', () => {
  it('streams text then tool calls that the client puts together, with usage', async () => {
    stub.script({ text: ['Let me ', 'look.'], toolCalls: [readFile], usage: { inputTokens: 50, outputTokens: 7 } });
    const stream = openai().chat.completions.stream({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'fix the test' }],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const completion = await stream.finalChatCompletion();
    expect(deltas).toEqual(['Let me ', 'look.']);
    const message = completion.choices[0]?.message;
    expect(message?.content).toBe('Let me look.');
    const call = message?.tool_calls?.[0];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ path: 'src/sum.js' });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 7 });
    expect(stub.requests[0]).toMatchObject({ api: 'openai-chat', model: 'gpt-test', stream: true, apiKey: 'sk-test' });
  });

  it('answers whole when not streaming', async () => {
    stub.script({ text: 'All green.', usage: { inputTokens: 3, outputTokens: 2 } });
    const completion = await openai().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('All green.');
    expect(completion.usage?.total_tokens).toBe(5);
  });

  it('refuses a history whose tool call has no result, as the real API does', async () => {
    stub.script({ text: 'never sent' });
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'x', arguments: '{}' } }],
      },
      { role: 'user', content: 'and?' },
    ];
    const failure = await openai()
      .chat.completions.create({ model: 'm', messages })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String(failure)).toContain('call_9');
    expect(stub.pending).toBe(1);
  });
});

describe('OpenAI responses', () => {
  it('streams text and a function call as semantic events', async () => {
    stub.script({ text: ['Reading ', 'it.'], toolCalls: [readFile], usage: { inputTokens: 40, outputTokens: 6 } });
    const stream = openai().responses.stream({ model: 'gpt-test', input: 'fix the test', instructions: 'be brief' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const response = await stream.finalResponse();
    expect(deltas).toEqual(['Reading ', 'it.']);
    expect(response.output_text).toBe('Reading it.');
    const call = response.output.find((item) => item.type === 'function_call');
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({ path: 'src/sum.js' });
    expect(response.usage).toMatchObject({ input_tokens: 40, output_tokens: 6 });
    expect(stub.requests[0]?.texts).toEqual(['be brief', 'fix the test']);
  });

  it('answers whole when not streaming', async () => {
    stub.script({ text: 'Done.' });
    const response = await openai().responses.create({ model: 'm', input: 'hi' });
    expect(response.output_text).toBe('Done.');
  });
});

describe('Anthropic messages', () => {
  it('streams text then tool use that the client puts together, with usage', async () => {
    stub.script({ text: ['Let me ', 'look.'], toolCalls: [readFile], usage: { inputTokens: 60, outputTokens: 8 } });
    const stream = anthropic().messages.stream({
      model: 'claude-test',
      max_tokens: 1024,
      system: 'You are careful.',
      messages: [{ role: 'user', content: 'fix the test' }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas).toEqual(['Let me ', 'look.']);
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Let me look.' });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'read_file', input: { path: 'src/sum.js' } });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 60, output_tokens: 8 });
    expect(stub.requests[0]).toMatchObject({
      api: 'anthropic-messages',
      apiKey: 'sk-test',
      texts: ['You are careful.', 'user', 'fix the test'],
    });
  });

  it('answers whole when not streaming', async () => {
    stub.script({ toolCalls: [{ ...readFile, id: 'toolu_fixed' }] });
    const message = await anthropic().messages.create({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content).toMatchObject([{ type: 'tool_use', id: 'toolu_fixed', input: { path: 'src/sum.js' } }]);
  });

  it('refuses a tool use without its result in the next message', async () => {
    const failure = await anthropic()
      .messages.create({
        model: 'm',
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'x', input: {} }] },
          { role: 'user', content: 'and?' },
        ],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String(failure)).toContain('toolu_1');
  });
});

describe('errors in each API’s shape', () => {
  const cases: Array<[StubErrorKind, number]> = [
    ['unauthorized', 401],
    ['rate_limited', 429],
    ['server_error', 500],
    ['context_overflow', 400],
  ];
  for (const [kind, status] of cases) {
    it(`${kind} is a ${status} the official clients recognise`, async () => {
      stub.script(
        { error: kind, retryAfterSeconds: 7 },
        { error: kind, retryAfterSeconds: 7 },
        { error: kind, retryAfterSeconds: 7 },
      );
      const chat = await openai()
        .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true })
        .catch((error: unknown) => error);
      const responses = await openai()
        .responses.create({ model: 'm', input: 'hi' })
        .catch((error: unknown) => error);
      const messages = await anthropic()
        .messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
        .catch((error: unknown) => error);
      for (const error of [chat, responses]) {
        expect(error).toBeInstanceOf(OpenAI.APIError);
        expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
      }
      expect(messages).toBeInstanceOf(Anthropic.APIError);
      expect((messages as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
      if (kind === 'rate_limited') {
        expect((chat as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
        expect(messages).toBeInstanceOf(Anthropic.RateLimitError);
      }
      if (kind === 'context_overflow') {
        expect((chat as InstanceType<typeof OpenAI.APIError>).code).toBe('context_length_exceeded');
        expect(String(messages)).toContain('prompt is too long');
      }
      if (kind === 'unauthorized') expect(messages).toBeInstanceOf(Anthropic.AuthenticationError);
    });
  }

  it('a wrong key is a 401 whatever is scripted', async () => {
    stub.script({ text: 'never sent' });
    const client = new OpenAI({ baseURL: stub.openaiBaseUrl, apiKey: 'sk-wrong', maxRetries: 0 });
    const failure = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(stub.requests[0]?.apiKey).toBe('sk-wrong');
  });

  it('a request with no scripted turn left fails with a message that says so', async () => {
    const failure = await openai()
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(String(failure)).toContain('no scripted turn left for request 1');
  });
});

describe('scripting and recording', () => {
  it('a turn may be a function of the request, and the default answers an empty queue', async () => {
    stub.setDefault((request) => ({ text: `you said ${request.texts.at(-1)}` }));
    const ask = async (content: string) =>
      (await openai().chat.completions.create({ model: 'm', messages: [{ role: 'user', content }] })).choices[0]
        ?.message.content;
    expect(await ask('one')).toBe('you said one');
    expect(await ask('two')).toBe('you said two');
    expect(stub.requests.map((request) => request.texts)).toEqual([
      ['user', 'one'],
      ['user', 'two'],
    ]);
  });

  it('a client that aborts a slow stream ends it at once, and the stub records the abort', async () => {
    stub.script(slowAnswer(1000, 50));
    const controller = new AbortController();
    const stream = anthropic().messages.stream(
      { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'talk' }] },
      { signal: controller.signal },
    );
    await new Promise<void>((resolve) => stream.once('text', () => resolve()));
    const started = Date.now();
    controller.abort();
    await expect(stream.finalMessage()).rejects.toThrow();
    const request = await stub.waitForRequest(1);
    expect(await request.ended).toBe('aborted');
    expect(request.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('waits for a request that has not arrived yet', async () => {
    stub.script({ text: 'late', delayMs: 50 });
    const arrival = stub.waitForRequest(1);
    const answer = openai().responses.create({ model: 'm', input: 'hi' });
    expect((await arrival).api).toBe('openai-responses');
    expect((await answer).output_text).toBe('late');
    expect(await stub.requests[0]?.ended).toBe('complete');
  });
});
