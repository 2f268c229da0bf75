// New → E2B in Chromium: the portal of a real BFF whose e2b provider drives the real SDK against
// the E2B stand-in (each sandbox its own folder and network namespace on this machine), the
// sandbox log showing every step with its duration, and a chat command that runs in the sandbox.
import '../support/localhost-subdomains.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2bProvider, ProcessProvider } from '@remote-chat/bff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBff } from '../support/bff.js';
import { composerReady, newPage } from '../support/browser.js';
import { type E2bStandin, startE2bStandin } from '../support/e2b-standin.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 20_000;

let standin: E2bStandin;
beforeAll(async () => {
  standin = await startE2bStandin();
});
afterAll(async () => {
  await standin?.close();
});

describe('an E2B sandbox in Chromium', () => {
  it('is made from New with every step timed in the sandbox log, and runs a chat command in the sandbox', async () => {
    const dataDir = tempDir('rc-bff-');
    // Offered beside the Local process, as a configured provider is.
    const bff = await startTestBff({
      dataDir,
      providers: [new E2bProvider({ ...standin.sdkOptions, template: 'base' }), new ProcessProvider({ dataDir })],
    });
    const { page, errors } = await newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(await bff.server.signinLink());

    await page.getByRole('radio', { name: 'New' }).click();
    await page.getByRole('radio', { name: 'E2B sandbox' }).check();
    await page.getByRole('button', { name: 'Create runtime' }).click();

    const log = page.getByRole('log', { name: 'Sandbox log' });
    await log.locator('[data-step="ready"][data-state="ok"]').waitFor({ timeout: TIMEOUT });
    for (const [step, state] of [
      ['create', 'ok'],
      ['clone', 'skipped'],
      ['install', 'ok'],
      ['settings', 'ok'],
      ['start', 'ok'],
      ['ready', 'ok'],
    ] as const) {
      const row = log.locator(`[data-step="${step}"][data-state="${state}"]`);
      expect(await row.count(), step).toBe(1);
      // A skipped step took no time worth telling.
      expect(await row.locator('.duration').first().innerText(), step).toMatch(
        state === 'skipped' ? /^$/ : /^\d+(\.\d)? (ms|s)$/,
      );
    }
    // The create step, opened, names the sandbox it made.
    const [sandbox] = standin.sandboxes();
    expect(standin.sandboxes()).toHaveLength(1);
    const create = log.locator('[data-step="create"]');
    await create.locator('summary').click();
    expect(await create.innerText()).toContain(`sandbox ${sandbox!.sandboxId} from template base`);

    await composerReady(page);
    const composer = page.getByRole('textbox', { name: 'Message' });
    const command = 'echo "home=$HOME" && echo written-in-the-sandbox > proof.txt';
    await composer.fill(command);
    await composer.press('Enter');
    const card = page.getByRole('region', { name: `Command: ${command}` });
    await card.getByText('Exit 0').waitFor({ timeout: TIMEOUT });
    expect(await card.getByRole('group', { name: 'Output' }).innerText()).toContain('home=/home/user');
    // The file is in that sandbox's workspace, not anywhere on the BFF's side.
    expect(readFileSync(join(sandbox!.dir, 'home', 'workspace', 'proof.txt'), 'utf8')).toBe('written-in-the-sandbox\n');
    expect(errors).toEqual([]);
  });
});
