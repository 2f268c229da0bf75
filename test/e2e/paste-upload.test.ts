import { describe, expect, it } from 'vitest';
import { spawnBff } from '../support/bff-process.js';
import { newPage } from '../support/browser.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 20_000;

describe('a file pasted into the portal', () => {
  it('is attached as a thumbnail, goes up on Send, and lands in the workspace with its path in the message', async () => {
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
    // A phone screenshot and a stray file, pasted; the stray one is removed before sending.
    const paste = (name: string, size: number, type: string) =>
      composer.evaluate(
        (box, file) => {
          const bytes = new Uint8Array(file.size).map((_, i) => i % 251);
          const data = new DataTransfer();
          data.items.add(new File([bytes], file.name, { type: file.type }));
          box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        },
        { name, size, type },
      );
    await paste('Screenshot 2026-11-23 at 08.15.png', 4321, 'image/png');
    await paste('stray.txt', 10, 'text/plain');
    const attachments = page.getByRole('list', { name: 'Attachments' }).getByRole('listitem');
    await expect.poll(() => attachments.count(), { timeout: TIMEOUT }).toBe(2);
    expect(await attachments.first().locator('img').count()).toBe(1);
    await page.getByRole('button', { name: 'Remove stray.txt' }).click();
    await expect.poll(() => attachments.count(), { timeout: TIMEOUT }).toBe(1);
    // Nothing went up yet, and the message is the user's own text.
    expect(await composer.inputValue()).toBe('wc -c');
    await composer.press('Enter');

    const conversation = page.getByRole('log', { name: 'Conversation' });
    await conversation.getByText('Exit 0').waitFor({ timeout: TIMEOUT });
    const output = await conversation.getByRole('group', { name: 'Output' }).innerText();
    expect(output).toMatch(/^4321 uploads\/\d{8}-\d{6}-Screenshot-2026-11-23-at-08\.15\.png$/m);
    expect(await attachments.count()).toBe(0);
    // Only the attached file went up.
    await composer.fill('ls uploads');
    await composer.press('Enter');
    await expect
      .poll(() => conversation.getByRole('group', { name: 'Output' }).last().innerText(), { timeout: TIMEOUT })
      .toMatch(/^\d{8}-\d{6}-Screenshot-2026-11-23-at-08\.15\.png\s*$/);
    expect(errors).toEqual([]);
  });
});
