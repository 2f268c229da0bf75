import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnBff } from '../support/bff-process.js';
import { newPage } from '../support/browser.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 20_000;
const bffCli = fileURLToPath(new URL('../../packages/bff/dist/cli.js', import.meta.url));
const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe's serious and critical findings on the page, shadow roots included. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(await axeSource);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            options: object,
          ): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe;
    const { violations } = await axe.run({ resultTypes: ['violations'] });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
}

async function tokenWorks(bffUrl: string, token: string): Promise<number> {
  return (await fetch(`${bffUrl}/api/runtimes`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe('Account → API tokens in Chromium', () => {
  it('creates a token shown once with a copy button, lists it, and revokes it after a confirmation', async () => {
    const bff = await spawnBff(['--data-dir', tempDir()]);
    const { page, errors } = await newPage({
      viewport: { width: 1280, height: 900 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });

    await page.goto(`${bff.url}/account/`);
    await page.getByRole('heading', { name: "You're signed out" }).waitFor({ timeout: TIMEOUT });

    await page.goto(bff.signinLink);
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor({ timeout: TIMEOUT });
    await page.getByText('No API tokens yet').waitFor({ timeout: TIMEOUT });

    // A name is required: the form says so instead of sending.
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('alert').getByText('Give the token a name').waitFor();

    await page.getByRole('textbox', { name: 'Name' }).fill('acme backend');
    await page.getByRole('combobox', { name: 'Expires after' }).selectOption({ label: '30 days' });
    await page.getByRole('button', { name: 'Create token' }).click();

    // Shown once, with a warning, focused so that a screen reader reads it first.
    const created = page.getByRole('region', { name: 'Copy your new token now' });
    await created.waitFor({ timeout: TIMEOUT });
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.textContent))
      .toBe('Copy your new token now');
    expect(await created.innerText()).toContain('This is the only time it is shown');
    const secret = await created.getByRole('textbox', { name: 'The token “acme backend”' }).inputValue();
    expect(secret).toMatch(/^rc_/);
    await created.getByRole('button', { name: 'Copy' }).click();
    await created.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(await accessibilityProblems(page)).toEqual([]);

    expect(await tokenWorks(bff.url, secret)).toBe(200);
    await created.getByRole('button', { name: 'I have stored it' }).click();
    expect(await created.count()).toBe(0);
    expect(await page.getByRole('textbox', { name: 'Name' }).evaluate((el) => el.matches(':focus'))).toBe(true);

    // After a reload the secret is gone for good; the list shows when it was used and when it expires.
    await page.reload();
    const item = page.getByRole('listitem', { name: 'acme backend' });
    await item.waitFor({ timeout: TIMEOUT });
    const text = await item.innerText();
    expect(text).toMatch(/Created/);
    expect(text).toMatch(/Last used\s+\S/);
    expect(text).not.toMatch(/Last used\s+Never/);
    const expires = new Date(Date.now() + 30 * 86_400_000).toLocaleDateString('en-US', {
      month: 'short',
      day: 'numeric',
      year: 'numeric',
    });
    expect(text).toContain(expires);
    expect(await page.locator('portal-api-tokens').evaluate((el) => el.shadowRoot!.innerHTML.includes('rc_'))).toBe(
      false,
    );

    // Revoking asks first; Cancel (or Escape) changes nothing.
    await item.getByRole('button', { name: 'Revoke “acme backend”' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke “acme backend”?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await tokenWorks(bff.url, secret)).toBe(200);

    await item.getByRole('button', { name: 'Revoke “acme backend”' }).click();
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('No API tokens yet').waitFor({ timeout: TIMEOUT });
    expect(await page.getByRole('status').filter({ hasText: 'Revoked the token “acme backend”.' }).count()).toBe(1);
    expect(await tokenWorks(bff.url, secret)).toBe(401);
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('fits a phone and follows the dark theme', async () => {
    const bff = await spawnBff(['--data-dir', tempDir()]);
    const { page, errors } = await newPage({ viewport: { width: 375, height: 740 }, colorScheme: 'light' });
    await page.goto(bff.signinLink);
    await page.goto(`${bff.url}/account/`);
    await page.getByRole('textbox', { name: 'Name' }).fill('my laptop');
    await page.getByRole('combobox', { name: 'Expires after' }).selectOption({ label: 'Never' });
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('region', { name: 'Copy your new token now' }).waitFor({ timeout: TIMEOUT });
    await page.getByRole('listitem', { name: 'my laptop' }).getByText('Never').first().waitFor();

    // The commands that connect a machine, for this server, ready to copy.
    const connect = page.getByRole('region', { name: 'Connect your machine' });
    expect(await connect.innerText()).toContain(`node remote-chat-runtime.js connect --url ${bff.url}`);
    expect(await connect.getByRole('button', { name: 'Copy commands' }).isVisible()).toBe(true);

    // Nothing sticks out sideways, and the Account link and Sign out are there on a phone too.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await page.getByRole('link', { name: 'Account' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);

    const background = () =>
      page
        .locator('portal-api-tokens')
        .evaluate((el) => getComputedStyle(el.shadowRoot!.querySelector('.list')!).backgroundColor);
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.getByRole('combobox', { name: 'Theme' }).selectOption({ label: 'Dark' });
    expect(await background()).toBe('rgb(20, 22, 27)');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('a sign-in link opened a second time, in Chromium', () => {
  it('answers with a page in the portal’s look, light and dark, that names the command for a new link', async () => {
    const bff = await spawnBff(['--data-dir', tempDir()]);
    expect((await fetch(bff.signinLink, { redirect: 'manual' })).status).toBe(303);
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, errors } = await newPage({ viewport: { width: 375, height: 740 }, colorScheme });
      const response = await page.goto(bff.signinLink);
      expect(response?.status()).toBe(400);
      expect(response?.headers()['content-type']).toContain('text/html');
      await page.getByRole('heading', { name: 'This sign-in link was already used' }).waitFor({ timeout: TIMEOUT });
      expect(await page.locator('pre').innerText()).toBe('npx remote-chat-bff signin-link');
      expect(await page.getByRole('link', { name: 'Open Remote Chat' }).getAttribute('href')).toBe('/');
      const colours = await page.evaluate(() => [
        getComputedStyle(document.documentElement).backgroundColor,
        getComputedStyle(document.querySelector('h1')!).color,
      ]);
      // The portal's background in each scheme.
      expect(colours[0]).toBe(colorScheme === 'light' ? 'rgb(238, 240, 244)' : 'rgb(13, 15, 19)');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    }
    // The command it names is the CLI's.
    const help = await new Promise<string>((resolve) =>
      execFile(process.execPath, [bffCli, '--help'], (_error, stdout) => resolve(stdout)),
    );
    expect(help).toMatch(/^\s+signin-link\b/m);
  });
});
