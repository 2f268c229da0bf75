import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { EventBody, ModelInfo } from '@remote-chat/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type ModelStub, type StubTurn, slowAnswer, startModelStub } from '../../../../../test/support/model-stub.js';
import { tempDir } from '../../../../../test/support/temp-dir.js';
import type { ModelAccess } from '../../model-endpoint/model-access.js';
import { type SeenEvent, ofKind, runTurn } from '../../test-support/turns.js';
import { LlmAgent, type LlmAgentOptions } from './llm-agent.js';

// The llm agent in this process against the scripted model stub, through the official clients.
// What needs a real runtime process (Stop, restarts, the fix-a-test run) is in llm-runtime.test.ts.

interface Setup {
  stub: ModelStub;
  workspace: string;
  model: ModelAccess;
  agent: LlmAgent;
  turn: (text: string, options?: Parameters<typeof runTurn>[2]) => Promise<SeenEvent[]>;
}

async function setup(
  options: { api?: ModelInfo['api']; contextWindow?: number; agent?: Partial<LlmAgentOptions> } = {},
): Promise<Setup> {
  const stub = await startModelStub();
  onTestFinished(() => stub.close());
  const workspace = tempDir('rc-llm-');
  spawnSync('git', ['init', '-q'], { cwd: workspace });
  const info: ModelInfo = {
    id: 'stub-model',
    label: 'Stub Model',
    api: options.api ?? 'openai',
    ...(options.contextWindow ? { contextWindow: options.contextWindow } : {}),
  };
  const other: ModelInfo = { id: 'other-model', label: 'Other', api: options.api ?? 'openai' };
  const model: ModelAccess = { baseUrl: stub.url, apiKey: 'runtime-secret', models: () => [info, other] };
  const agent = new LlmAgent({ workspace, deltaIntervalMs: 0, ...options.agent });
  return {
    stub,
    workspace,
    model,
    agent,
    turn: (text, more) => runTurn(agent, text, { model, agentId: 'llm', ...more }),
  };
}

const final = (events: SeenEvent[]) => ofKind(events, 'message.agent').at(-1);

describe('the llm agent', () => {
  it('streams its answer as deltas, then says which model answered and the tokens it took', async () => {
    const { stub, turn } = await setup();
    stub.script({ text: ['Hello', ', ', 'world.'], usage: { inputTokens: 120, outputTokens: 4 } });
    const events = await turn('hi');
    expect(
      ofKind(events, 'message.delta')
        .map((event) => event.text)
        .join(''),
    ).toBe('Hello, world.');
    expect(final(events)).toMatchObject({
      text: 'Hello, world.',
      agent: 'llm',
      model: 'stub-model',
      usage: { inputTokens: 120, outputTokens: 4 },
    });
    expect(events.at(-1)).toMatchObject({ kind: 'status', state: 'idle' });
    expect(stub.requests[0]).toMatchObject({ api: 'openai-chat', model: 'stub-model', apiKey: 'runtime-secret' });
  });

  it('names the model and adds up the tokens of every step in the turn’s last message only', async () => {
    const { stub, workspace, turn } = await setup({ api: 'anthropic' });
    writeFileSync(path.join(workspace, 'notes.txt'), 'remember the milk\n');
    stub.script(
      {
        text: 'Reading.',
        toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }],
        usage: { inputTokens: 100, outputTokens: 10 },
      },
      { text: 'It says to remember the milk.', usage: { inputTokens: 150, outputTokens: 8 } },
    );
    const events = await turn('what do my notes say?');
    const messages = ofKind(events, 'message.agent');
    expect(messages.map((message) => message.text)).toEqual(['Reading.', 'It says to remember the milk.']);
    // The model and the tokens are said once, under the turn's last message.
    expect([messages[0]?.model, messages[0]?.usage]).toEqual([undefined, undefined]);
    expect(messages[1]?.model).toBeTruthy();
    expect(messages[1]?.usage).toEqual({ inputTokens: 250, outputTokens: 18 });
    // The second request carries the tool's result, in Anthropic's shape.
    const second = stub.requests[1];
    expect(second?.api).toBe('anthropic-messages');
    expect(second?.texts).toContain('remember the milk');
  });

  it('answers with the model an llm:<id> message names, and explains an unknown one', async () => {
    const { stub, turn } = await setup();
    stub.script({ text: 'from the other one' });
    const events = await turn('hi', { agentId: 'llm:other-model' });
    expect(stub.requests[0]?.model).toBe('other-model');
    expect(final(events)).toMatchObject({ agent: 'llm:other-model', model: 'other-model' });

    const unknown = await turn('hi', { agentId: 'llm:nope' });
    expect(final(unknown)?.text).toContain(
      'There is no model `nope` here. The models are `llm:stub-model`, `llm:other-model`.',
    );
    expect(stub.requests).toHaveLength(1);
  });

  it('says so when the runtime has no model to call', async () => {
    const { agent } = await setup();
    const events = await runTurn(agent, 'hi', { agentId: 'llm' });
    expect(final(events)?.text).toMatch(/No model is configured for this runtime/);
    expect(events.at(-1)).toMatchObject({ kind: 'status', state: 'idle' });
  });
});

describe('the llm agent’s tools', () => {
  it('reads, edits with a diff, runs a command and answers: the events are the shell agent’s', async () => {
    const { stub, workspace, turn } = await setup();
    writeFileSync(path.join(workspace, 'sum.js'), 'export const sum = (a, b) => a - b;\n');
    stub.script(
      { toolCalls: [{ name: 'read_file', arguments: { path: 'sum.js' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'sum.js', old_text: 'a - b', new_text: 'a + b' } }] },
      { toolCalls: [{ name: 'run_command', arguments: { command: 'cat sum.js; exit 3' } }] },
      { text: 'Fixed.' },
    );
    const events = await turn('fix sum', { seq: 1 });
    expect(readFileSync(path.join(workspace, 'sum.js'), 'utf8')).toBe('export const sum = (a, b) => a + b;\n');
    expect(ofKind(events, 'tool.call').map((call) => [call.tool, call.title])).toEqual([
      ['read', 'read sum.js'],
      ['edit', 'edit sum.js'],
      ['terminal', 'cat sum.js; exit 3'],
    ]);
    const [write] = ofKind(events, 'file.write');
    expect(write).toMatchObject({ path: 'sum.js', created: false, callId: 'llm-1-2-1' });
    expect(write?.diff).toContain('-export const sum = (a, b) => a - b;');
    expect(write?.diff).toContain('+export const sum = (a, b) => a + b;');
    expect(ofKind(events, 'tool.result').map((result) => [result.ok, result.exitCode ?? null])).toEqual([
      [true, null],
      [true, null],
      [false, 3],
    ]);
    // Each step's request carries the results so far: the file, the edit's diff, the command's output and exit code.
    const lastRequest = stub.requests[3]?.texts.join('\n') ?? '';
    expect(lastRequest).toContain('export const sum = (a, b) => a - b;');
    expect(lastRequest).toContain('+export const sum = (a, b) => a + b;');
    expect(lastRequest).toContain('[exit code 3]');
    expect(final(events)?.text).toBe('Fixed.');
  });

  it('refuses an edit whose old text is missing or ambiguous, telling the model what to do', async () => {
    const { stub, workspace, turn } = await setup();
    writeFileSync(path.join(workspace, 'a.txt'), 'x = 1\ny = 2\nx = 1\n');
    stub.script(
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'z = 3', new_text: 'z = 4' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'x = 1', new_text: 'x = 9' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'a.txt', old_text: 'y  =  2', new_text: 'y = 3' } }] },
      { text: 'I could not.' },
    );
    const events = await turn('edit');
    expect(readFileSync(path.join(workspace, 'a.txt'), 'utf8')).toBe('x = 1\ny = 2\nx = 1\n');
    expect(ofKind(events, 'file.write')).toHaveLength(0);
    const errors = ofKind(events, 'tool.result').map((result) => result.error);
    expect(errors[0]).toMatch(/old_text was not found in a.txt\. Read the file again/);
    expect(errors[1]).toMatch(/old_text occurs 2 times in a.txt \(at lines 1, 3\)\. Add surrounding lines/);
    expect(errors[2]).toMatch(/differs only in whitespace starts at line 2/);
    // The model hears the refusal as an error result.
    expect(stub.requests[1]?.texts.join('\n')).toMatch(/Error: old_text was not found/);
  });

  it('refuses paths that leave the workspace, through .. or a symlink', async () => {
    const { stub, workspace, turn } = await setup();
    const outside = tempDir('rc-llm-outside-');
    writeFileSync(path.join(outside, 'secret.txt'), 'top secret\n');
    symlinkSync(outside, path.join(workspace, 'link'));
    stub.script(
      { toolCalls: [{ name: 'read_file', arguments: { path: '../secret.txt' } }] },
      { toolCalls: [{ name: 'read_file', arguments: { path: 'link/secret.txt' } }] },
      { toolCalls: [{ name: 'write_file', arguments: { path: path.join(outside, 'new.txt'), content: 'x' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'link/secret.txt', old_text: 'top', new_text: 'no' } }] },
      { toolCalls: [{ name: 'search_files', arguments: { pattern: 'secret', path: '..' } }] },
      { toolCalls: [{ name: 'list_files', arguments: { path: 'link' } }] },
      { text: 'No.' },
    );
    const events = await turn('look outside');
    const results = ofKind(events, 'tool.result');
    expect(results).toHaveLength(6);
    for (const result of results) {
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/refused .*(outside the workspace|leads outside the workspace)/);
    }
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
    expect(JSON.stringify(events)).not.toContain('top secret');
    expect(stub.requests.flatMap((request) => request.texts).join('\n')).not.toContain('top secret');
  });

  it('lists and searches the files git knows, without ignored ones', async () => {
    const { stub, workspace, turn } = await setup();
    mkdirSync(path.join(workspace, 'src'));
    mkdirSync(path.join(workspace, 'node_modules/dep'), { recursive: true });
    writeFileSync(path.join(workspace, '.gitignore'), 'node_modules\n');
    writeFileSync(path.join(workspace, 'src/app.ts'), 'const greeting = "hello";\nexport default greeting;\n');
    writeFileSync(path.join(workspace, 'src/app.test.ts'), 'import greeting from "./app";\n');
    writeFileSync(path.join(workspace, 'node_modules/dep/index.ts'), 'const greeting = 1;\n');
    stub.script(
      { toolCalls: [{ name: 'list_files', arguments: { pattern: '*.ts' } }] },
      { toolCalls: [{ name: 'search_files', arguments: { pattern: 'greet\\w+ =', glob: '*.ts' } }] },
      { text: 'Done.' },
    );
    const events = await turn('where is greeting?');
    const outputs = ofKind(events, 'tool.output');
    expect(outputs[0]?.data).toBe('src/app.test.ts\nsrc/app.ts\n');
    expect(outputs[1]?.data).toBe('src/app.ts:1: const greeting = "hello";\n');
  });

  it('tells the model about an unknown tool or arguments that are not JSON, and goes on', async () => {
    const { stub, turn } = await setup();
    stub.script(
      { toolCalls: [{ name: 'delete_everything', arguments: {} }] },
      { toolCalls: [{ name: 'read_file', arguments: { file: 'x' } }] },
      { text: 'Sorry.' },
    );
    const events = await turn('go');
    const errors = ofKind(events, 'tool.result').map((result) => result.error);
    expect(errors[0]).toMatch(/there is no tool "delete_everything"; the tools are run_command, read_file/);
    expect(errors[1]).toMatch(/invalid arguments: path: /);
    expect(final(events)?.text).toBe('Sorry.');
  });
});

describe('the llm agent’s limits', () => {
  it('stops after the step limit and says how to go on', async () => {
    const { stub, turn } = await setup({ agent: { maxSteps: 3 } });
    stub.setDefault({
      toolCalls: [{ name: 'run_command', arguments: { command: 'true' } }],
      usage: { inputTokens: 10, outputTokens: 1 },
    });
    const events = await turn('loop forever');
    expect(stub.requests).toHaveLength(3);
    expect(ofKind(events, 'tool.call')).toHaveLength(3);
    expect(final(events)).toMatchObject({ usage: { inputTokens: 30, outputTokens: 3 } });
    expect(final(events)?.text).toMatch(
      /I stopped after 3 steps, the most one message may take\. Send another message/,
    );
  });

  it('summarises older turns in one model call when the conversation nears the context window', async () => {
    const { stub, turn } = await setup({ contextWindow: 12_000, agent: { maxOutputTokens: 1_000 } });
    const long = 'lorem ipsum '.repeat(1_500);
    stub.setDefault((request) =>
      request.texts.some((text) => text.startsWith('You compress the older part'))
        ? { text: 'SUMMARY: the user talked about lorem ipsum.', usage: { inputTokens: 9000, outputTokens: 12 } }
        : { text: `ok ${request.texts.length}` },
    );
    let history: SeenEvent[] = [];
    for (let seq = 1; seq <= 4; seq++) {
      const events = await turn(`${seq}: ${long}`, { seq, history });
      history = [...history, userEvent(seq, `${seq}: ${long}`), ...events];
    }
    const summaries = stub.requests.filter((request) => request.texts.some((t) => t.startsWith('You compress')));
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    const last = stub.requests.at(-1);
    expect(last?.texts.some((text) => text.includes('SUMMARY: the user talked about lorem ipsum.'))).toBe(true);
    // The newest message is there whole; the oldest is not.
    expect(last?.texts.some((text) => text.startsWith('4: lorem'))).toBe(true);
    expect(last?.texts.some((text) => text.startsWith('1: lorem'))).toBe(false);
    expect(JSON.stringify(last?.body).length / 3.5).toBeLessThan(12_000);
    // The summary's tokens count towards the message that needed it.
    const withSummary = ofKind(history, 'message.agent').find((message) => (message.usage?.inputTokens ?? 0) >= 9000);
    expect(withSummary).toBeDefined();
  });

  it('summarises and tries once more when the model says the conversation is too long', async () => {
    const { stub, turn } = await setup();
    const history: EventBody[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      history.push(userEvent(seq, `question ${seq}`), {
        kind: 'message.agent',
        messageId: `llm-${seq}-1`,
        text: `answer ${seq}`,
        agent: 'llm',
      });
    }
    stub.script({ error: 'context_overflow' }, { text: 'SUMMARY of questions 1 to 3' }, { text: 'fits now' });
    const events = await turn('question 4', { seq: 4, history });
    expect(final(events)?.text).toBe('fits now');
    expect(stub.requests[2]?.texts.join('\n')).toContain('SUMMARY of questions 1 to 3');
    expect(stub.requests[2]?.texts).toContain('question 4');
    expect(stub.requests[2]?.texts).not.toContain('question 1');
  });
});

describe('model errors become a message in the chat', () => {
  const cases: Array<[string, StubTurn, RegExp]> = [
    [
      'a refused key',
      { error: 'unauthorized' },
      /The model provider refused the API key for \*\*Stub Model\*\* \(HTTP 401\)/,
    ],
    [
      'a rate limit',
      { error: 'rate_limited', retryAfterSeconds: 20 },
      /\*\*Stub Model\*\* is rate limited right now\. Try again in 20 s\./,
    ],
    [
      'a server down',
      { error: 'server_error' },
      /\*\*Stub Model\*\* could not be reached or failed \(HTTP 500\)\. Try again in a moment\./,
    ],
    ['an overload', { error: 'overloaded' }, /could not be reached or failed \(HTTP 5\d\d\)/],
    ['a conversation too long', { error: 'context_overflow' }, /no longer fits in \*\*Stub Model\*\*'s context window/],
  ];
  for (const api of ['openai', 'anthropic'] as const) {
    for (const [what, failure, message] of cases) {
      it(`${what} (${api})`, async () => {
        const { stub, turn } = await setup({ api });
        // Context overflow is tried once more after a summary; the summary call fails alike.
        stub.setDefault(failure);
        const events = await turn('hi');
        expect(final(events)?.text).toMatch(message);
        expect(events.at(-1)).toMatchObject({ kind: 'status', state: 'idle' });
      });
    }
  }

  it('a gateway refusal such as a spent budget, named by the error body’s code', async () => {
    const endpoint = await startRefusingEndpoint(
      429,
      'budget_exhausted',
      'The daily token budget of 100000 tokens is spent.',
    );
    const agent = new LlmAgent({ workspace: tempDir('rc-llm-gw-') });
    const events = await runTurn(agent, 'hi', { model: endpoint, agentId: 'llm' });
    expect(final(events)?.text).toMatch(
      /The model budget is spent for today, so \*\*Stub Model\*\* cannot answer\. \(The daily token budget of 100000 tokens is spent\.\)/,
    );
  });

  it('an upstream that is not there at all', async () => {
    const { agent } = await setup();
    const model: ModelAccess = {
      baseUrl: 'http://127.0.0.1:9',
      apiKey: 'x',
      models: () => [{ id: 'm', label: 'Gone', api: 'openai' }],
    };
    const events = await runTurn(agent, 'hi', { model, agentId: 'llm' });
    expect(final(events)?.text).toMatch(
      /\*\*Gone\*\* could not be reached or failed\. Try again in a moment\. \(Connection error/,
    );
  });
});

describe('Stop', () => {
  it('ends a long streamed answer at once and says it was stopped, keeping what streamed', async () => {
    const { stub, turn } = await setup();
    stub.script(slowAnswer(1000, 20));
    const controller = new AbortController();
    let stoppedAt = 0;
    const events = await turn('talk', {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.kind === 'message.delta' && !stoppedAt) {
          stoppedAt = Date.now();
          controller.abort();
        }
      },
    });
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(final(events)?.text).toMatch(/^word .*\n\nStopped\.$/s);
    expect(await stub.requests[0]?.ended).toBe('aborted');
  });
});

function userEvent(seq: number, text: string): SeenEvent {
  return { kind: 'message.user', clientId: `client-${seq}`, text, agent: 'llm', at: 0 };
}

/** A stand-in for the runtime's model endpoint refusing every call with a gateway code, in OpenAI's error shape. */
async function startRefusingEndpoint(status: number, code: string, message: string): Promise<ModelAccess> {
  const server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message, type: 'gateway_error', param: null, code } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: 'x',
    models: () => [{ id: 'stub-model', label: 'Stub Model', api: 'openai' }],
  };
}
