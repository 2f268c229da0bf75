import { describe, expect, it } from 'vitest';
import { spawnBff } from '../support/bff-process.js';
import { newPage } from '../support/browser.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 20_000;

describe('a file pasted into the portal', () => {
  it('lands in the runtime’s workspace and its path in the message, so the agent can use it', async () => {
    const bff = await spawnBff(['--data-dir', tempDir()]);
    const { page, errors } = await newPage({ viewport: { width: 390, height: 800 } });
    await page.goto(bff.signinLink);
    await page.getByRole('radio', { name: 'New' }).click();
    await page.getByRole('radio', { name: 'Local process' }).check();
    await page.getByRole('button', { name: 'Create runtime' }).click();
    const composer = page.getByRole('textbox', { name: 'Message' });
    await expect.poll(() => composer.isEnabled(), { timeout: TIMEOUT }).toBe(true);

    await composer.fill('wc -c');
    // A phone screenshot on the clipboard, pasted into the message box.
    await composer.evaluate((box) => {
      const bytes = new Uint8Array(4321).map((_, i) => i % 251);
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'Screenshot 2026-11-23 at 08.15.png', { type: 'image/png' }));
      box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await expect
      .poll(() => composer.inputValue(), { timeout: TIMEOUT })
      .toMatch(/^wc -c uploads\/\d{8}-\d{6}-Screenshot-2026-11-23-at-08\.15\.png$/);
    await composer.press('Enter');

    const conversation = page.getByRole('log', { name: 'Conversation' });
    await conversation.getByText('Exit 0').waitFor({ timeout: TIMEOUT });
    expect(await conversation.getByRole('group', { name: 'Output' }).innerText()).toMatch(/^4321 uploads\//);
    expect(errors).toEqual([]);
  });
});
