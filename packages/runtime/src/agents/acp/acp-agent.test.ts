import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AcpAgentConfig, EventBody } from '@remote-chat/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { PermissionOutcome } from '@remote-chat/link';
import { waitFor } from '../../../../../test/support/wait.js';
import { tempDirs } from '../../test-support/temp.js';
import { ofKind, outputOf, runTurn } from '../../test-support/turns.js';
import { AcpAgent, acpAgents } from './acp-agent.js';
import { AcpSessions } from './acp-sessions.js';

// The ACP agent host against a real ACP agent process (test/support/acp-test-agent.mjs, written on
// the official SDK's agent side), one turn at a time, without a link.

const TEST_AGENT = fileURLToPath(new URL('../../../../../test/support/acp-test-agent.mjs', import.meta.url));
const temp = tempDirs();
const agents: AcpAgent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
  await temp.cleanup();
});

const config = (env: Record<string, string> = {}): AcpAgentConfig => ({
  id: 'tester',
  label: 'Test agent',
  command: process.execPath,
  args: [TEST_AGENT],
  env,
});

async function testAgent(
  options: { env?: Record<string, string>; stateDir?: string; idleMs?: number; maxProcesses?: number } = {},
) {
  const workspace = await temp.make('rc-acp-ws-');
  const agent = new AcpAgent({
    config: config(options.env),
    workspace,
    sessions: new AcpSessions(options.stateDir),
    log: () => {},
    ...(options.idleMs !== undefined && { idleMs: options.idleMs }),
    ...(options.maxProcesses !== undefined && { maxProcesses: options.maxProcesses }),
  });
  agents.push(agent);
  return { agent, workspace };
}

const allow = async (): Promise<PermissionOutcome> => ({
  outcome: 'chosen',
  option: { optionId: 'allow', name: 'Allow once', kind: 'allow_once' },
});

describe('the ACP agent', () => {
  it('streams message chunks as deltas and ends the turn with one message and the plan', async () => {
    const { agent } = await testAgent();
    const events = await runTurn(agent, 'stream');
    expect(ofKind(events, 'message.delta').map((event) => event.text)).toEqual([
      'Hello ',
      'from the ',
      'test agent (prompt 1).',
    ]);
    expect(ofKind(events, 'message.agent')).toEqual([
      expect.objectContaining({ text: 'Hello from the test agent (prompt 1).', agent: 'tester' }),
    ]);
    expect(ofKind(events, 'plan')[0]?.entries).toEqual([
      { content: 'Say hello', status: 'completed', priority: 'high' },
      { content: 'Say goodbye', status: 'pending', priority: 'low' },
    ]);
    expect(events.at(-1)).toMatchObject({ kind: 'status', state: 'idle' });
  });

  it('keeps one session per thread across messages, and a new one for another thread', async () => {
    const { agent } = await testAgent();
    await runTurn(agent, 'stream', { threadId: 'th_a' });
    const second = await runTurn(agent, 'stream', { threadId: 'th_a' });
    const other = await runTurn(agent, 'stream', { threadId: 'th_b' });
    expect(ofKind(second, 'message.agent')[0]?.text).toContain('(prompt 2)');
    expect(ofKind(other, 'message.agent')[0]?.text).toContain('(prompt 1)');
  });

  it('shows a tool call with its diff, asks permission, and writes the file once allowed', async () => {
    const { agent, workspace } = await testAgent();
    const asked: unknown[] = [];
    const events = await runTurn(agent, 'edit notes.txt hello world', {
      askPermission: async (question) => {
        asked.push(question);
        return allow();
      },
    });
    expect(readFileSync(path.join(workspace, 'notes.txt'), 'utf8')).toBe('hello world\n');
    const [call] = ofKind(events, 'tool.call');
    expect(call).toMatchObject({ tool: 'edit', title: 'Write notes.txt', input: { path: 'notes.txt' } });
    // The diff and the write through the client are one change: one file.write.
    expect(ofKind(events, 'file.write')).toEqual([
      expect.objectContaining({ callId: call?.callId, path: 'notes.txt', created: true, bytes: 12 }),
    ]);
    expect(ofKind(events, 'file.write')[0]?.diff).toContain('+hello world');
    expect(asked).toEqual([
      {
        title: 'Write notes.txt',
        toolCall: { callId: call?.callId, tool: 'edit', title: 'Write notes.txt' },
        options: [
          { optionId: 'allow', name: 'Allow once', kind: 'allow_once' },
          { optionId: 'reject', name: 'Reject', kind: 'reject_once' },
        ],
      },
    ]);
    expect(ofKind(events, 'tool.result')).toEqual([expect.objectContaining({ callId: call?.callId, ok: true })]);
    expect(ofKind(events, 'message.agent')[0]?.text).toBe('Wrote notes.txt.');
  });

  it('answers a denied request with the agent’s reject option', async () => {
    const { agent, workspace } = await testAgent();
    const events = await runTurn(agent, 'edit notes.txt nope');
    expect(existsSync(path.join(workspace, 'notes.txt'))).toBe(false);
    expect(ofKind(events, 'tool.result')).toEqual([expect.objectContaining({ ok: false })]);
    expect(ofKind(events, 'message.agent')[0]?.text).toBe('Not allowed (reject).');
  });

  it('refuses to write outside the workspace', async () => {
    const { agent } = await testAgent();
    const events = await runTurn(agent, 'edit ../outside.txt x', { askPermission: allow });
    expect(ofKind(events, 'message.agent')[0]?.text).toMatch(/failed: .*outside the workspace/);
  });

  it('runs a terminal as a tool call whose output streams, and gives the agent its output', async () => {
    const { agent } = await testAgent();
    const events = await runTurn(agent, 'terminal printf hi-there');
    const [call] = ofKind(events, 'tool.call');
    expect(call).toMatchObject({ tool: 'terminal', title: 'printf hi-there' });
    expect(outputOf(events)).toBe('hi-there');
    expect(ofKind(events, 'tool.result')).toEqual([
      expect.objectContaining({ callId: call?.callId, ok: true, exitCode: 0 }),
    ]);
    expect(ofKind(events, 'message.agent')[0]?.text).toBe('exit 0: hi-there');
  });

  it('passes the model endpoint, then the configured environment, to the agent', async () => {
    const { agent } = await testAgent({ env: { TEST_FLAG: 'set' } });
    const model = { baseUrl: 'http://127.0.0.1:9', apiKey: 'endpoint-secret', models: () => [] };
    const events = await runTurn(agent, 'env', { model });
    expect(ofKind(events, 'message.agent')[0]?.text).toBe('OPENAI_BASE_URL=http://127.0.0.1:9/v1 keys=0 TEST_FLAG=set');
  });

  for (const [script, how] of [
    ['slow', 'an agent that answers the cancel'],
    ['stubborn', 'an agent that ignores it (its process is stopped)'],
  ] as const) {
    it(`ends a long turn within a second of Stop: ${how}`, async () => {
      const { agent } = await testAgent();
      const controller = new AbortController();
      let stoppedAt = 0;
      const events = await runTurn(agent, script, {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.kind === 'message.delta' && stoppedAt === 0) {
            stoppedAt = performance.now();
            controller.abort();
          }
        },
      });
      expect(performance.now() - stoppedAt).toBeLessThan(1_500);
      expect(ofKind(events, 'message.agent')[0]?.text).toMatch(/Stopped\.$/);
      expect(events.at(-1)).toMatchObject({ kind: 'status', state: 'idle' });
      // The thread goes on: the next message gets an answer (from a new process after a kill).
      const next = await runTurn(agent, 'hello again');
      expect(ofKind(next, 'message.agent')[0]?.text).toContain('echo: hello again');
    });
  }

  it('resumes the thread’s session after a restart where the agent loads sessions, without replaying it', async () => {
    const stateDir = await temp.make('rc-acp-state-');
    const env = { ACP_TEST_LOAD_SESSIONS: '1' };
    const first = await testAgent({ env, stateDir });
    await runTurn(first.agent, 'stream', { threadId: 'th_r' });
    await first.agent.close();
    const { agent } = await testAgent({ env, stateDir });
    const events = await runTurn(agent, 'stream', { threadId: 'th_r' });
    expect(ofKind(events, 'message.agent')[0]?.text).toBe('Hello from the test agent (prompt 1, loaded).');
  });

  it('stops a thread’s idle agent process and resumes its session with the next message', async () => {
    const env = { ACP_TEST_LOAD_SESSIONS: '1' };
    const { agent } = await testAgent({ env, stateDir: await temp.make('rc-acp-state-'), idleMs: 300 });
    await runTurn(agent, 'stream', { threadId: 'th_idle' });
    expect(agent.liveProcesses).toBe(1);
    await waitFor(() => agent.liveProcesses === 0, 'the idle process stopped', 5_000);
    const events = await runTurn(agent, 'stream', { threadId: 'th_idle' });
    expect(ofKind(events, 'message.agent')[0]?.text).toBe('Hello from the test agent (prompt 1, loaded).');
  });

  it('stops the longest idle process when a new thread would pass the limit', async () => {
    const env = { ACP_TEST_LOAD_SESSIONS: '1' };
    const { agent } = await testAgent({ env, stateDir: await temp.make('rc-acp-state-'), maxProcesses: 2 });
    await runTurn(agent, 'stream', { threadId: 'th_1' });
    await runTurn(agent, 'stream', { threadId: 'th_2' });
    await runTurn(agent, 'stream', { threadId: 'th_1' });
    expect(agent.liveProcesses).toBe(2);
    // th_2 is now the longest idle: a third thread takes its place.
    await runTurn(agent, 'stream', { threadId: 'th_3' });
    expect(agent.liveProcesses).toBe(2);
    const again = await runTurn(agent, 'stream', { threadId: 'th_1' });
    expect(ofKind(again, 'message.agent')[0]?.text).toBe('Hello from the test agent (prompt 3).');
    const resumed = await runTurn(agent, 'stream', { threadId: 'th_2' });
    expect(ofKind(resumed, 'message.agent')[0]?.text).toBe('Hello from the test agent (prompt 1, loaded).');
  });

  it('tells a session loaded after a restart only the turns of other agents since its own last turn', async () => {
    const stateDir = await temp.make('rc-acp-state-');
    const env = { ACP_TEST_LOAD_SESSIONS: '1' };
    const first = await testAgent({ env, stateDir });
    const shellTurn: EventBody[] = [{ kind: 'message.user', clientId: 'c-1', text: 'echo before', agent: 'shell' }];
    await runTurn(first.agent, 'stream', { threadId: 'th_rl', history: shellTurn });
    await first.agent.close();
    const history: EventBody[] = [
      ...shellTurn,
      { kind: 'message.user', clientId: 'c-2', text: 'stream', agent: 'tester' },
      { kind: 'message.agent', messageId: 'a-2', agent: 'tester', text: 'Hello from the test agent.' },
      { kind: 'message.user', clientId: 'c-3', text: 'And now?', agent: 'llm' },
      { kind: 'message.agent', messageId: 'llm-3-1', agent: 'llm', text: 'Said while the agent was away.' },
    ];
    const { agent } = await testAgent({ env, stateDir });
    const told = ofKind(await runTurn(agent, 'recall', { threadId: 'th_rl', history }), 'message.agent')[0]!.text;
    expect(told).toContain('Said while the agent was away.');
    expect(told).not.toContain('echo before');
    expect(told).not.toContain('Hello from the test agent.');
  });

  it('says the agent starts afresh after a restart when it cannot load sessions', async () => {
    const stateDir = await temp.make('rc-acp-state-');
    const first = await testAgent({ stateDir });
    await runTurn(first.agent, 'stream', { threadId: 'th_f' });
    await first.agent.close();
    const { agent } = await testAgent({ stateDir });
    const events = await runTurn(agent, 'stream', { threadId: 'th_f' });
    expect(ofKind(events, 'message.agent')[0]?.text).toMatch(/^_Test agent restarted .* starts afresh/);
  });

  it('tells why when the command cannot start', async () => {
    const workspace = await temp.make('rc-acp-ws-');
    const agent = new AcpAgent({
      config: { ...config(), command: path.join(workspace, 'missing') },
      workspace,
      sessions: new AcpSessions(undefined),
    });
    agents.push(agent);
    const events = await runTurn(agent, 'stream');
    expect(ofKind(events, 'message.agent')[0]?.text).toMatch(/^Test agent could not start: .*ENOENT/);
  });

  it('offers only the configured agents whose command it finds', async () => {
    const workspace = await temp.make('rc-acp-ws-');
    const found = acpAgents([config(), { ...config(), id: 'ghost', command: 'no-such-acp-agent-here' }], {
      workspace,
    });
    agents.push(...found);
    expect(found.map((agent) => agent.id)).toEqual(['tester']);
  });

  it("gives a fresh session the thread's earlier turns, and later only the turns other agents answered", async () => {
    const { agent } = await testAgent();
    const shellTurn: EventBody[] = [
      { kind: 'message.user', clientId: 'c-1', text: 'ls', agent: 'shell' },
      { kind: 'tool.call', callId: 'sh-1', tool: 'terminal', title: 'ls' },
      { kind: 'tool.output', callId: 'sh-1', stream: 'stdout', data: 'README.md\n' },
      { kind: 'tool.result', callId: 'sh-1', ok: true, exitCode: 0, durationMs: 3 },
    ];
    const llmTurn: EventBody[] = [
      { kind: 'message.user', clientId: 'c-2', text: 'What is in it?', agent: 'llm' },
      { kind: 'message.agent', messageId: 'llm-2-1', agent: 'llm', text: 'A readme, nothing more.' },
    ];
    const first = await runTurn(agent, 'recall', { threadId: 'th_ctx', history: shellTurn });
    const told = ofKind(first, 'message.agent')[0]!.text;
    expect(told).toContain('[terminal: ls]');
    expect(told).toContain('README.md');

    // Its own turn is not told again; the llm's turn since is.
    const own: EventBody[] = [
      { kind: 'message.user', clientId: 'c-3', text: 'recall', agent: 'tester' },
      { kind: 'message.agent', messageId: 'a-3', agent: 'tester', text: 'I remember the readme.' },
    ];
    const second = await runTurn(agent, 'recall', { threadId: 'th_ctx', history: [...shellTurn, ...own, ...llmTurn] });
    const [, since] = ofKind(second, 'message.agent')[0]!.text.split('\n---\n');
    expect(since).toContain('A readme, nothing more.');
    expect(since).not.toContain('README.md');

    // Nothing new since its last turn: the message alone.
    const history = [...shellTurn, ...own, ...llmTurn, { ...own[0]!, clientId: 'c-4' }];
    const third = await runTurn(agent, 'recall', { threadId: 'th_ctx', history });
    expect(ofKind(third, 'message.agent')[0]!.text.split('\n---\n')).toHaveLength(2);

    // A fresh session (another process: say its session could not be loaded) is told its own turns too.
    const { agent: fresh } = await testAgent();
    const again = await runTurn(fresh, 'recall', { threadId: 'th_ctx', history });
    expect(ofKind(again, 'message.agent')[0]!.text).toContain('I remember the readme.');
  });

  it('says whose models it calls: its own login only on a machine where configured so', async () => {
    const workspace = await temp.make('rc-acp-ws-');
    const make = (ownLogin: boolean, machine: boolean, env: Record<string, string> = {}) =>
      new AcpAgent({ config: { ...config(env), ownLogin }, workspace, sessions: new AcpSessions(undefined), machine });
    expect(make(true, true).modelAccess).toBe('own');
    expect(make(true, false).modelAccess).toBe('gateway');
    expect(make(false, true).modelAccess).toBe('gateway');
    expect(make(false, false, { ANTHROPIC_BASE_URL: 'https://models.example' }).modelAccess).toBe('own');
  });

  it('starts an agent with its own login without the model endpoint in its environment', async () => {
    const workspace = await temp.make('rc-acp-ws-');
    const model = { baseUrl: 'http://127.0.0.1:9', apiKey: 'rcm-secret', models: () => [] };
    const run = async (machine: boolean) => {
      const agent = new AcpAgent({
        config: { ...config(), ownLogin: true },
        workspace,
        sessions: new AcpSessions(undefined),
        machine,
        log: () => {},
      });
      agents.push(agent);
      return ofKind(await runTurn(agent, 'env', { model }), 'message.agent')[0]!.text;
    };
    expect(await run(true)).toMatch(/^OPENAI_BASE_URL=undefined /);
    expect(await run(false)).toMatch(/^OPENAI_BASE_URL=http:\/\/127\.0\.0\.1:9\/v1 /);
  });
});
