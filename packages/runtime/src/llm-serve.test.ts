import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EventBody, ModelInfo, ToRuntimeMessage } from '@remote-chat/protocol';
import { dialLink } from '@remote-chat/link';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ModelStub, slowAnswer, startModelStub } from '../../../test/support/model-stub.js';
import { waitFor } from '../../../test/support/wait.js';
import { bffSession } from './test-support/bff-session.js';
import { ensureBundle } from './test-support/bundle.js';
import { killAll, startServe } from './test-support/serve-process.js';
import { tempDirs } from './test-support/temp.js';

// The llm agent in a real `remote-chat-runtime serve` process (the bundle), driven over the link
// as the BFF drives it, its model the scripted stub (through --own-models, since the BFF's
// gateway is not in these tests).

const RUNTIME_ID = 'rt_llm_test';
const TOKEN = 'llm-test-token-0123456789';
const temp = tempDirs();
let bundle: string;
let stubs: ModelStub[] = [];

beforeAll(() => {
  bundle = ensureBundle();
});
afterEach(async () => {
  await killAll();
  await Promise.all(stubs.map((stub) => stub.close()));
  stubs = [];
  await temp.cleanup();
});

interface Runtime {
  stub: ModelStub;
  workspace: string;
  stateDir: string;
  start(): Promise<Link>;
}

type Link = ReturnType<typeof bffSession> & {
  send(text: string, options?: { agent?: string; seq?: number }): void;
  cancel(): void;
  /** Resolves once the thread's turn `seq` is over (its last status is idle), with that turn's events. */
  turnEnded(seq: number, timeoutMs?: number): Promise<EventBody[]>;
  kill(): Promise<void>;
};

/** A git repository with a failing test, a stub, and a way to start (and restart) a runtime on them. */
async function runtime(api: ModelInfo['api'] = 'openai'): Promise<Runtime> {
  const stub = await startModelStub({ apiKey: 'own-key-for-tests' });
  stubs.push(stub);
  const workspace = await temp.make('rc-llm-ws-');
  const stateDir = path.join(await temp.make('rc-llm-state-'), 'state');
  writeFileSync(path.join(workspace, 'sum.js'), 'export function sum(a, b) {\n  return a - b;\n}\n');
  writeFileSync(
    path.join(workspace, 'sum.test.js'),
    "import assert from 'node:assert/strict';\nimport { sum } from './sum.js';\nassert.equal(sum(2, 3), 5);\nconsole.log('sum ok');\n",
  );
  writeFileSync(path.join(workspace, 'package.json'), '{ "type": "module" }\n');
  const git = (...args: string[]) => spawnSync('git', args, { cwd: workspace });
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'a failing test');
  const ownModels = path.join(await temp.make('rc-llm-models-'), 'models.json');
  writeFileSync(
    ownModels,
    JSON.stringify({
      baseUrl: stub.url,
      apiKey: 'own-key-for-tests',
      models: [{ id: 'stub-model', label: 'Stub Model', api }],
    }),
  );
  let seqs = 0;
  // One BFF end for every runtime process, as the BFF keeps its session (and the link's numbering) across a restart.
  const bff = bffSession();
  const turnStarts = new Map<number, number>();
  return {
    stub,
    workspace,
    stateDir,
    async start() {
      const serve = await startServe({
        bundle,
        workspace,
        stateDir,
        runtimeId: RUNTIME_ID,
        token: TOKEN,
        args: ['--own-models', ownModels],
      });
      await dialLink({
        url: `ws://127.0.0.1:${serve.info.port}/link`,
        runtimeId: RUNTIME_ID,
        token: TOKEN,
        session: bff.session,
      });
      return {
        ...bff,
        send(text, options = {}) {
          const seq = options.seq ?? ++seqs;
          seqs = Math.max(seqs, seq);
          turnStarts.set(seq, bff.events('th_1').length);
          const message: ToRuntimeMessage = {
            type: 'message.send',
            threadId: 'th_1',
            seq,
            clientId: `client-${seq}`,
            text,
            agent: options.agent ?? 'llm',
          };
          bff.session.send(message);
        },
        cancel() {
          bff.session.send({ type: 'thread.cancel', threadId: 'th_1' });
        },
        async turnEnded(seq, timeoutMs = 15_000) {
          const from = turnStarts.get(seq) ?? 0;
          return waitFor(
            () => {
              const events = bff.events('th_1').slice(from);
              const last = events.at(-1);
              return events.length > 1 && last?.kind === 'status' && last.state === 'idle' ? events : undefined;
            },
            () => `turn ${seq} to end (stderr: ${serve.stderr()})`,
            timeoutMs,
          );
        },
        async kill() {
          serve.child.kill('SIGKILL');
          await serve.exited;
          bff.session.detach(1000, 'test: runtime killed');
        },
      };
    },
  };
}

const ofKind = <K extends EventBody['kind']>(events: EventBody[], kind: K) =>
  events.filter((event): event is Extract<EventBody, { kind: K }> => event.kind === kind);

describe('the llm agent in a runtime', () => {
  it('fixes a failing test: reads the file, edits it, runs the test and answers', async () => {
    const { stub, workspace, start } = await runtime();
    stub.script(
      { text: 'Let me look at the code.', toolCalls: [{ name: 'read_file', arguments: { path: 'sum.js' } }] },
      {
        toolCalls: [
          { name: 'edit_file', arguments: { path: 'sum.js', old_text: 'return a - b;', new_text: 'return a + b;' } },
        ],
      },
      { toolCalls: [{ name: 'run_command', arguments: { command: 'node sum.test.js' } }] },
      {
        text: ['`sum` subtracted instead of adding. ', 'I fixed it and the test passes.'],
        usage: { inputTokens: 900, outputTokens: 20 },
      },
    );
    const link = await start();
    link.send('The test in sum.test.js fails. Fix it.');
    const events = await link.turnEnded(1);

    expect(readFileSync(path.join(workspace, 'sum.js'), 'utf8')).toBe(
      'export function sum(a, b) {\n  return a + b;\n}\n',
    );
    // The chat gets what it shows for the shell agent: a read, a diff, a terminal with the test's output.
    const calls = ofKind(events, 'tool.call');
    expect(calls.map((call) => call.tool)).toEqual(['read', 'edit', 'terminal']);
    const [write] = ofKind(events, 'file.write');
    expect(write?.path).toBe('sum.js');
    expect(write?.diff).toMatch(/-\s+return a - b;\n\+\s+return a \+ b;/);
    const terminal = calls[2]?.callId;
    const output = ofKind(events, 'tool.output').filter((event) => event.callId === terminal);
    expect(output.map((event) => event.data).join('')).toContain('sum ok');
    expect(ofKind(events, 'tool.result').find((result) => result.callId === terminal)).toMatchObject({
      ok: true,
      exitCode: 0,
    });
    const answer = ofKind(events, 'message.agent').at(-1);
    expect(answer).toMatchObject({
      text: '`sum` subtracted instead of adding. I fixed it and the test passes.',
      agent: 'llm',
      model: 'stub-model',
    });
    expect(answer?.usage?.inputTokens).toBeGreaterThanOrEqual(900);
    // The model saw the file, the diff and the test's output, with the own key.
    expect(stub.requests).toHaveLength(4);
    expect(stub.requests.every((request) => request.apiKey === 'own-key-for-tests')).toBe(true);
    expect(stub.requests[1]?.texts.join('\n')).toContain('return a - b;');
    expect(stub.requests[3]?.texts.join('\n')).toContain('sum ok');
    expect(stub.requests[3]?.texts.join('\n')).toContain('[exit code 0]');
  });

  it('Stop ends a long streamed answer within a second, and the thread says so', async () => {
    const { stub, start } = await runtime('anthropic');
    stub.script(slowAnswer(2_000, 25));
    const link = await start();
    link.send('Tell me everything.');
    await waitFor(() => ofKind(link.events('th_1'), 'message.delta').length > 0, 'the answer to start streaming');
    const stoppedAt = Date.now();
    link.cancel();
    const events = await link.turnEnded(1);
    const idleAt = (events.at(-1) as EventBody & { at: number }).at;
    expect(idleAt - stoppedAt).toBeLessThan(1_000);
    expect(ofKind(events, 'message.agent').at(-1)?.text).toMatch(/^(word )+\n\nStopped\.$/);
    expect(await stub.requests[0]?.ended).toBe('aborted');
    expect(stub.requests).toHaveLength(1);
  });

  it('Stop ends a running command within a second, and the thread says so', async () => {
    const { stub, start } = await runtime();
    stub.script({ toolCalls: [{ name: 'run_command', arguments: { command: 'echo started; sleep 30' } }] });
    const link = await start();
    link.send('Run the slow thing.');
    await waitFor(
      () => ofKind(link.events('th_1'), 'tool.output').some((event) => event.data.includes('started')),
      'the command to start',
    );
    const stoppedAt = Date.now();
    link.cancel();
    const events = await link.turnEnded(1);
    const idleAt = (events.at(-1) as EventBody & { at: number }).at;
    expect(idleAt - stoppedAt).toBeLessThan(1_000);
    expect(ofKind(events, 'tool.result').at(-1)).toMatchObject({ ok: false, error: 'cancelled' });
    expect(ofKind(events, 'message.agent').at(-1)?.text).toBe('Stopped.');
    // The model was not asked again after the Stop.
    expect(stub.requests).toHaveLength(1);
  });

  it('keeps the conversation across messages, other agents’ turns and a runtime restart', async () => {
    const { stub, start } = await runtime();
    stub.script(
      { toolCalls: [{ name: 'run_command', arguments: { command: 'echo the-magic-word-is-$((6*7))' } }] },
      { text: 'Nice to meet you, Ada. The magic word is 42.' },
      { text: 'You are Ada.' },
      { text: 'The shell printed hello-from-shell.' },
    );
    let link = await start();
    link.send('Hi, I am Ada. What is the magic word?');
    await link.turnEnded(1);
    link.send('Who am I?');
    await link.turnEnded(2);
    // The second request has the first turn: the message, the tool call with its output, the answer.
    const second = stub.requests[2]?.texts.join('\n') ?? '';
    for (const earlier of ['Hi, I am Ada.', 'the-magic-word-is-42', 'Nice to meet you, Ada.', 'Who am I?']) {
      expect(second).toContain(earlier);
    }

    // A SIGKILL: nothing but the state folder survives. Then a shell turn, then the llm again.
    await link.kill();
    link = await start();
    link.send('echo hello-from-shell', { agent: 'shell', seq: 3 });
    await link.turnEnded(3);
    link.send('What did the shell print?', { seq: 4 });
    const events = await link.turnEnded(4);
    expect(ofKind(events, 'message.agent').at(-1)?.text).toBe('The shell printed hello-from-shell.');
    expect(stub.requests).toHaveLength(4);
    const afterRestart = stub.requests[3];
    const texts = afterRestart?.texts.join('\n') ?? '';
    for (const earlier of [
      'Hi, I am Ada.',
      'the-magic-word-is-42',
      'Nice to meet you, Ada. The magic word is 42.',
      'Who am I?',
      'You are Ada.',
      'echo hello-from-shell',
      'hello-from-shell\n',
      'What did the shell print?',
    ]) {
      expect(texts).toContain(earlier);
    }
    // In order, and as the same conversation the model saw before the restart.
    expect(afterRestart?.texts.slice(0, stub.requests[2]?.texts.length ?? 0)).toEqual(stub.requests[2]?.texts);
  });
});
