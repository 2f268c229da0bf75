// "Continue on another runtime…" in Chromium against a real BFF with process runtimes and the
// shell agent: a thread whose runtime idle-stopped goes on on another ready runtime, or on a new
// one like the old, and the next message is answered there. Screenshots of the chooser at desktop
// and phone widths, light and dark, go to THREAD_MOVE_SHOTS_DIR when it is set.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime, Thread } from '@remote-chat/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnBff, type BffProcess } from '../support/bff-process.js';
import { composerReady, newContext } from '../support/browser.js';
import { api, untilStatus } from '../support/page-api.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 30_000;
const SHOTS_DIR = process.env.THREAD_MOVE_SHOTS_DIR;

/** A process runtime with the shell agent, ready. */
async function shellRuntime(page: Page, name: string): Promise<Runtime> {
  const runtime = (await api(page, '/api/runtimes', 'POST', { provider: 'process', name, agent: 'shell' }))
    .body as Runtime;
  await untilStatus(page, runtime.id, 'ready', TIMEOUT);
  return runtime;
}

/** A thread on a runtime that ran one command in it and then idle-stopped. */
async function threadOnAStoppedRuntime(page: Page): Promise<{ stopped: Runtime; thread: Thread }> {
  const stopped = await shellRuntime(page, 'first');
  const thread = (await api(page, `/api/runtimes/${stopped.id}/threads`, 'POST', { title: 'Where am I' }))
    .body as Thread;
  await api(page, `/api/threads/${thread.id}/messages`, 'POST', {
    clientId: 'e2e-first',
    text: 'echo before-the-stop',
  });
  await untilStatus(page, stopped.id, 'stopped', 60_000);
  return { stopped, thread };
}

/** Opens the thread in the chat and its chooser: "Continue on another runtime…". */
async function openChooser(page: Page, bff: BffProcess, runtime: Runtime, thread: Thread) {
  await page.goto(`${bff.url}/?runtime=${runtime.id}&thread=${thread.id}`);
  await page
    .getByRole('log', { name: 'Conversation' })
    .getByText('before-the-stop')
    .first()
    .waitFor({ timeout: TIMEOUT });
  await page.getByRole('button', { name: 'Continue on another runtime…' }).click();
  return page.getByRole('combobox', { name: /^Continue on/ });
}

/** Sends a message with the composer and waits for its command's output in the conversation. */
async function sendAndSee(page: Page, text: string, output: string): Promise<void> {
  await composerReady(page, TIMEOUT);
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.keyboard.press('Enter');
  await page.getByRole('log', { name: 'Conversation' }).getByText(output).first().waitFor({ timeout: TIMEOUT });
}

describe('a thread on a stopped runtime continues on another one, in Chromium', () => {
  it('offers "Continue on another runtime…", moves to the ready runtime picked, and the next message is answered there', {
    timeout: 180_000,
  }, async () => {
    // An idle window of 18 s: the first runtime stops while the test waits, the second stays up
    // while the test works with it.
    const bff = await spawnBff(['--data-dir', tempDir(), '--idle-timeout', '0.3']);
    const context = await newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(bff.signinLink);
    const { stopped, thread } = await threadOnAStoppedRuntime(page);
    const other = await shellRuntime(page, 'second');

    const chooser = await openChooser(page, bff, stopped, thread);
    expect(await chooser.locator('option').allInnerTexts()).toEqual(['second', 'A new runtime like this one']);
    if (SHOTS_DIR) await shootChooser(page, bff, stopped, thread);

    await chooser.selectOption({ label: 'second' });
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page
      .getByText('Continued on second; files of the previous workspace were not carried over.')
      .first()
      .waitFor({ timeout: TIMEOUT });
    expect(((await api(page, `/api/threads/${thread.id}`)).body as Thread).runtimeId).toBe(other.id);
    // The chat follows the thread to its new runtime.
    await page.waitForFunction((id) => new URL(location.href).searchParams.get('runtime') === id, other.id, {
      timeout: TIMEOUT,
    });

    // The second runtime's shell answers: its workspace is in its own folder.
    await sendAndSee(page, 'pwd', other.id);
    expect(errors).toEqual([]);
  });

  it('continues on "A new runtime like this one": same provider and agent, created, and answering the next message', {
    timeout: 180_000,
  }, async () => {
    const bff = await spawnBff(['--data-dir', tempDir(), '--idle-timeout', '0.2']);
    const context = await newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(bff.signinLink);
    const { stopped, thread } = await threadOnAStoppedRuntime(page);

    const chooser = await openChooser(page, bff, stopped, thread);
    // No other runtime can take work: the new one is the only choice.
    expect(await chooser.locator('option').allInnerTexts()).toEqual(['A new runtime like this one']);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page
      .getByText(/^Continued on .*; files of the previous workspace were not carried over\.$/)
      .first()
      .waitFor({
        timeout: 60_000,
      });

    const runtimes = ((await api(page, '/api/runtimes')).body as { runtimes: Runtime[] }).runtimes;
    const made = runtimes.find((r) => r.id !== stopped.id);
    expect(runtimes).toHaveLength(2);
    expect(made).toMatchObject({ provider: stopped.provider, agent: 'shell', status: 'ready' });
    expect(((await api(page, `/api/threads/${thread.id}`)).body as Thread).runtimeId).toBe(made!.id);

    await sendAndSee(page, 'pwd', made!.id);
    expect(errors).toEqual([]);
  });
});

/** The chooser open over the stopped runtime's thread at 1280 and 390 px, light and dark, as PNGs. */
async function shootChooser(page: Page, bff: BffProcess, runtime: Runtime, thread: Thread): Promise<void> {
  mkdirSync(SHOTS_DIR!, { recursive: true });
  const cookies = await page.context().cookies();
  for (const width of [1280, 390])
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await newContext({ viewport: { width, height: 800 }, colorScheme });
      await context.addCookies(cookies);
      const shot = await context.newPage();
      await openChooser(shot, bff, runtime, thread);
      await shot.screenshot({ path: join(SHOTS_DIR!, `chooser-${width}-${colorScheme}.png`) });
      await context.close();
    }
}
