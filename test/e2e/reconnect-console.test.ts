// While the BFF is down the portal reconnects, as it should: that is no error, and its code must not
// say it is (no console.error, no uncaught WebSocket error, no failed request reported by it, no
// request but the stream's). What Chromium itself logs for a refused connection cannot be hushed by
// a page: one line per attempt, for the stream's WebSocket alone. Back up, the portal recovers.
import { describe, expect, it } from 'vitest';
import { spawnBff } from '../support/bff-process.js';
import { composerReady, newPage } from '../support/browser.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 30_000;

describe('the portal while its BFF is down, in Chromium', () => {
  it('reconnects without a console error, and recovers once the BFF is back', async () => {
    const dataDir = tempDir();
    const first = await spawnBff(['--data-dir', dataDir]);
    const port = new URL(first.url).port;
    const { page } = await newPage({ viewport: { width: 1280, height: 800 } });
    const messages: { type: string; text: string; at: number; url?: string }[] = [];
    page.on('console', (message) =>
      messages.push({ type: message.type(), text: message.text(), at: Date.now(), url: message.location().url }),
    );
    page.on('pageerror', (error) => messages.push({ type: 'pageerror', text: error.message, at: Date.now() }));
    await page.goto(first.signinLink);
    await page.getByRole('radio', { name: 'New' }).click();
    await page.getByRole('radio', { name: 'Local process' }).check();
    await page.getByRole('button', { name: 'Create runtime' }).click();
    await composerReady(page, TIMEOUT);
    // The conversation is loaded (its history over REST, then live on the stream) and everything
    // the page loads once (the parts fetched on first use) has arrived: a load cut off by the kill
    // would be the test's doing, not a request made while the BFF is down.
    await page.getByText('Start the conversation').waitFor({ timeout: TIMEOUT });
    await page.waitForLoadState('networkidle');

    first.child.kill('SIGKILL');
    await first.exited;
    const down = Date.now();
    // A few reconnect attempts (the first within a second, then backing off).
    await page.waitForTimeout(8_000);
    const whileDown = messages.filter((m) => m.at >= down);
    const browserLine = `WebSocket connection to 'ws://127.0.0.1:${port}/api/stream' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED`;
    const attempts = whileDown.filter((m) => m.type === 'error' && m.text === browserLine);
    // It did try again, more than once, backing off.
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThanOrEqual(6);
    expect(
      whileDown.filter((m) => m.text !== browserLine && ['error', 'warning', 'pageerror'].includes(m.type)),
    ).toEqual([]);

    const second = await spawnBff(['--data-dir', dataDir, '--port', port]);
    expect(second.url).toBe(first.url);
    await composerReady(page, TIMEOUT);
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.fill('echo back again');
    await composer.press('Enter');
    const conversation = page.getByRole('log', { name: 'Conversation' });
    await conversation.getByText('back again', { exact: true }).waitFor({ timeout: TIMEOUT });
    expect(messages.filter((m) => m.type === 'pageerror')).toEqual([]);
  });
});
