import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnBff } from '../support/bff-process.js';
import { composerReady, newPage } from '../support/browser.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 20_000;

/** Types a command line into the composer and sends it with Enter. */
async function run(page: Page, command: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(command);
  await composer.press('Enter');
}

/** The conversation's text once it contains `text`. */
async function conversationWith(page: Page, text: string): Promise<string> {
  const conversation = page.getByRole('log', { name: 'Conversation' });
  await conversation.getByText(text, { exact: false }).first().waitFor({ timeout: TIMEOUT });
  return (await conversation.innerText()).replace(/\s+/g, ' ');
}

describe('the portal in Chromium', () => {
  it('signs in with the printed link, starts a runtime in the default Local sandbox, runs commands and shows them again after a reload', async () => {
    const dataDir = tempDir();
    const bff = await spawnBff(['--data-dir', dataDir]);
    const { page, errors } = await newPage({ viewport: { width: 1280, height: 800 } });

    await page.goto(bff.url);
    await page.getByRole('heading', { name: "You're signed out" }).waitFor({ timeout: TIMEOUT });

    await page.goto(bff.signinLink);
    expect(page.url()).toBe(`${bff.url}/`);

    await page.getByRole('radio', { name: 'New' }).click();
    // The sandbox is the default where bubblewrap works (CI installs it); the owner may pick the Local process.
    expect(await page.getByRole('radio', { name: 'Local sandbox' }).isChecked()).toBe(true);
    expect(await page.getByRole('radio', { name: 'Local process' }).isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Create runtime' }).click();

    // Every step reaches its end state in the sandbox log, then the composer opens.
    const log = page.getByRole('log', { name: 'Sandbox log' });
    await log.locator('[data-step="ready"][data-state="ok"]').waitFor({ timeout: TIMEOUT });
    for (const [step, state] of [
      ['create', 'ok'],
      ['clone', 'skipped'],
      ['install', 'ok'],
      ['settings', 'ok'],
      ['start', 'ok'],
    ]) {
      expect(await log.locator(`[data-step="${step}"][data-state="${state}"]`).count()).toBe(1);
    }
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composerReady(page);

    await run(page, 'echo hello && sleep 1 && echo world');
    const command = page.getByRole('region', { name: 'Command: echo hello && sleep 1 && echo world' });
    const output = command.getByRole('group', { name: 'Output' });
    await output.getByText('hello').first().waitFor({ timeout: TIMEOUT });
    // "hello" is on screen while the command still runs: "world" has not arrived yet.
    expect(await output.innerText()).not.toContain('world');
    await command.getByText('Exit 0').waitFor({ timeout: TIMEOUT });
    expect((await output.innerText()).split(/\s+/).filter(Boolean)).toEqual(['hello', 'world']);

    await run(page, 'ls -la');
    await page.getByRole('region', { name: 'Command: ls -la' }).getByText('Exit 0').waitFor({ timeout: TIMEOUT });
    expect(await conversationWith(page, '.git')).toContain('.git');

    await run(page, 'sleep 60');
    const stop = page.getByRole('button', { name: 'Stop' });
    await stop.waitFor({ timeout: TIMEOUT });
    await stop.click();
    await page
      .getByRole('region', { name: 'Command: sleep 60' })
      .getByText(/SIGTERM|cancel/i)
      .first()
      .waitFor({ timeout: TIMEOUT });

    const before = await conversationWith(page, 'world');
    await page.reload();
    const after = await conversationWith(page, 'sleep 60');
    for (const text of ['echo hello && sleep 1 && echo world', 'hello world', 'ls -la', 'sleep 60']) {
      expect(after).toContain(text);
    }
    expect(after.length).toBeGreaterThanOrEqual(before.length * 0.9);
    expect(errors).toEqual([]);
    await composer.waitFor();
  });
});
