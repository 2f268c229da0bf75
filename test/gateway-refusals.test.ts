import OpenAI from 'openai';
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
import { slowAnswer } from './support/model-stub.js';
import { apiToken, machineToken } from './support/tokens.js';
import { waitFor } from './support/wait.js';
import { usageDay } from '../packages/bff/src/store/usage-store.js';

const messages = [{ role: 'user' as const, content: 'hi' }];

async function failure(call: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call();
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

describe('the execution gateway refuses cleanly', () => {
  it('ends a request that takes too long with a timeout and aborts the upstream call', async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub, { timeoutMs: 500 });
    const { endpoint } = await runtimeWithEndpoint(bff);
    const openai = new OpenAI({ baseURL: `${endpoint.baseUrl}/v1`, apiKey: endpoint.apiKey, maxRetries: 0 });
    stub.script({ text: 'too late', delayMs: 10_000 });
    const started = performance.now();
    const error = await failure(() => openai.chat.completions.create({ model: 'gpt', messages, stream: true }));
    expect(error).toMatchObject({ status: 504, code: 'timeout' });
    expect(error.message).toContain('longer than 1 s');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await stub.requests[0]!.ended).toBe('aborted');
  });

  it('cancels the upstream call when the client at the endpoint hangs up mid-stream', async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { endpoint } = await runtimeWithEndpoint(bff);
    const openai = new OpenAI({ baseURL: `${endpoint.baseUrl}/v1`, apiKey: endpoint.apiKey, maxRetries: 0 });
    stub.script(slowAnswer(400, 25));
    const hangUp = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'gpt', messages, stream: true },
      { signal: hangUp.signal },
    );
    let pieces = 0;
    // The client either stops quietly or throws an abort error, by version; either way it hung up.
    try {
      for await (const _chunk of stream) {
        if (++pieces === 3) hangUp.abort();
      }
    } catch {
      expect(hangUp.signal.aborted).toBe(true);
    }
    expect(pieces).toBeGreaterThanOrEqual(3);
    const request = stub.requests[0]!;
    // The cancel went runtime → BFF → upstream: the stub saw its client hang up long before the 10 s answer ended.
    expect(
      await Promise.race([request.ended, new Promise((resolve) => setTimeout(() => resolve('still running'), 3_000))]),
    ).toBe('aborted');
  });

  it('ends a call whose link drops and aborts its upstream call', async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { token } = await apiToken(bff);
    const machine = await MachineLink.open(bff.url, { token, runtimeId: 'rt_gw_drop', lastReceived: 0 });
    // Nothing streams yet, so only the link's end can tell the gateway.
    stub.script({ text: 'too late', delayMs: 10_000 });
    machine.send(inferenceRequest('drop-1'));
    await stub.waitForRequest(1);
    machine.socket.terminate();
    expect(await stub.requests[0]!.ended).toBe('aborted');
  });

  it('refuses a capability the configuration does not proxy, and inference left to the runtime', async () => {
    const stub = await keyedStub();
    const local = await gatewayBff(stub, { capabilities: { inference: 'local' } });
    const { endpoint } = await runtimeWithEndpoint(local);
    const openai = new OpenAI({ baseURL: `${endpoint.baseUrl}/v1`, apiKey: endpoint.apiKey, maxRetries: 0 });
    const refused = await failure(() => openai.chat.completions.create({ model: 'gpt', messages }));
    expect(refused).toMatchObject({ status: 403, code: 'not_allowed' });
    expect(refused.message).toContain('leaves "inference" to the runtime');

    const bff = await gatewayBff(stub);
    const { token } = await apiToken(bff);
    const link = await MachineLink.open(bff.url, { token, runtimeId: 'rt_gw_caps', lastReceived: 0 });
    link.send({
      type: 'executionGateway.request',
      requestId: 'fs-1',
      capability: 'filesystem',
      payload: { path: '/' },
    });
    await link.until(() => ended(link, 'fs-1'), 'the refusal');
    expect(gatewayFrames(link, 'fs-1')).toEqual([
      expect.objectContaining({ type: 'executionGateway.error', code: 'not_allowed' }),
    ]);
    expect(stub.requests).toHaveLength(0);
  });

  it("ignores another runtime's cancel and refuses its reply for a request it did not make", async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { token } = await apiToken(bff);
    const mine = await MachineLink.open(bff.url, { token, runtimeId: 'rt_gw_mine', lastReceived: 0 });
    const other = await MachineLink.open(bff.url, { token, runtimeId: 'rt_gw_other', lastReceived: 0 });
    stub.script({ text: ['a', { text: 'b', delayMs: 300 }, { text: 'c', delayMs: 300 }] });
    mine.send(inferenceRequest('shared-id'));
    await link(mine).firstNotification('shared-id');
    // The other runtime names the same request id: its cancel finds no call of its own, its reply is no frame a runtime may send.
    other.send({ type: 'executionGateway.cancel', requestId: 'shared-id' });
    other.send({ type: 'executionGateway.reply', requestId: 'shared-id', payload: { forged: true } });
    await other.roundTrip();
    await mine.until(() => ended(mine, 'shared-id'), 'the answer');
    const frames = gatewayFrames(mine, 'shared-id');
    expect(frames.at(-1)).toMatchObject({ type: 'executionGateway.reply', payload: { usage: expect.any(Object) } });
    const text = frames
      .flatMap((f) => (f.type === 'executionGateway.notification' ? [f.payload as OpenAI.ChatCompletionChunk] : []))
      .map((chunk) => chunk.choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe('abc');
    expect(await stub.requests[0]!.ended).toBe('complete');
    expect(gatewayFrames(other, 'shared-id')).toEqual([]);
    // Its own cancel still works.
    stub.script(slowAnswer(400, 25));
    mine.send(inferenceRequest('mine-2'));
    await link(mine).firstNotification('mine-2');
    mine.send({ type: 'executionGateway.cancel', requestId: 'mine-2' });
    expect(await stub.requests[1]!.ended).toBe('aborted');
  });

  it("keeps another user's runtime off this user's runtime id and charges its calls to its own user", async () => {
    const stub = await keyedStub();
    const bff = await gatewayBff(stub);
    const { token } = await apiToken(bff);
    const owner = await MachineLink.open(bff.url, { token, runtimeId: 'rt_gw_owner', lastReceived: 0 });
    const bob = await machineToken(bff, token, 'bob');
    // Bob naming the owner's runtime is given a runtime of his own, as for any id he has not used.
    const bobs = await MachineLink.open(bff.url, { token: bob, runtimeId: 'rt_gw_owner', lastReceived: 0 });
    stub.script({ text: 'for bob', usage: { inputTokens: 40, outputTokens: 2 } });
    bobs.send(inferenceRequest('b-1'));
    await bobs.until(() => ended(bobs, 'b-1'), "bob's answer");
    const { store } = bff.server.chat;
    const ownerUser = (await store.getRuntime('rt_gw_owner'))!.userId;
    const others = (await store.listRuntimes(null)).filter((r) => r.userId !== ownerUser);
    expect(others.map((r) => r.kind)).toEqual(['machine']);
    const bobUser = others[0]!.userId;
    expect(bobUser).not.toBe(ownerUser);
    await waitFor(async () => (await store.tokensOnDay(bobUser, usageDay())) === 42, "bob's usage");
    expect(await store.tokensOnDay(ownerUser, usageDay())).toBe(0);
    await owner.close();
  });
});

/** Waits on a hand-driven link for a request's first notification. */
function link(machine: MachineLink) {
  return {
    firstNotification: (requestId: string) =>
      machine.until(
        () => gatewayFrames(machine, requestId).some((f) => f.type === 'executionGateway.notification'),
        `the first notification of ${requestId}`,
      ),
  };
}
