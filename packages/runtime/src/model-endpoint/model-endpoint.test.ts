import type { GatewayFromRuntimeFrame, GatewayToRuntimeFrame } from '@remote-chat/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayCallError, GatewayClient } from './gateway-client.js';
import { startModelEndpoint, type ModelEndpoint } from './model-endpoint.js';

// The endpoint's in-process route (ModelAccess.inProcess), which the runtime's own llm agent
// takes: the same inference requests on the gateway channel as its HTTP routes send, and the
// stream events back as the official clients would yield them.

/** A frame from the BFF without its request id, which the script fills in. */
type Unaddressed<T> = T extends unknown ? Omit<T, 'requestId'> : never;

/** A gateway client whose frames a test answers as the BFF would. */
function scriptedGateway() {
  const sent: GatewayFromRuntimeFrame[] = [];
  const client = new GatewayClient((frame) => {
    sent.push(frame);
    return true;
  });
  const requestId = () => {
    const request = sent.find((frame) => frame.type === 'executionGateway.request');
    if (!request) throw new Error('no request was sent');
    return request.requestId;
  };
  const answer = (frame: Unaddressed<GatewayToRuntimeFrame>) =>
    client.receive({ ...frame, requestId: requestId() } as GatewayToRuntimeFrame);
  return { client, sent, answer };
}

let endpoint: ModelEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

async function collect(events: AsyncIterable<unknown>): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('the model endpoint in process', () => {
  it('sends the thread’s inference request and yields each streamed chunk as it comes', async () => {
    const gateway = scriptedGateway();
    endpoint = await startModelEndpoint({ gateway: gateway.client, models: () => [] });
    const access = endpoint.forThread('th_one');
    const body = { model: 'bench', stream: true, messages: [{ role: 'user', content: 'hi' }] };
    const events = access.inProcess!.stream('openai-chat', body, new AbortController().signal);
    const iterator = events[Symbol.asyncIterator]();
    const first = iterator.next();
    await Promise.resolve();
    expect(gateway.sent).toEqual([
      {
        type: 'executionGateway.request',
        requestId: expect.any(String),
        capability: 'inference',
        payload: { api: 'openai-chat', model: 'bench', body, threadId: 'th_one' },
      },
    ]);
    gateway.answer({ type: 'executionGateway.notification', payload: { choices: [{ delta: { content: 'He' } }] } });
    expect(await first).toEqual({ done: false, value: { choices: [{ delta: { content: 'He' } }] } });
    gateway.answer({ type: 'executionGateway.notification', payload: { choices: [{ delta: { content: 'llo' } }] } });
    gateway.answer({ type: 'executionGateway.reply', payload: { usage: { inputTokens: 3, outputTokens: 2 } } });
    expect(await collect({ [Symbol.asyncIterator]: () => iterator })).toEqual([
      { choices: [{ delta: { content: 'llo' } }] },
    ]);
  });

  it('unwraps Anthropic notifications to the events its client yields, and counts no thread for the runtime’s own key', async () => {
    const gateway = scriptedGateway();
    endpoint = await startModelEndpoint({ gateway: gateway.client, models: () => [] });
    const events = endpoint.inProcess!.stream(
      'anthropic-messages',
      { model: 'claude', stream: true, max_tokens: 10, messages: [] },
      new AbortController().signal,
    );
    const all = collect(events);
    await Promise.resolve();
    expect(gateway.sent[0]).toMatchObject({ payload: { api: 'anthropic-messages', model: 'claude' } });
    expect(gateway.sent[0]).not.toHaveProperty('payload.threadId');
    const start = { type: 'message_start', message: { usage: { input_tokens: 1, output_tokens: 0 } } };
    gateway.answer({ type: 'executionGateway.notification', payload: { event: 'message_start', data: start } });
    gateway.answer({ type: 'executionGateway.reply', payload: {} });
    expect(await all).toEqual([start]);
  });

  it('ends with the gateway’s error, code and wait kept', async () => {
    const gateway = scriptedGateway();
    endpoint = await startModelEndpoint({ gateway: gateway.client, models: () => [] });
    const all = collect(
      endpoint.inProcess!.stream('openai-chat', { model: 'm', stream: true }, new AbortController().signal),
    );
    await Promise.resolve();
    gateway.answer({ type: 'executionGateway.error', code: 'rate_limited', message: 'slow down', retryAfterMs: 2000 });
    const error = await all.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(GatewayCallError);
    expect(error).toMatchObject({ code: 'rate_limited', message: 'slow down', retryAfterMs: 2000 });
  });

  it('cancels the call when the caller aborts or stops reading early', async () => {
    const gateway = scriptedGateway();
    endpoint = await startModelEndpoint({ gateway: gateway.client, models: () => [] });
    const stop = new AbortController();
    const aborted = collect(endpoint.inProcess!.stream('openai-chat', { model: 'm', stream: true }, stop.signal));
    await Promise.resolve();
    stop.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'cancelled' });
    expect(gateway.sent.map((frame) => frame.type)).toEqual(['executionGateway.request', 'executionGateway.cancel']);
    expect(gateway.client.pending).toBe(0);

    const second = scriptedGateway();
    const other = await startModelEndpoint({ gateway: second.client, models: () => [] });
    try {
      const events = other.inProcess!.stream('openai-chat', { model: 'm', stream: true }, new AbortController().signal);
      const iterator = events[Symbol.asyncIterator]();
      const first = iterator.next();
      await Promise.resolve();
      second.answer({ type: 'executionGateway.notification', payload: { n: 1 } });
      await first;
      await iterator.return?.(undefined);
      expect(second.sent.map((frame) => frame.type)).toEqual(['executionGateway.request', 'executionGateway.cancel']);
      expect(second.client.pending).toBe(0);
    } finally {
      await other.close();
    }
  });
});
