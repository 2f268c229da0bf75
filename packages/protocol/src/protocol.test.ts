import { describe, expect, it } from 'vitest';
import {
  ClientFrameSchema,
  CreateRuntimeRequestSchema,
  ErrorBodySchema,
  EventBodySchema,
  FromRuntimeFrameSchema,
  INFERENCE_APIS,
  InferenceRequestSchema,
  LIMITS,
  LogBodySchema,
  SendMessageRequestSchema,
  ServerFrameSchema,
  ThreadEventSchema,
  ToRuntimeFrameSchema,
  ToRuntimeMessageSchema,
  TopicSchema,
  parseTopic,
} from './index.js';

const at = '2026-11-23T07:00:00.000Z';

describe('events', () => {
  const valid = [
    { kind: 'message.user', clientId: 'c1', text: 'ls -la', agent: 'shell' },
    { kind: 'message.delta', messageId: 'm1', text: 'Hel' },
    { kind: 'message.agent', messageId: 'm1', text: 'Hello', agent: 'shell' },
    {
      kind: 'message.agent',
      messageId: 'm2',
      text: 'Fixed.',
      agent: 'llm:gpt',
      model: 'gpt',
      usage: { inputTokens: 1200, outputTokens: 85 },
    },
    { kind: 'tool.call', callId: 't1', tool: 'terminal', title: 'ls -la', input: { command: 'ls -la' } },
    { kind: 'tool.output', callId: 't1', stream: 'stdout', data: '\u001b[31mred\u001b[0m\n' },
    {
      kind: 'tool.result',
      callId: 't1',
      ok: false,
      exitCode: null,
      signal: 'SIGTERM',
      durationMs: 12,
      error: 'cancelled',
    },
    { kind: 'file.write', path: 'notes.md', diff: '--- a/notes.md\n+++ b/notes.md\n', created: true, bytes: 5 },
    { kind: 'status', state: 'running' },
  ];

  it.each(valid)('accepts a well-formed $kind event', (body) => {
    expect(EventBodySchema.parse(body)).toEqual(body);
    expect(ThreadEventSchema.parse({ ...body, threadId: 'th_1', seq: 3, at })).toMatchObject({
      seq: 3,
      kind: body.kind,
    });
  });

  it.each([
    ['an unknown kind', { kind: 'message.system', text: 'x' }],
    ['a missing field', { kind: 'tool.result', callId: 't1', durationMs: 1 }],
    ['a wrong type', { kind: 'status', state: 'sleeping' }],
    [
      'an oversized output chunk',
      { kind: 'tool.output', callId: 't', stream: 'stdout', data: 'x'.repeat(LIMITS.maxOutputChunkChars + 1) },
    ],
    ['a bad stream name', { kind: 'tool.output', callId: 't', stream: 'stdin', data: '' }],
    ['a negative duration', { kind: 'tool.result', callId: 't', ok: true, durationMs: -1 }],
    [
      'negative token counts',
      { kind: 'message.agent', messageId: 'm', text: '', agent: 'llm', usage: { inputTokens: -1, outputTokens: 0 } },
    ],
  ])('refuses an event with %s', (_name, body) => {
    expect(EventBodySchema.safeParse(body).success).toBe(false);
  });

  it('refuses a stored event without a seq or with a fractional one', () => {
    const body = { kind: 'status', state: 'idle', threadId: 'th_1', at };
    expect(ThreadEventSchema.safeParse(body).success).toBe(false);
    expect(ThreadEventSchema.safeParse({ ...body, seq: 1.5 }).success).toBe(false);
  });
});

describe('runtime log', () => {
  it('accepts steps, link changes, statuses and errors', () => {
    for (const body of [
      { kind: 'step', step: 'clone', state: 'skipped', durationMs: 0, detail: 'no repository' },
      { kind: 'link', state: 'open' },
      { kind: 'status', status: 'ready' },
      { kind: 'error', message: 'boom', hint: 'delete it' },
    ]) {
      expect(LogBodySchema.parse(body)).toEqual(body);
    }
  });

  it('refuses an unknown step or state', () => {
    expect(LogBodySchema.safeParse({ kind: 'step', step: 'deploy', state: 'ok' }).success).toBe(false);
    expect(LogBodySchema.safeParse({ kind: 'step', step: 'start', state: 'done' }).success).toBe(false);
  });
});

describe('REST bodies', () => {
  it('accepts a runtime request with a repository and branch', () => {
    expect(CreateRuntimeRequestSchema.parse({ provider: 'process', repo: 'octo/hello', branch: 'feature/x' })).toEqual({
      provider: 'process',
      repo: 'octo/hello',
      branch: 'feature/x',
    });
  });

  it.each([
    ['no provider', {}],
    ['an unknown field', { provider: 'process', admin: true }],
    ['a repository that is not owner/name', { provider: 'process', repo: '../etc' }],
    ['a branch that looks like an option', { provider: 'process', branch: '--upload-pack=x' }],
  ])('refuses a runtime request with %s', (_name, body) => {
    expect(CreateRuntimeRequestSchema.safeParse(body).success).toBe(false);
  });

  it('needs a client id and text of bounded size in a message', () => {
    expect(SendMessageRequestSchema.safeParse({ clientId: 'abcdefgh12', text: 'ls' }).success).toBe(true);
    expect(SendMessageRequestSchema.safeParse({ clientId: 'short', text: 'ls' }).success).toBe(false);
    expect(SendMessageRequestSchema.safeParse({ clientId: 'abcdefgh12', text: '' }).success).toBe(false);
    expect(
      SendMessageRequestSchema.safeParse({ clientId: 'abcdefgh12', text: 'x'.repeat(LIMITS.maxMessageChars + 1) })
        .success,
    ).toBe(false);
  });

  it('has one error body shape with a known code', () => {
    expect(ErrorBodySchema.safeParse({ error: { code: 'not_found', message: 'No such thread.' } }).success).toBe(true);
    expect(ErrorBodySchema.safeParse({ error: { code: 'teapot', message: 'x' } }).success).toBe(false);
  });
});

describe('browser stream frames', () => {
  it('accepts subscriptions to each topic family', () => {
    for (const topic of ['runtimes', 'threads:rt_1', 'runtime-log:rt_1', 'thread:th_1']) {
      expect(ClientFrameSchema.parse({ type: 'subscribe', topic, after: 4 })).toMatchObject({ topic });
    }
    expect(parseTopic('thread:th_1')).toEqual({ family: 'thread', id: 'th_1' });
    expect(parseTopic('runtimes')).toEqual({ family: 'runtimes' });
  });

  it.each([
    ['an unknown topic', { type: 'subscribe', topic: 'users' }],
    ['a topic id with a path in it', { type: 'subscribe', topic: 'thread:../x' }],
    ['a negative seq', { type: 'subscribe', topic: 'thread:th_1', after: -1 }],
    ['an unknown type', { type: 'publish', topic: 'thread:th_1' }],
    ['an extra field', { type: 'ping', id: 1, admin: true }],
  ])('refuses %s', (_name, frame) => {
    expect(ClientFrameSchema.safeParse(frame).success).toBe(false);
  });

  it('rejects a topic without an id', () => {
    expect(TopicSchema.safeParse('thread:').success).toBe(false);
  });

  it('accepts the server frames a browser handles', () => {
    const event = { kind: 'status', state: 'idle', threadId: 'th_1', seq: 1, at };
    expect(ServerFrameSchema.parse({ type: 'event', topic: 'thread:th_1', event }).type).toBe('event');
    expect(ServerFrameSchema.parse({ type: 'caught-up', topic: 'thread:th_1', seq: 1 }).type).toBe('caught-up');
    expect(
      ServerFrameSchema.safeParse({ type: 'event', topic: 'thread:th_1', event: { ...event, seq: 'one' } }).success,
    ).toBe(false);
  });
});

describe('runtime link frames', () => {
  const hello = { type: 'hello', protocol: 1, runtimeId: 'rt_1', token: 'x'.repeat(32), lastReceived: 0 };

  it('accepts a handshake, numbered data, acks and heartbeats', () => {
    expect(ToRuntimeFrameSchema.parse(hello)).toEqual(hello);
    expect(
      ToRuntimeFrameSchema.parse({
        type: 'data',
        seq: 1,
        message: { type: 'message.send', threadId: 'th_1', seq: 1, clientId: 'c1', text: 'ls', agent: 'shell' },
      }).type,
    ).toBe('data');
    expect(FromRuntimeFrameSchema.parse({ type: 'ack', upTo: 7 })).toEqual({ type: 'ack', upTo: 7 });
    expect(FromRuntimeFrameSchema.parse({ type: 'ping', t: 1 }).type).toBe('ping');
  });

  it('checks the payload by direction', () => {
    const toRuntime = { type: 'data', seq: 1, message: { type: 'thread.cancel', threadId: 'th_1' } };
    expect(ToRuntimeFrameSchema.safeParse(toRuntime).success).toBe(true);
    expect(FromRuntimeFrameSchema.safeParse(toRuntime).success).toBe(false);
  });

  it('carries execution gateway frames beside data, each in its own direction', () => {
    const request = { type: 'executionGateway.request', requestId: 'g1', capability: 'inference', payload: {} };
    const error = {
      type: 'executionGateway.error',
      requestId: 'g1',
      code: 'rate_limited',
      message: 'wait',
      retryAfterMs: 5,
    };
    expect(FromRuntimeFrameSchema.parse(request)).toEqual(request);
    expect(FromRuntimeFrameSchema.parse({ type: 'executionGateway.cancel', requestId: 'g1' }).type).toBe(
      'executionGateway.cancel',
    );
    expect(ToRuntimeFrameSchema.parse(error)).toEqual(error);
    expect(ToRuntimeFrameSchema.safeParse(request).success).toBe(false);
    expect(FromRuntimeFrameSchema.safeParse(error).success).toBe(false);
    expect(ToRuntimeFrameSchema.safeParse({ ...error, code: 'teapot' }).success).toBe(false);
    expect(FromRuntimeFrameSchema.safeParse({ ...request, capability: 'No Spaces' }).success).toBe(false);
  });

  it('sends the model list as data and never a key or a base URL in it', () => {
    const models = { type: 'models', models: [{ id: 'gpt', label: 'GPT', api: 'openai', contextWindow: 128000 }] };
    expect(ToRuntimeFrameSchema.parse({ type: 'data', seq: 1, message: models })).toMatchObject({ message: models });
    const parsed = ToRuntimeMessageSchema.parse({
      type: 'models',
      models: [{ id: 'gpt', label: 'GPT', api: 'openai', apiKey: 'sk-secret', baseUrl: 'http://x' }],
    });
    expect(JSON.stringify(parsed)).not.toMatch(/sk-secret|http:\/\/x/);
  });

  it('accepts an inference request of each API and refuses an unknown one', () => {
    for (const api of INFERENCE_APIS)
      expect(InferenceRequestSchema.safeParse({ api, model: 'm', body: { stream: true } }).success).toBe(true);
    expect(InferenceRequestSchema.safeParse({ api: 'gemini', model: 'm', body: {} }).success).toBe(false);
  });

  it.each([
    ['a data frame numbered 0', { type: 'data', seq: 0, message: { type: 'thread.cancel', threadId: 'th_1' } }],
    ['a short token', { ...hello, token: 'short' }],
    ['a fractional ack', { type: 'ack', upTo: 1.5 }],
  ])('refuses %s', (_name, frame) => {
    expect(ToRuntimeFrameSchema.safeParse(frame).success).toBe(false);
  });
});
