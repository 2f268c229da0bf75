import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { CreatedApiToken, Runtime } from '@remote-chat/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import { clientId, readyRuntime, signIn, StreamClient } from './support/bff.js';
import { spawnBff } from './support/bff-process.js';
import { MachineLink } from './support/machine-link.js';
import { endpointOf, ended, inferenceRequest, MODEL_KEY } from './support/model-gateway.js';
import { startModelStub } from './support/model-stub.js';
import { filesHolding } from './support/secret-scan.js';
import { tempDir } from './support/temp-dir.js';

/** A second key, for the model the config file names by environment variable. */
const FILE_MODEL_KEY = 'sk-ant-file-model-key-9f8e7d6c5b4a39281706';
const KEYS = [MODEL_KEY, FILE_MODEL_KEY];

const holding = (text: string, keys: readonly string[]) => keys.filter((key) => text.includes(key));

describe('model keys stay in the BFF', () => {
  it('finds the configured keys nowhere in the runtime’s folder, environment, frames or llm agent’s history, any log, or the database', async () => {
    // Two models with two keys; the stub records which key each request carried.
    const stub = await startModelStub();
    onTestFinished(() => stub.close());
    const root = tempDir('rc-leak-');
    const dataDir = join(root, 'data');
    const config = join(root, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        models: [
          {
            id: 'claude',
            api: 'anthropic',
            baseUrl: stub.anthropicBaseUrl,
            model: 'stub-claude',
            apiKeyEnv: 'LEAK_TEST_KEY',
          },
        ],
      }),
    );
    const bffProcess = await spawnBff(['--data-dir', dataDir, '--config', config, '--log-level', 'debug'], {
      REMOTE_CHAT_LLM_MODEL: 'stub-gpt',
      REMOTE_CHAT_LLM_BASE_URL: stub.openaiBaseUrl,
      REMOTE_CHAT_LLM_API_KEY: MODEL_KEY,
      LEAK_TEST_KEY: FILE_MODEL_KEY,
    });
    const cookie = await signIn(bffProcess.signinLink);
    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${bffProcess.url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { cookie, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });

    // A sandbox runtime: its agents use the endpoint, with answers and an error that echoes the key.
    const { runtime, threadId } = await readyRuntime({ api });
    const stream = await StreamClient.open(bffProcess.url, cookie);
    const endpoint = await endpointOf({ api }, threadId, stream);
    const openai = new OpenAI({ baseURL: `${endpoint.baseUrl}/v1`, apiKey: endpoint.apiKey, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey, maxRetries: 0 });
    stub.script({ text: ['streamed ', 'answer'] }, { text: 'whole answer' }, { text: ['from ', 'claude'] });
    for await (const _chunk of await openai.chat.completions.create({
      model: 'stub-gpt',
      messages: [{ role: 'user', content: 'a' }],
      stream: true,
    })) {
      // Read to the end.
    }
    await openai.chat.completions.create({ model: 'stub-gpt', messages: [{ role: 'user', content: 'b' }] });
    expect(
      await anthropic.messages
        .stream({ model: 'claude', max_tokens: 9, messages: [{ role: 'user', content: 'c' }] })
        .finalText(),
    ).toBe('from claude');
    stub.script({ error: 'unauthorized', message: `Incorrect API key provided: ${MODEL_KEY}` });
    await expect(
      openai.chat.completions.create({ model: 'stub-gpt', messages: [{ role: 'user', content: 'd' }] }),
    ).rejects.toThrow(/refused this server's key/);

    // The llm agent in the same runtime, through the BFF: it prints its environment, writes a
    // file and answers; then, on the other model, the upstream refuses and echoes the key.
    stub.script(
      { toolCalls: [{ name: 'run_command', arguments: { command: 'printenv | sort' } }] },
      { toolCalls: [{ name: 'write_file', arguments: { path: 'notes.txt', content: 'looked around\n' } }] },
      { text: ['Your environment ', 'holds no model key.'] },
      { error: 'unauthorized', message: `invalid x-api-key: ${FILE_MODEL_KEY}` },
    );
    const llmTurn = async (text: string, agent: string) => {
      const before = stream.events(threadId).length;
      const sent = await api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text, agent } });
      expect(sent.status).toBe(202);
      const fresh = () => stream.events(threadId).slice(before);
      await stream.until(
        () => fresh().some((e) => e.kind === 'message.agent') && fresh().at(-1)?.kind === 'status',
        20_000,
        `the ${agent} answer`,
      );
      return fresh().flatMap((e) => (e.kind === 'message.agent' ? [e.text] : []));
    };
    expect(await llmTurn('What is in your environment?', 'llm')).toEqual(['Your environment holds no model key.']);
    const [refused] = await llmTurn('And you?', 'llm:claude');
    expect(refused).toMatch(/refused this server's key/);
    // The agent's history log is where the search below looks.
    const history = readFileSync(
      join(dataDir, 'runtimes', runtime.id, 'state', 'threads', `${threadId}.jsonl`),
      'utf8',
    );
    expect(history).toContain('REMOTE_CHAT_RUNTIME_ID'); // the printenv output
    expect(history).toContain('Your environment holds no model key.');
    // What the runtime sent upstream (its conversation, its environment in it) holds no key.
    expect(holding(JSON.stringify(stub.requests.map((r) => r.body)), KEYS)).toEqual([]);

    // A machine runtime, driven by hand so that every frame it receives is kept.
    const created = await api('/api/tokens', { body: { name: 'machine' } });
    const { token } = (await created.json()) as CreatedApiToken;
    const machine = await MachineLink.open(bffProcess.url, { token, runtimeId: 'rt_leak_machine', lastReceived: 0 });
    stub.script({ text: ['machine ', 'answer'] }, { error: 'unauthorized', message: `Bad key ${MODEL_KEY}` });
    machine.send(inferenceRequest('m-1', {}, 'stub-gpt'));
    machine.send(inferenceRequest('m-2', {}, 'stub-gpt'));
    await machine.until(() => ended(machine, 'm-1') && ended(machine, 'm-2'), 'both answers');
    await machine.until(() => machine.messages('models').length > 0, 'the model list');

    // The keys were in play: the upstream got them.
    expect(stub.requests.map((r) => r.apiKey)).toEqual([
      MODEL_KEY,
      MODEL_KEY,
      FILE_MODEL_KEY,
      MODEL_KEY,
      // The llm agent's three calls, then its refused one on the other model.
      MODEL_KEY,
      MODEL_KEY,
      MODEL_KEY,
      FILE_MODEL_KEY,
      MODEL_KEY,
      MODEL_KEY,
    ]);

    // Now look everywhere a runtime or a log could hold them.
    const runtimeFolder = join(dataDir, 'runtimes', (runtime as Runtime).id);
    const { pid } = JSON.parse(readFileSync(join(runtimeFolder, 'state', 'runtime.json'), 'utf8')) as { pid: number };
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(environ).toContain('REMOTE_CHAT_RUNTIME_ID'); // the right process
    expect(holding(environ, KEYS)).toEqual([]);
    expect(holding(JSON.stringify(machine.frames), KEYS)).toEqual([]);
    // Nor what the browser stream carried: the commands' output, the diffs, the answers, the errors.
    expect(holding(JSON.stringify(stream.frames), KEYS)).toEqual([]);
    expect(JSON.stringify(machine.frames)).toContain('[redacted]');
    expect(holding(bffProcess.output(), KEYS)).toEqual([]);
    // The data directory holds the database (and its WAL), the runtimes' folders and logs.
    expect(filesHolding(dataDir, KEYS)).toEqual([]);
    // The search itself finds a key where there is one.
    writeFileSync(join(root, 'control'), `x${MODEL_KEY}x`);
    expect(filesHolding(root, KEYS)).toEqual([`${join(root, 'control')} holds ${MODEL_KEY.slice(0, 12)}…`]);
    stream.socket.close();
    await machine.close();
  });
});
