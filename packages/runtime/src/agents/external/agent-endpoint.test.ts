import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  FromRuntimeMessageSchema,
  HostToAgentFrameSchema,
  type EventBody,
  type FromRuntimeMessage,
  type HostToAgentFrame,
} from '@remote-chat/protocol';
import { ShellAgent } from '../shell.js';
import { RuntimeHost } from '../../runtime-host.js';
import { tempDirs } from '../../test-support/temp.js';
import { waitFor } from '../../../../../test/support/wait.js';
import { AGENT_ENDPOINT_FILE, startAgentEndpoint, type AgentEndpoint } from './agent-endpoint.js';

const temp = tempDirs();
let sent: FromRuntimeMessage[];
let host: RuntimeHost;
let endpoint: AgentEndpoint;
let stateDir: string;

beforeEach(async () => {
  const workspace = await temp.make('rc-ext-');
  stateDir = await temp.make('rc-ext-state-');
  sent = [];
  host = new RuntimeHost({
    workspace,
    agents: [new ShellAgent({ workspace })],
    send: (message) => sent.push(FromRuntimeMessageSchema.parse(message)),
    log: () => {},
  });
  endpoint = await startAgentEndpoint({ agents: host, stateDir, log: () => {} });
});
afterEach(async () => {
  await host.cancelAll();
  await endpoint.close();
  await temp.cleanup();
});

/** A test agent: a ws client that records the frames it gets. */
class TestAgent {
  readonly frames: HostToAgentFrame[] = [];
  closeCode: number | undefined;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(HostToAgentFrameSchema.parse(JSON.parse(String(data)))));
    socket.on('close', (code) => (this.closeCode = code));
  }
  static async open(agentId: string, secret = endpoint.secret): Promise<TestAgent> {
    const socket = new WebSocket(`${endpoint.url}?agentId=${agentId}`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new TestAgent(socket);
  }
  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }
  async register(label = 'Tester'): Promise<void> {
    this.send({ type: 'register', clientType: 'agent', label });
    await waitFor(() => this.frames.some((f) => f.type === 'registered'), 'registered');
  }
  of<T extends HostToAgentFrame['type']>(type: T): Extract<HostToAgentFrame, { type: T }>[] {
    return this.frames.filter((f): f is Extract<HostToAgentFrame, { type: T }> => f.type === type);
  }
}

function eventsOf(threadId: string): EventBody[] {
  return sent.flatMap((m) => (m.type === 'thread.event' && m.threadId === threadId ? [m.event] : []));
}

let seq = 0;
function say(threadId: string, text: string, agent: string): void {
  seq++;
  void host.handle({ type: 'message.send', threadId, seq, clientId: `c${seq}`, text, agent });
}

describe("the runtime's agent endpoint", () => {
  it('writes its URL and secret to a file only the runtime user can read', async () => {
    const file = path.join(stateDir, AGENT_ENDPOINT_FILE);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: endpoint.url, secret: endpoint.secret });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(endpoint.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/codebolt$/);
  });

  it('refuses a process without the secret before any WebSocket opens', async () => {
    await expect(TestAgent.open('intruder', 'rc-ag-wrong')).rejects.toThrow(/401/);
    const noHeader = new WebSocket(`${endpoint.url}?agentId=intruder`);
    await expect(
      new Promise((resolve, reject) => {
        noHeader.once('open', resolve);
        noHeader.once('error', reject);
      }),
    ).rejects.toThrow(/401/);
  });

  it('lists a registered agent as external, answers through it, and drops it when it disconnects', async () => {
    const agent = await TestAgent.open('echo');
    await agent.register('Echo');
    expect(agent.of('registered')[0]).toMatchObject({ agentId: 'echo', connectionId: 'echo', protocol: 1 });
    expect((await host.info()).agents).toContainEqual({ id: 'echo', label: 'Echo', kind: 'external' });
    await waitFor(() => sent.some((m) => m.type === 'runtime.info' && m.agents.some((a) => a.id === 'echo')), 'info');

    say('th_1', 'hello', 'echo');
    await waitFor(() => agent.of('message').length === 1, 'the message');
    const message = agent.of('message')[0]!;
    expect(message).toMatchObject({ threadId: 'th_1', text: 'hello', agent: 'echo', transcript: [] });
    const { threadId, turnId } = message;
    agent.send({ type: 'event', threadId, turnId, event: { kind: 'message.delta', messageId: 'm1', text: 'hi' } });
    // Invalid: refused with an error frame, nothing reaches the thread.
    agent.send({ type: 'event', threadId, turnId, event: { kind: 'message.delta', messageId: 'm1' } });
    agent.send({
      type: 'event',
      threadId,
      turnId,
      event: { kind: 'message.user', clientId: 'x', text: 'me', agent: 'echo' },
    });
    agent.send({ type: 'event', threadId: 'th_other', turnId, event: { kind: 'status', state: 'idle' } });
    agent.send('not json');
    agent.send({
      type: 'event',
      threadId,
      turnId,
      event: { kind: 'message.agent', messageId: 'm1', text: 'hi there', agent: 'echo' },
    });
    agent.send({ type: 'done', threadId, turnId });
    await waitFor(() => eventsOf('th_1').some((e) => e.kind === 'status' && e.state === 'idle'), 'the end');
    // The error frames travel back to the agent on their own; the thread's end does not wait for them.
    await waitFor(() => agent.of('error').length >= 4, 'the error frames');
    expect(agent.of('error').map((e) => e.code)).toEqual([
      'invalid_event',
      'invalid_event',
      'unknown_turn',
      'bad_frame',
    ]);
    expect(eventsOf('th_1').map((e) => e.kind)).toEqual(['status', 'message.delta', 'message.agent', 'status']);

    // The second message of the thread comes without a transcript.
    say('th_1', 'again', 'echo');
    await waitFor(() => agent.of('message').length === 2, 'the second message');
    expect(agent.of('message')[1]).not.toHaveProperty('transcript');
    agent.send({
      type: 'event',
      threadId,
      turnId: agent.of('message')[1]!.turnId,
      event: { kind: 'tool.call', callId: 'c1', tool: 'x', title: 'x' },
    });
    await waitFor(() => eventsOf('th_1').some((e) => e.kind === 'tool.call'), 'the call');
    agent.socket.terminate();
    await waitFor(
      () => eventsOf('th_1').filter((e) => e.kind === 'status' && e.state === 'idle').length === 2,
      'cut short',
    );
    expect(eventsOf('th_1').slice(-3)).toEqual([
      { kind: 'tool.result', callId: 'c1', ok: false, durationMs: 0, error: 'Echo disconnected before it finished.' },
      expect.objectContaining({ kind: 'message.agent', text: 'Echo disconnected before it finished.' }),
      { kind: 'status', state: 'idle' },
    ]);
    await waitFor(() => host.agent('echo') === undefined, 'the agent gone');
  });

  it('sends Stop as cancel and ends the turn itself when the agent ignores it', async () => {
    const agent = await TestAgent.open('stubborn');
    await agent.register();
    say('th_2', 'work', 'stubborn');
    await waitFor(() => agent.of('message').length === 1, 'the message');
    await host.handle({ type: 'thread.cancel', threadId: 'th_2' });
    await waitFor(() => agent.of('cancel').length === 1, 'the cancel');
    expect(agent.of('cancel')[0]).toMatchObject({ threadId: 'th_2', turnId: agent.of('message')[0]!.turnId });
    await waitFor(() => eventsOf('th_2').some((e) => e.kind === 'message.agent' && e.text === 'Stopped.'), 'stopped');
  });

  it('asks the person for an agent, hands it the answer, and denies on Stop', async () => {
    const agent = await TestAgent.open('careful');
    await agent.register('Careful');
    say('th_3', 'tidy up', 'careful');
    await waitFor(() => agent.of('message').length === 1, 'the message');
    const { threadId, turnId } = agent.of('message')[0]!;
    const options = [
      { optionId: 'yes', name: 'Allow once', kind: 'allow_once' },
      { optionId: 'no', name: 'Reject', kind: 'reject_once' },
    ];
    agent.send({ type: 'permission.request', threadId, turnId, requestId: 'ask-1', title: 'Delete build/?', options });
    // The same id again while it waits, and a request outside any open turn, are refused.
    agent.send({ type: 'permission.request', threadId, turnId, requestId: 'ask-1', title: 'Again?', options });
    agent.send({ type: 'permission.request', threadId, turnId: '999', requestId: 'ask-2', title: 'x', options });
    await waitFor(() => agent.of('error').length === 2, 'the refusals');
    expect(agent.of('error').map((e) => e.code)).toEqual(['bad_frame', 'unknown_turn']);

    await waitFor(() => eventsOf('th_3').some((e) => e.kind === 'permission.request'), 'the request in the thread');
    const request = eventsOf('th_3').find((e) => e.kind === 'permission.request');
    if (request?.kind !== 'permission.request') throw new Error('no request');
    expect(request).toMatchObject({ title: 'Delete build/?', options });
    expect(eventsOf('th_3').filter((e) => e.kind === 'permission.request')).toHaveLength(1);
    // The BFF stored the person's answer and hands it to the runtime.
    await host.handle({ type: 'permission.answer', threadId, requestId: request.requestId, optionId: 'yes' });
    await waitFor(() => agent.of('permission.answer').length === 1, 'the answer');
    expect(agent.of('permission.answer')[0]).toEqual({
      type: 'permission.answer',
      threadId,
      turnId,
      requestId: 'ask-1',
      by: 'user',
      optionId: 'yes',
      kind: 'allow_once',
    });

    // A second request, then Stop: denied, written into the thread and sent to the agent.
    agent.send({ type: 'permission.request', threadId, turnId, requestId: 'ask-3', title: 'Push?', options });
    await waitFor(() => eventsOf('th_3').filter((e) => e.kind === 'permission.request').length === 2, 'request 2');
    await host.handle({ type: 'thread.cancel', threadId });
    await waitFor(() => agent.of('permission.answer').length === 2, 'the denial');
    expect(agent.of('permission.answer')[1]).toMatchObject({ requestId: 'ask-3', by: 'stop', denied: true });
    expect(eventsOf('th_3')).toContainEqual(expect.objectContaining({ kind: 'permission.answer', by: 'stop' }));
  });

  it('refuses an id another agent of the runtime has, and replaces an older connection of the same agent', async () => {
    // A built-in id is refused at the upgrade; an ACP agent's id at `register`.
    await expect(TestAgent.open('shell')).rejects.toThrow(/400/);
    host.addAgent({ id: 'claude', label: 'Claude Code', kind: 'acp', handle: async () => {} });
    const impostor = await TestAgent.open('claude');
    impostor.send({ type: 'register' });
    await waitFor(() => impostor.closeCode !== undefined, 'the refusal');
    expect(impostor.closeCode).toBe(4403);
    expect(impostor.of('error')[0]).toMatchObject({ code: 'agent_id_taken' });
    expect(host.agent('claude')?.kind).toBe('acp');

    const first = await TestAgent.open('twin');
    await first.register();
    const second = await TestAgent.open('twin');
    await second.register();
    await waitFor(() => first.closeCode === 4409, 'the older replaced');
    expect(host.agent('twin')).toBeDefined();
  });
});
