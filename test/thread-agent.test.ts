// Self-run agents with a thread token: the BFF mints a token for one thread (owner only, shown once,
// stored hashed), a process anywhere dials /api/agent with it and answers that thread; another
// thread, a revoked token and another user are refused; revoking or deleting cuts it off at once.
import {
  AgentTokenListResponseSchema,
  CreatedAgentTokenSchema,
  HostToAgentFrameSchema,
  type HostToAgentFrame,
  type Thread,
  type ThreadEvent,
} from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { clientId, readyRuntime, startTestBff, type TestBff } from './support/bff.js';
import { startPythonAgent } from './support/python-agent.js';
import { apiToken, clientToken } from './support/tokens.js';
import { waitFor } from './support/wait.js';

const HOST = 'http://host.example';

async function storedEvents(bff: TestBff, threadId: string): Promise<ThreadEvent[]> {
  const page = (await (await bff.api(`/api/threads/${threadId}/events?after=0`)).json()) as { events: ThreadEvent[] };
  return page.events;
}

async function mint(bff: TestBff, threadId: string) {
  const response = await bff.api(`/api/threads/${threadId}/agent-tokens`, { body: { name: 'laptop' } });
  expect(response.status).toBe(201);
  return CreatedAgentTokenSchema.parse(await response.json());
}

/** A raw agent on /api/agent: records frames and how it closed. */
class RawAgent {
  readonly frames: HostToAgentFrame[] = [];
  closeCode: number | undefined;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(HostToAgentFrameSchema.parse(JSON.parse(String(data)))));
    socket.on('close', (code) => (this.closeCode = code));
  }
  static async open(bff: TestBff, token: string, agentId = 'raw'): Promise<RawAgent> {
    const socket = new WebSocket(`${bff.url.replace(/^http/, 'ws')}/api/agent?agentId=${agentId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const agent = new RawAgent(socket);
    agent.socket.send(JSON.stringify({ type: 'register', label: 'Raw' }));
    await waitFor(() => agent.frames.some((f) => f.type === 'registered'), 'registered');
    return agent;
  }
}

describe('a self-run agent with a thread token', () => {
  it('answers its thread through the BFF; the token is listed without its secret', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const created = await mint(bff, threadId);
    expect(created.token).toMatch(/^rcat_/);
    const listed = AgentTokenListResponseSchema.parse(
      await (await bff.api(`/api/threads/${threadId}/agent-tokens`)).json(),
    );
    expect(listed.tokens).toEqual([
      { id: created.id, threadId, name: 'laptop', createdAt: created.createdAt, lastUsedAt: null },
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    const agent = startPythonAgent(['--bff', bff.url], { REMOTE_CHAT_THREAD_TOKEN: created.token });
    await agent.waitFor(`registered as python-example for thread ${threadId}`);
    const sent = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'hello from afar', agent: 'python-example' },
    });
    expect(sent.status).toBe(202);
    await waitFor(
      async () =>
        (await storedEvents(bff, threadId)).some((e) => e.kind === 'tool.result' && e.callId.startsWith('py-')),
      'the answer, stored',
      20_000,
    );
    const events = await storedEvents(bff, threadId);
    expect(events.find((e) => e.kind === 'message.agent' && e.agent === 'python-example')).toMatchObject({
      text: expect.stringContaining('You said: hello from afar'),
    });
    expect(events.at(-1)).toMatchObject({ kind: 'status', state: 'idle' });
  });

  it('asks the person through the BFF: the answer clicked reaches the agent, a second answer is refused', async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff);
    const created = await mint(bff, threadId);
    const agent = startPythonAgent(['--bff', bff.url, '--ask'], { REMOTE_CHAT_THREAD_TOKEN: created.token });
    await agent.waitFor(`registered as python-example for thread ${threadId}`);
    const ask = async (text: string) => {
      await bff.api(`/api/threads/${threadId}/messages`, {
        body: { clientId: clientId(), text, agent: 'python-example' },
      });
      await waitFor(
        async () => (await storedEvents(bff, threadId)).filter((e) => e.kind === 'permission.request').length,
        'the permission request, stored',
        20_000,
      );
      const requests = (await storedEvents(bff, threadId)).filter((e) => e.kind === 'permission.request');
      const request = requests.at(-1);
      if (request?.kind !== 'permission.request') throw new Error('no request');
      return request;
    };

    const first = await ask('count these four words');
    expect(first).toMatchObject({ title: 'May I count the words of your message?' });
    // Its runtime is not involved: the answer goes to the BFF's own agent connection.
    const answered = await bff.api(`/api/threads/${threadId}/permissions/${first.requestId}`, {
      body: { optionId: 'yes' },
    });
    expect(answered.status).toBe(202);
    await waitFor(
      async () => (await storedEvents(bff, threadId)).some((e) => e.kind === 'tool.result' && e.ok),
      'the tool call it was allowed',
      20_000,
    );
    const again = await bff.api(`/api/threads/${threadId}/permissions/${first.requestId}`, {
      body: { optionId: 'no' },
    });
    expect(again.status).toBe(409);
    const events = await storedEvents(bff, threadId);
    expect(events.filter((e) => e.kind === 'permission.answer')).toEqual([
      expect.objectContaining({ requestId: first.requestId, optionId: 'yes', by: 'user' }),
    ]);
    expect(events.find((e) => e.kind === 'tool.output')).toMatchObject({ data: '4 words\n' });
  });

  it('is shown on its thread while connected, in the REST answer and on the thread list live', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff);
    const created = await mint(bff, threadId);
    const stream = await bff.stream();
    stream.send({ type: 'subscribe', topic: `threads:${runtime.id}`, after: 0 });
    const agentsOf = async () => ((await (await bff.api(`/api/threads/${threadId}`)).json()) as Thread).agents;
    expect(await agentsOf()).toBeUndefined();

    const agent = await RawAgent.open(bff, created.token, 'laptop');
    expect(await agentsOf()).toEqual([{ id: 'laptop', label: 'Raw', kind: 'external' }]);
    const listed = (await (await bff.api(`/api/runtimes/${runtime.id}/threads`)).json()) as { threads: Thread[] };
    expect(listed.threads.find((t) => t.id === threadId)?.agents).toEqual([
      { id: 'laptop', label: 'Raw', kind: 'external' },
    ]);
    const threadFrame = (from: number, agents: number) =>
      stream.frames
        .slice(from)
        .some((f) => f.type === 'thread' && f.thread.id === threadId && (f.thread.agents?.length ?? 0) === agents);
    await stream.until(() => threadFrame(0, 1), 10_000, 'the thread frame with the agent');
    const connectedAt = stream.frames.length;

    agent.socket.close();
    await waitFor(async () => (await agentsOf()) === undefined, 'the agent gone from the thread');
    await stream.until(() => threadFrame(connectedAt, 0), 10_000, 'the thread frame without it');
  });

  it('refuses the token on another thread, a revoked token and another user; revoking cuts the connection', async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const { runtime, threadId } = await readyRuntime(bff);
    const other = (await (await bff.api(`/api/runtimes/${runtime.id}/threads`, { body: {} })).json()) as { id: string };
    const { token } = await mint(bff, threadId);
    const agent = await RawAgent.open(bff, token);
    expect(agent.frames[0]).toMatchObject({ type: 'registered', agentId: 'raw', threadId });

    // Another thread: its messages never reach this agent, and it cannot write there.
    await bff.api(`/api/threads/${other.id}/messages`, { body: { clientId: clientId(), text: 'x', agent: 'raw' } });
    agent.socket.send(
      JSON.stringify({ type: 'event', threadId: other.id, turnId: '1', event: { kind: 'status', state: 'idle' } }),
    );
    await waitFor(() => agent.frames.some((f) => f.type === 'error'), 'the refusal');
    expect(agent.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'unknown_turn', threadId: other.id });
    expect(agent.frames.some((f) => f.type === 'message')).toBe(false);
    await waitFor(
      async () => (await storedEvents(bff, other.id)).some((e) => e.kind === 'status' && e.state === 'error'),
      'the runtime saying it has no such agent',
      20_000,
    );

    // Another user (a host site's, by client token) can neither mint, list nor revoke this thread's tokens.
    const { token: api } = await apiToken(bff);
    const mallory = await clientToken(bff, api, 'mallory', HOST);
    const asMallory = (path: string, method = 'GET') =>
      fetch(`${bff.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${mallory}`, origin: HOST, 'content-type': 'application/json' },
        ...(method === 'POST' && { body: '{}' }),
      });
    expect((await asMallory(`/api/threads/${threadId}/agent-tokens`, 'POST')).status).toBe(404);
    expect((await asMallory(`/api/threads/${threadId}/agent-tokens`)).status).toBe(404);
    const listed = AgentTokenListResponseSchema.parse(
      await (await bff.api(`/api/threads/${threadId}/agent-tokens`)).json(),
    );
    const tokenId = listed.tokens[0]!.id;
    expect((await asMallory(`/api/threads/${threadId}/agent-tokens/${tokenId}`, 'DELETE')).status).toBe(404);
    // Nor do other users' credentials open /api/agent: an API token is not a thread token.
    await expect(RawAgent.open(bff, api)).rejects.toThrow(/401/);
    await expect(RawAgent.open(bff, 'rcat_forged')).rejects.toThrow(/401/);

    // Revoking closes the open connection at once, and the token no longer opens one.
    expect((await bff.api(`/api/threads/${threadId}/agent-tokens/${tokenId}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(() => agent.closeCode !== undefined, 'the connection cut', 2_000);
    expect(agent.closeCode).toBe(4440);
    await expect(RawAgent.open(bff, token)).rejects.toThrow(/401/);
    expect((await bff.api(`/api/threads/${threadId}/agent-tokens`)).status).toBe(200);
  });

  it('is cut off when its thread is deleted with its runtime', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff);
    const { token } = await mint(bff, threadId);
    const agent = await RawAgent.open(bff, token);
    expect((await bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(() => agent.closeCode !== undefined, 'the connection cut', 2_000);
    expect(agent.closeCode).toBe(4440);
    await expect(RawAgent.open(bff, token)).rejects.toThrow(/401/);
  });

  it('is cut off when its thread is deleted, and the thread goes with its events', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff);
    const sent = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo hi' },
    });
    expect(sent.status).toBe(202);
    await waitFor(async () => (await storedEvents(bff, threadId)).length > 0, 'an event');
    const { token } = await mint(bff, threadId);
    const agent = await RawAgent.open(bff, token);
    expect((await bff.api(`/api/threads/${threadId}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(() => agent.closeCode !== undefined, 'the connection cut', 2_000);
    expect(agent.closeCode).toBe(4440);
    await expect(RawAgent.open(bff, token)).rejects.toThrow(/401/);
    expect((await bff.api(`/api/threads/${threadId}/events`)).status).toBe(404);
    expect(await bff.server.chat.store.listEvents(threadId, 0, 100)).toEqual([]);
    // The runtime and its other threads stay.
    expect((await bff.api(`/api/runtimes/${runtime.id}`)).status).toBe(200);
  });
});
