import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigResponse } from '@remote-chat/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { readyRuntime, startTestBff, type TestBff } from '../support/bff.js';
import { composerReady, newPage } from '../support/browser.js';
import { keyedStub, MODEL_KEY, stubModels } from '../support/model-gateway.js';
import { slowAnswer, type ModelStub } from '../support/model-stub.js';
import { tempDir } from '../support/temp-dir.js';

// The llm agent as a user meets it: Chromium on a real BFF whose execution gateway serves the
// model stub (with the key only the BFF holds), a runtime of the default provider (the Local
// sandbox where bubblewrap works), and the agent inside that runtime calling its keyless endpoint.

const TIMEOUT = 20_000;
const BROKEN = 'export function sum(a, b) {\n  return a - b;\n}\n';
const FIXED = 'export function sum(a, b) {\n  return a + b;\n}\n';

/**
 * A bare repository `octo/sum` under a folder that serves as the BFF's `gitBaseUrl`: a module
 * with a bug and a test that fails on it.
 */
function failingRepository(): string {
  const root = tempDir('rc-llm-git-');
  const work = join(root, 'work');
  mkdirSync(work);
  writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(work, 'sum.js'), BROKEN);
  writeFileSync(
    join(work, 'sum.test.js'),
    "import assert from 'node:assert/strict';\nimport { sum } from './sum.js';\nassert.equal(sum(2, 3), 5);\nconsole.log('sum ok');\n",
  );
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'ignore' });
  git(work, 'init', '-q', '--initial-branch', 'main');
  git(work, 'add', '.');
  git(work, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'sum, and a test that fails');
  mkdirSync(join(root, 'octo'));
  git(root, 'clone', '-q', '--bare', work, join(root, 'octo', 'sum.git'));
  return `file://${root}`;
}

/** The provider the portal picks by default: the Local sandbox where bubblewrap works, else the Local process. */
async function defaultProvider(bff: TestBff): Promise<string> {
  const config = (await (await bff.api('/api/config')).json()) as ConfigResponse;
  const first = config.providers[0];
  if (!first) throw new Error('the BFF offers no provider');
  return first.id;
}

/** Signs the page in, opens the runtime named `name` and picks the `llm` agent in the composer. */
async function openWithLlm(page: Page, bff: TestBff, name: RegExp): Promise<void> {
  await page.goto(await bff.server.signinLink());
  await page.getByRole('combobox', { name: 'Runtime' }).click();
  await page.getByRole('option', { name }).click();
  await composerReady(page, TIMEOUT);
  await page.getByRole('combobox', { name: 'Agent' }).selectOption('llm');
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** A BFF whose gateway serves the keyed stub, cloning `owner/name` from `gitBaseUrl`. */
async function llmBff(stub: ModelStub, gitBaseUrl?: string): Promise<TestBff> {
  return startTestBff({ gateway: { models: stubModels(stub) }, ...(gitBaseUrl && { gitBaseUrl }) });
}

describe('the llm agent in Chromium', () => {
  it('fixes a failing test in a cloned repository: the chat shows the terminal, the diff and the answer, and the file is fixed', async () => {
    const stub = await keyedStub();
    const bff = await llmBff(stub, failingRepository());
    const { runtime } = await readyRuntime(bff, await defaultProvider(bff), { repo: 'octo/sum' });
    const workspace = join(bff.dataDir, 'runtimes', runtime.id, 'workspace');
    expect(readFileSync(join(workspace, 'sum.js'), 'utf8')).toBe(BROKEN);

    const answer = 'The sum function subtracted instead of adding. I fixed it, and the test passes.';
    stub.script(
      { text: 'Let me look at the code.', toolCalls: [{ name: 'read_file', arguments: { path: 'sum.js' } }] },
      {
        toolCalls: [
          { name: 'edit_file', arguments: { path: 'sum.js', old_text: 'return a - b;', new_text: 'return a + b;' } },
        ],
      },
      { toolCalls: [{ name: 'run_command', arguments: { command: 'node sum.test.js' } }] },
      { text: ['The sum function subtracted instead of adding. ', 'I fixed it, and the test passes.'] },
    );
    const { page, errors } = await newPage({ viewport: { width: 1280, height: 900 } });
    await openWithLlm(page, bff, /octo\/sum/);
    await send(page, 'The test in sum.test.js fails. Fix it.');

    const conversation = page.getByRole('log', { name: 'Conversation' });
    await conversation.getByText(answer).waitFor({ timeout: TIMEOUT });
    // The terminal card: the test's command, its output and its exit code.
    const terminal = conversation.getByRole('region', { name: 'Command: node sum.test.js' });
    await terminal.getByText('Exit 0').waitFor({ timeout: TIMEOUT });
    expect(await terminal.getByRole('group', { name: 'Output' }).innerText()).toContain('sum ok');
    // The file card: the diff, the old line removed and the new one added.
    const diff = conversation.getByRole('region', { name: 'Edited sum.js' }).getByRole('group', { name: 'Changes' });
    const marked = async (kind: 'add' | 'del') =>
      (await diff.locator(`.line.${kind}`).allTextContents()).map((line) => line.replace(/\s+/g, ' ').trim());
    expect(await marked('del')).toEqual(['removed: return a - b;']);
    expect(await marked('add')).toEqual(['added: return a + b;']);
    // The file in the runtime's workspace is fixed.
    expect(readFileSync(join(workspace, 'sum.js'), 'utf8')).toBe(FIXED);

    // Four model calls, each the BFF's: its key, its upstream model name; the runtime's own
    // credential for its endpoint went no further than the BFF.
    expect(stub.requests).toHaveLength(4);
    for (const request of stub.requests) {
      expect(request).toMatchObject({ api: 'openai-chat', model: 'stub-gpt', apiKey: MODEL_KEY });
      expect(request.headers['x-api-key']).toBeUndefined();
    }
    expect(stub.requests[3]?.texts.join('\n')).toContain('sum ok');
    expect(errors).toEqual([]);
  });

  it('Stop during a long streamed answer ends the turn within a second, and the thread says so', async () => {
    const stub = await keyedStub();
    const bff = await llmBff(stub);
    await readyRuntime(bff, await defaultProvider(bff), { name: 'stop test' });
    stub.script(slowAnswer(2_000, 25));
    const { page, errors } = await newPage({ viewport: { width: 1280, height: 900 } });
    await openWithLlm(page, bff, /stop test/);
    await send(page, 'Tell me everything.');

    const conversation = page.getByRole('log', { name: 'Conversation' });
    // Streaming: several pieces of the answer are on screen.
    await conversation.getByText('word word word word').first().waitFor({ timeout: TIMEOUT });
    const stop = page.getByRole('button', { name: 'Stop' });
    const stoppedAt = Date.now();
    await stop.click();
    await conversation.getByText(/Stopped\.$/).waitFor({ timeout: TIMEOUT });
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    // The upstream call was hung up on, through the runtime's endpoint and the gateway.
    expect(await stub.requests[0]?.ended).toBe('aborted');
    expect(stub.requests).toHaveLength(1);
    await stop.waitFor({ state: 'detached', timeout: TIMEOUT });
    expect(errors).toEqual([]);
  });
});
