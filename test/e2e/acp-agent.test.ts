import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { readyRuntime, startTestBff } from '../support/bff.js';
import { composerReady, newPage } from '../support/browser.js';
import { keyedStub, stubModels } from '../support/model-gateway.js';

// An ACP agent as a user meets it, mid-thread: Chromium on a real BFF (whose gateway serves the
// model stub) and a real runtime hosting the ACP test agent (test/support/acp-test-agent.mjs, on
// the official SDK). One thread goes from the shell to the llm agent to the ACP agent, which is
// told what happened before it; its permission requests are answered by clicks in one browser,
// and a second browser on the same thread sees each answer without clicking.

const TIMEOUT = 20_000;
const TEST_AGENT = fileURLToPath(new URL('../support/acp-test-agent.mjs', import.meta.url));
const ACP_AGENTS = [{ id: 'tester', label: 'Test agent', command: process.execPath, args: [TEST_AGENT], env: {} }];
/** Short, so that the unanswered request is denied within the test; long enough for a click. */
const PERMISSION_TIMEOUT_MS = 8_000;

async function openRuntime(page: Page, signinLink: string, name: RegExp): Promise<void> {
  await page.goto(signinLink);
  await page.getByRole('combobox', { name: 'Runtime' }).click();
  await page.getByRole('option', { name }).click();
  await composerReady(page, TIMEOUT);
}

async function send(page: Page, agent: string, text: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Agent' }).selectOption(agent);
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

const conversation = (page: Page) => page.getByRole('log', { name: 'Conversation' });
/** A permission request's card, named by what the agent asks. */
const request = (page: Page, title: string) => conversation(page).getByRole('region', { name: title, exact: true });

describe('an ACP agent in Chromium', () => {
  it('answers after the shell and the llm agent in one thread, and asks permission in every browser: allowed, denied, timed out', async () => {
    const stub = await keyedStub();
    const bff = await startTestBff({
      gateway: { models: stubModels(stub) },
      acpAgents: ACP_AGENTS,
      permissionTimeoutMs: PERMISSION_TIMEOUT_MS,
    });
    const { runtime } = await readyRuntime(bff, 'process', { name: 'acp e2e' });
    const workspace = join(bff.dataDir, 'runtimes', runtime.id, 'workspace');
    const signin = async () => bff.server.signinLink();

    const { page, errors } = await newPage({ viewport: { width: 1280, height: 900 } });
    await openRuntime(page, await signin(), /acp e2e/);
    // The picker offers what the runtime runs: the ACP agent by its label, using the BFF's models.
    const picker = page.getByRole('combobox', { name: 'Agent' });
    expect(await picker.locator('option').allTextContents()).toContain('Test agent');

    // The shell answers first.
    await send(page, 'shell', 'echo from-the-shell');
    await conversation(page)
      .getByRole('region', { name: 'Command: echo from-the-shell' })
      .getByText('Exit 0')
      .waitFor({ timeout: TIMEOUT });
    // Then the llm agent.
    stub.script({ text: 'The shell printed from-the-shell.' });
    await send(page, 'llm', 'What did the shell print?');
    await conversation(page).getByText('The shell printed from-the-shell.').waitFor({ timeout: TIMEOUT });
    // Then the ACP agent, whose first prompt carries the thread so far.
    await send(page, 'tester', 'recall');
    await conversation(page)
      .getByText(/^context: /)
      .waitFor({ timeout: TIMEOUT });
    // The agent says what its prompt carried (as markdown: one paragraph a turn).
    const context = await conversation(page).innerText();
    expect(context).toContain('$ echo from-the-shell');
    expect(context).toContain('USER: What did the shell print?');
    expect(context).toContain('ASSISTANT: The shell printed from-the-shell.');

    // A second browser on the same thread.
    const other = await newPage({ viewport: { width: 390, height: 844 } });
    await openRuntime(other.page, await signin(), /acp e2e/);
    await conversation(other.page)
      .getByText(/^context: /)
      .waitFor({ timeout: TIMEOUT });

    // Allowed with a click here: the file is written, and the other browser shows the answer.
    await send(page, 'tester', 'edit allowed.txt yes please');
    await request(page, 'Write allowed.txt').getByRole('button', { name: 'Allow once' }).click();
    await conversation(page).getByText('Wrote allowed.txt.').waitFor({ timeout: TIMEOUT });
    expect(readFileSync(join(workspace, 'allowed.txt'), 'utf8')).toBe('yes please\n');
    const seenThere = request(other.page, 'Write allowed.txt');
    await seenThere.getByText('Allowed: Allow once.').waitFor({ timeout: TIMEOUT });
    expect(await seenThere.getByRole('button').count()).toBe(0);

    // Denied with a click: honoured, no file.
    await send(page, 'tester', 'edit denied.txt no thanks');
    await request(page, 'Write denied.txt').getByRole('button', { name: 'Reject' }).click();
    await conversation(page).getByText('Not allowed (reject).').waitFor({ timeout: TIMEOUT });
    await request(other.page, 'Write denied.txt').getByText('Denied: Reject.').waitFor({ timeout: TIMEOUT });
    expect(existsSync(join(workspace, 'denied.txt'))).toBe(false);

    // Unanswered: denied after the time, in both browsers, and the agent is refused.
    await send(page, 'tester', 'edit late.txt too late');
    await request(page, 'Write late.txt').getByRole('button', { name: 'Allow once' }).waitFor({ timeout: TIMEOUT });
    for (const p of [page, other.page])
      await request(p, 'Write late.txt')
        .getByText(/Denied: no one answered within \d+ seconds\./)
        .waitFor({ timeout: TIMEOUT });
    await conversation(page).getByText('Not allowed (reject).').nth(1).waitFor({ timeout: TIMEOUT });
    expect(await request(page, 'Write late.txt').getByRole('button').count()).toBe(0);
    expect(existsSync(join(workspace, 'late.txt'))).toBe(false);

    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
  });
});
