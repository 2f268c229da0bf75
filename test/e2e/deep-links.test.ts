// The portal as a newcomer meets it, then as someone who comes back by a link: the one-click first
// chat, the selection in the address bar (reload, Back and Forward, another browser signed in as
// the same person), a link to something that is not theirs, and Sign out. Real BFF, real runtime,
// real Chromium.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnBff } from '../support/bff-process.js';
import { composerReady, newContext, newPage } from '../support/browser.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 30_000;

/** The conversation's text once it contains `text`. */
async function conversationWith(page: Page, text: string): Promise<string> {
  const conversation = page.getByRole('log', { name: 'Conversation' });
  await conversation.getByText(text, { exact: false }).first().waitFor({ timeout: TIMEOUT });
  return conversation.innerText();
}

/** The tag of the element that has the focus, through shadow roots. */
function focusedTag(page: Page): Promise<string> {
  return page.evaluate(() => {
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    return active?.tagName ?? '';
  });
}

const selection = (page: Page) => {
  const params = new URL(page.url()).searchParams;
  return { runtime: params.get('runtime'), thread: params.get('thread') };
};

describe('the portal keeps where you are in the address bar', () => {
  it('starts the first chat in one click, and a link to it survives a reload, another browser, Back and Forward, until Sign out', {
    timeout: 180_000,
  }, async () => {
    const dataDir = tempDir();
    const bff = await spawnBff(['--data-dir', dataDir]);
    const { page, errors } = await newPage({ viewport: { width: 1280, height: 800 } });

    // First run: the welcome, and one click to a thread with the cursor in the message box.
    await page.goto(bff.signinLink);
    await page.getByRole('heading', { name: 'Welcome to Remote Chat' }).waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Start your first chat' }).click();
    await composerReady(page, TIMEOUT);
    await page.waitForFunction(() => new URL(location.href).searchParams.has('thread'), undefined, {
      timeout: TIMEOUT,
    });
    expect(await focusedTag(page)).toBe('TEXTAREA');
    await page.keyboard.type('echo deep-link-marker');
    await page.keyboard.press('Enter');
    await conversationWith(page, 'deep-link-marker');
    const first = selection(page);
    expect(first.runtime).toMatch(/^rt_/);
    expect(first.thread).toMatch(/^th_/);
    const link = page.url();

    // A reload shows the same thread.
    await page.reload();
    await conversationWith(page, 'deep-link-marker');
    expect(selection(page)).toEqual(first);

    // Another browser, signed in as the same person, opens the link on that thread.
    const other = await newContext({ viewport: { width: 390, height: 800 } });
    await other.addCookies(await page.context().cookies());
    const phone = await other.newPage();
    await phone.goto(link);
    await conversationWith(phone, 'deep-link-marker');
    expect(selection(phone)).toEqual(first);

    // New is a history entry; Back and Forward move between the threads.
    const threadList = page.locator('rc-thread-list');
    await threadList.getByRole('button', { name: 'New thread' }).click();
    await page.waitForFunction((was) => new URL(location.href).searchParams.get('thread') !== was, first.thread, {
      timeout: TIMEOUT,
    });
    const second = selection(page);
    expect(second.runtime).toBe(first.runtime);
    await page.getByText('Start the conversation').waitFor({ timeout: TIMEOUT });
    await page.goBack();
    await conversationWith(page, 'deep-link-marker');
    expect(selection(page)).toEqual(first);
    await page.goForward();
    await page.getByText('Start the conversation').waitFor({ timeout: TIMEOUT });
    expect(selection(page)).toEqual(second);

    // A link to something that is not there says so, and nothing breaks.
    await page.goto(`${bff.url}/?runtime=rt_nonesuch&thread=th_nonesuch`);
    await page.getByText('The runtime in this link was not found').waitFor({ timeout: TIMEOUT });

    // Sign out ends the session, in this browser and the other.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: "You're signed out" }).waitFor({ timeout: TIMEOUT });
    await phone.reload();
    await phone.getByRole('heading', { name: "You're signed out" }).waitFor({ timeout: TIMEOUT });
    expect(errors).toEqual([]);
  });
});
