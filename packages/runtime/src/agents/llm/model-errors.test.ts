import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { GatewayCallError } from '../../model-endpoint/gateway-client.js';
import { describeModelError, modelErrorOf } from './model-errors.js';

// The in-process route fails with the gateway's codes rather than HTTP answers: the chat must
// say the same as when the same refusal came over the endpoint's HTTP.
describe('model errors from the in-process gateway route', () => {
  const live = new AbortController().signal;
  const model = { id: 'm', label: 'Model', api: 'openai' as const };

  it('maps each gateway code to the failure and status the endpoint would have answered', () => {
    const cases: Array<[GatewayCallError, string, number | undefined]> = [
      [new GatewayCallError('rate_limited', 'slow down', 2000), 'rate_limited', 429],
      [new GatewayCallError('upstream', 'the upstream answered 500'), 'unavailable', 502],
      [new GatewayCallError('unavailable', 'the link dropped'), 'unavailable', 503],
      [new GatewayCallError('unauthorized', 'refused'), 'unauthorized', 401],
      [new GatewayCallError('context_overflow', 'too long'), 'context_overflow', 400],
      [new GatewayCallError('budget_exhausted', 'spent'), 'budget_exhausted', 429],
    ];
    for (const [error, failure, status] of cases) {
      const mapped = modelErrorOf(error, live, OpenAI);
      expect(mapped, error.code).toMatchObject({ failure, detail: error.message, status });
    }
    expect(modelErrorOf(new GatewayCallError('rate_limited', 'slow down', 2000), live, OpenAI).retryAfterMs).toBe(2000);
    expect(
      describeModelError(modelErrorOf(new GatewayCallError('rate_limited', 'x', 2000), live, OpenAI), model),
    ).toContain('Try again in 2 s');
  });

  it('says Stopped when the turn was stopped, whatever the gateway answered', () => {
    const stopped = new AbortController();
    stopped.abort();
    expect(
      modelErrorOf(new GatewayCallError('cancelled', 'The call was cancelled.'), stopped.signal, OpenAI).failure,
    ).toBe('aborted');
  });
});
