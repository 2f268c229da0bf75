// The real Claude Code over ACP (`@zed-industries/claude-code-acp`) hosted in a real runtime of a
// real BFF, its model calls going through the runtime's keyless endpoint and the BFF's gateway to
// the model stub: one scripted turn writes a file after the person allows it through the BFF's
// route, and the model key is in no file, environment or log on the runtime's side.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff } from './support/bff.js';
import { MODEL_KEY, keyedStub, stubModels } from './support/model-gateway.js';
import { tempDir } from './support/temp-dir.js';

const CLAUDE_CODE_ACP = fileURLToPath(new URL('../node_modules/.bin/claude-code-acp', import.meta.url));

/** Every file under `dir` whose content holds `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).flatMap((name) => {
    const file = path.join(dir, name);
    try {
      return statSync(file).isFile() && readFileSync(file).includes(needle) ? [file] : [];
    } catch {
      return [];
    }
  });
}

/** The environments of the processes working in `folder` (the runtime's agents and their children). */
function environmentsIn(folder: string): string[] {
  return readdirSync('/proc').flatMap((pid) => {
    try {
      return /^\d+$/.test(pid) && readlinkSync(`/proc/${pid}/cwd`) === folder
        ? [readFileSync(`/proc/${pid}/environ`, 'utf8')]
        : [];
    } catch {
      return [];
    }
  });
}

describe('Claude Code over ACP in a runtime', () => {
  it('writes a file in a scripted turn once allowed, its model reached through the gateway, the key nowhere in the runtime', async () => {
    const stub = await keyedStub();
    let workspace = '';
    // Claude Code's own small requests (titles, token counts) get a word; the turn itself writes.
    stub.setDefault((request) => {
      const tools = (request.body.tools as { name: string }[] | undefined)?.map((tool) => tool.name) ?? [];
      const asked = request.texts.some((text) => text.includes('write hello to notes.txt'));
      const written = JSON.stringify(request.body.messages).includes('tool_result');
      if (asked && tools.includes('mcp__acp__Write') && !written)
        return {
          toolCalls: [
            {
              name: 'mcp__acp__Write',
              arguments: { file_path: path.join(workspace, 'notes.txt'), content: 'hello\n' },
            },
          ],
        };
      return { text: 'Done.' };
    });
    const home = tempDir('rc-claude-home-');
    const bff = await startTestBff({
      gateway: { models: stubModels(stub) },
      acpAgents: [
        {
          id: 'claude',
          label: 'Claude Code',
          command: CLAUDE_CODE_ACP,
          args: [],
          // Every model Claude Code picks is the gateway's `claude` (the stub); its settings stay in the test's HOME.
          env: {
            HOME: home,
            ANTHROPIC_MODEL: 'claude',
            ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude',
            ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude',
            ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude',
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          },
        },
      ],
    });
    const { runtime, threadId } = await readyRuntime(bff);
    const folder = path.join(bff.dataDir, 'runtimes', runtime.id);
    workspace = path.join(folder, 'workspace');
    const stream = await bff.stream();
    stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: 0 });
    const events = () => stream.events(threadId);
    const sent = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'write hello to notes.txt', agent: 'claude' },
    });
    expect(sent.status).toBe(202);

    await stream.until(() => events().some((event) => event.kind === 'permission.request'), 90_000, 'the request');
    const request = events().find(
      (event): event is Extract<ThreadEvent, { kind: 'permission.request' }> => event.kind === 'permission.request',
    )!;
    expect(request.options.map((option) => option.kind)).toContain('allow_once');
    // The agent is running now: its environment has the keyless endpoint, never the model key.
    const environments = environmentsIn(workspace);
    expect(environments.some((env) => env.includes('ANTHROPIC_BASE_URL=http://127.0.0.1:'))).toBe(true);
    expect(environments.filter((env) => env.includes(MODEL_KEY))).toEqual([]);

    const allow = request.options.find((option) => option.kind === 'allow_once')!;
    const answered = await bff.api(`/api/threads/${threadId}/permissions/${request.requestId}`, {
      body: { optionId: allow.optionId },
    });
    expect(answered.status).toBe(202);
    await stream.until(
      () => events().some((event) => event.kind === 'status' && event.state === 'idle'),
      90_000,
      'the end of the turn',
    );
    expect(readFileSync(path.join(workspace, 'notes.txt'), 'utf8')).toBe('hello\n');
    const kinds = events().map((event) => event.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['tool.call', 'file.write', 'permission.answer', 'tool.result', 'message.agent']),
    );
    expect(events().find((event) => event.kind === 'file.write')).toMatchObject({ path: 'notes.txt', created: true });
    expect(events().find((event) => event.kind === 'message.agent')).toMatchObject({ text: 'Done.', agent: 'claude' });
    // Every model call went through the gateway with the BFF's key (the stub refuses any other).
    expect(stub.requests.length).toBeGreaterThan(0);
    expect(stub.requests.every((call) => call.apiKey === MODEL_KEY)).toBe(true);
    expect(filesHolding(folder, MODEL_KEY)).toEqual([]);
    expect(filesHolding(home, MODEL_KEY)).toEqual([]);
  }, 120_000);
});
