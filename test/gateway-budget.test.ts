import OpenAI from 'openai';
import type { UsageResponse } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { MachineLink } from './support/machine-link.js';
import {
  ended,
  gatewayBff,
  gatewayFrames,
  inferenceRequest,
  keyedStub,
  runtimeWithEndpoint,
} from './support/model-gateway.js';
import { apiToken, machineToken } from './support/tokens.js';

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('the daily token budget', () => {
  it('refuses a user over budget with a clear message, and another user is unaffected', async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub, { dailyTokens: 100 });
    const { endpoint } = await runtimeWithEndpoint(bff);
    const openai = new OpenAI({ baseURL: `${endpoint.baseUrl}/v1`, apiKey: endpoint.apiKey, maxRetries: 2 });

    // The first call is under budget when it starts; it spends 110 tokens.
    stub.script({ text: 'spent', usage: { inputTokens: 90, outputTokens: 20 } });
    const first = await openai.chat.completions.create({ model: 'gpt', messages });
    expect(first.choices[0]?.message.content).toBe('spent');

    let refusal: unknown;
    try {
      await openai.chat.completions.create({ model: 'gpt', messages });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(OpenAI.APIError);
    expect(refusal).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect((refusal as Error).message).toMatch(
      /You have used today's model budget \(110 of 100 tokens\)\. It renews at 00:00 UTC, in \d+ h \d+ min\./,
    );
    // The client was told not to retry (it may retry twice otherwise), and the upstream heard nothing.
    expect(stub.requests).toHaveLength(1);
    const usage = (await (await bff.api('/api/usage')).json()) as UsageResponse;
    expect(usage).toMatchObject({ dailyTokens: 100, today: { inputTokens: 90, outputTokens: 20, requests: 1 } });

    // Another user, on the same server and the same day, still gets answers.
    const { token } = await apiToken(bff);
    const bob = await MachineLink.open(bff.url, {
      token: await machineToken(bff, token, 'bob'),
      runtimeId: 'rt_budget_bob',
      lastReceived: 0,
    });
    stub.script({ text: 'for bob', usage: { inputTokens: 10, outputTokens: 2 } });
    bob.send(inferenceRequest('bob-1'));
    await bob.until(() => ended(bob, 'bob-1'), "bob's answer");
    expect(gatewayFrames(bob, 'bob-1').at(-1)).toMatchObject({ type: 'executionGateway.reply' });
    expect(stub.requests).toHaveLength(2);
  });
});
