// An ACP agent (test/support/acp-test-agent.mjs, on the official SDK) hosted in a real runtime
// made by a real BFF: its permission requests are answered through the BFF's route, the first
// answer wins, an unanswered one is denied after the configured time, and Stop ends a turn.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigResponse, Runtime, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff, type StreamClient, type TestBff } from './support/bff.js';
import { apiToken, clientToken } from './support/tokens.js';

const TEST_AGENT = fileURLToPath(new URL('./support/acp-test-agent.mjs', import.meta.url));
const HOST = 'http://host.example';
const ACP_AGENTS = [{ id: 'tester', label: 'Test agent', command: process.execPath, args: [TEST_AGENT], env: {} }];

interface Setup {
  bff: TestBff;
  runtime: Runtime;
  threadId: string;
  stream: StreamClient;
  workspace: string;
}

async function setup(options: { permissionTimeoutMs?: number } = {}): Promise<Setup> {
  const bff = await startTestBff({ acpAgents: ACP_AGENTS, allowedOrigins: [HOST], ...options });
  const { runtime, threadId } = await readyRuntime(bff);
  const stream = await bff.stream();
  stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: 0 });
  return { bff, runtime, threadId, stream, workspace: path.join(bff.dataDir, 'runtimes', runtime.id, 'workspace') };
}

async function send({ bff, threadId }: Setup, text: string): Promise<void> {
  const sent = await bff.api(`/api/threads/${threadId}/messages`, {
    body: { clientId: clientId(), text, agent: 'tester' },
  });
  expect(sent.status).toBe(202);
}

function answer({ bff, threadId }: Setup, requestId: string, optionId: string, headers?: Record<string, string>) {
  return bff.api(`/api/threads/${threadId}/permissions/${requestId}`, {
    body: { optionId },
    ...(headers && { headers }),
  });
}

async function next<K extends ThreadEvent['kind']>(
  { stream, threadId }: Setup,
  kind: K,
  what: string,
  match: (event: Extract<ThreadEvent, { kind: K }>) => boolean = () => true,
): Promise<Extract<ThreadEvent, { kind: K }>> {
  const find = () =>
    stream
      .events(threadId)
      .find((event): event is Extract<ThreadEvent, { kind: K }> => event.kind === kind && match(event as never));
  await stream.until(() => find() !== undefined, 20_000, what);
  return find()!;
}

describe('an ACP agent in a runtime, with permission requests answered through the BFF', () => {
  it('offers the agent, honours the answer given through the route, and refuses a second answer with 409', async () => {
    const s = await setup();
    const config = (await (await s.bff.api('/api/config')).json()) as ConfigResponse;
    expect(config.agents).toContainEqual(expect.objectContaining({ id: 'tester', label: 'Test agent', kind: 'acp' }));
    const runtime = (await (await s.bff.api(`/api/runtimes/${s.runtime.id}`)).json()) as Runtime;
    expect(runtime.agents).toContainEqual({ id: 'tester', label: 'Test agent', kind: 'acp', modelAccess: 'gateway' });

    await send(s, 'edit notes.txt from the chat');
    const request = await next(s, 'permission.request', 'the permission request');
    expect(request).toMatchObject({
      title: 'Write notes.txt',
      toolCall: { tool: 'edit', title: 'Write notes.txt' },
      options: [
        { optionId: 'allow', name: 'Allow once', kind: 'allow_once' },
        { optionId: 'reject', name: 'Reject', kind: 'reject_once' },
      ],
    });
    // The diff is in the thread before the answer; the file is not written yet.
    expect(s.stream.events(s.threadId).some((event) => event.kind === 'file.write')).toBe(true);
    expect(existsSync(path.join(s.workspace, 'notes.txt'))).toBe(false);

    expect((await answer(s, request.requestId, 'maybe')).status).toBe(400);
    const given = await answer(s, request.requestId, 'allow');
    expect(given.status).toBe(202);
    expect(await given.json()).toMatchObject({ answer: { kind: 'permission.answer', optionId: 'allow', by: 'user' } });
    await next(s, 'message.agent', 'the answer', (event) => event.text === 'Wrote notes.txt.');
    expect(readFileSync(path.join(s.workspace, 'notes.txt'), 'utf8')).toBe('from the chat\n');

    const second = await answer(s, request.requestId, 'reject');
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({
      error: { code: 'conflict', data: { answer: { requestId: request.requestId, optionId: 'allow', by: 'user' } } },
    });
    const answers = s.stream.events(s.threadId).filter((event) => event.kind === 'permission.answer');
    expect(answers).toHaveLength(1);

    // Another user (a host site's, with a client token) is told the thread does not exist.
    const { token } = await apiToken(s.bff);
    const other = await clientToken(s.bff, token, 'mallory', HOST);
    const refused = await fetch(`${s.bff.url}/api/threads/${s.threadId}/permissions/${request.requestId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other}`, origin: HOST, 'content-type': 'application/json' },
      body: JSON.stringify({ optionId: 'allow' }),
    });
    expect(refused.status).toBe(404);
    expect((await answer(s, 'perm-unknown', 'allow')).status).toBe(404);
  });

  it('honours a denial: the agent gets its reject option and writes nothing', async () => {
    const s = await setup();
    await send(s, 'edit denied.txt no');
    const request = await next(s, 'permission.request', 'the permission request');
    expect((await answer(s, request.requestId, 'reject')).status).toBe(202);
    await next(s, 'message.agent', 'the refusal', (event) => event.text === 'Not allowed (reject).');
    expect(existsSync(path.join(s.workspace, 'denied.txt'))).toBe(false);
  });

  it('denies an unanswered request after the configured time, says so in the thread, and refuses a late answer', async () => {
    const s = await setup({ permissionTimeoutMs: 500 });
    await send(s, 'edit late.txt no');
    const request = await next(s, 'permission.request', 'the permission request');
    const denied = await next(s, 'permission.answer', 'the timeout');
    expect(denied).toMatchObject({ requestId: request.requestId, denied: true, by: 'timeout' });
    expect(denied.seq).toBeGreaterThan(request.seq);
    await next(s, 'message.agent', 'the refusal', (event) => event.text === 'Not allowed (reject).');
    const late = await answer(s, request.requestId, 'allow');
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { data: { answer: { by: 'timeout', denied: true } } } });
    expect(existsSync(path.join(s.workspace, 'late.txt'))).toBe(false);
  });

  it('ends a turn the agent will not end within a second of Stop', async () => {
    const s = await setup();
    await send(s, 'stubborn');
    await next(s, 'message.delta', 'the first words');
    const stopped = performance.now();
    expect((await s.bff.api(`/api/threads/${s.threadId}/cancel`, { body: {} })).status).toBe(202);
    await next(s, 'message.agent', 'the end of the turn', (event) => event.text.endsWith('Stopped.'));
    await next(s, 'status', 'idle', (event) => event.state === 'idle');
    expect(performance.now() - stopped).toBeLessThan(1_500);
  });
});
