import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, deepQuery, fixture, part, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { logReady } from '../../fixtures/runtime-log.js';
import { readyRuntime, signedOutConfig } from '../../fixtures/runtimes.js';
import { conversation } from '../../fixtures/thread-events.js';
import { threads } from '../../fixtures/threads.js';
import type { RemoteChatElement } from './remote-chat.js';
import './define.js';

afterEach(() => {
  cleanUp();
  sessionStorage.clear();
});

function returningBff(runtime = readyRuntime) {
  sessionStorage.setItem(
    'remote-chat:https://fake-bff.test:selection',
    JSON.stringify({ runtimeId: readyRuntime.id, threadId: '' }),
  );
  return new FakeBff({
    latencyMs: 5,
    state: {
      runtimes: [runtime],
      threads: threads.map((t, i) => (i === 0 ? { ...t, lastSeq: conversation.length } : t)),
      logs: { [readyRuntime.id]: logReady },
      events: { th_tests: conversation },
    },
  });
}

async function mount(width: string, theme = '', runtime = readyRuntime) {
  const bff = returningBff(runtime);
  const chat = await fixture<RemoteChatElement>(
    html`<remote-chat theme=${theme} .client=${bff.client()}></remote-chat>`,
    {
      width,
      height: '700px',
    },
  );
  await waitFor(() => deepQuery(chat, '.message.agent'), { what: 'the conversation' });
  await settle(chat);
  return chat;
}

const visible = (el: Element) =>
  getComputedStyle(el).visibility !== 'hidden' &&
  getComputedStyle(el).display !== 'none' &&
  el.getBoundingClientRect().width > 0;

describe('<remote-chat>', () => {
  it('composes the elements on a desktop: the picked runtime, its threads and log beside the open thread', async () => {
    const chat = await mount('1100px');
    const sidebar = part(chat, 'sidebar');
    const main = part(chat, 'main');
    expect(visible(sidebar)).toBe(true);
    expect(sidebar.getBoundingClientRect().right).toBeLessThanOrEqual(main.getBoundingClientRect().left + 1);
    expect(visible(chat.shadowRoot!.querySelector('.sidebar-toggle')!)).toBe(false);
    expect(visibleText(chat)).toContain('notes-app');
    expect(visibleText(chat)).toContain('Run the test suite');
    expect(visibleText(chat)).toContain('Started in');
    expect(deepQuery(chat, '[part~="agent-picker"]')).not.toBeNull();
  });

  it('says in the sandbox log whether the idle window pauses the runtime or stops it, as its provider does', async () => {
    const summary = (chat: RemoteChatElement) =>
      deepQuery(chat, 'rc-sandbox-log')!.shadowRoot!.querySelector('.summary');
    // The local process provider cannot pause; E2B's does (`pausesWhenIdle` in the config).
    const local = await mount('1100px');
    expect(summary(local)!.textContent).toContain('Stops after 1 h idle · in 45 min');
    cleanUp();
    const cloud = await mount('1100px', '', { ...readyRuntime, provider: 'e2b' });
    expect(summary(cloud)!.textContent).toContain('Pauses after 1 h idle · in 45 min');
  });

  it('puts the threads and the log in a drawer on a phone, opened by the menu button and closed with Escape', async () => {
    const chat = await mount('360px');
    const sidebar = part(chat, 'sidebar');
    const toggle = chat.shadowRoot!.querySelector<HTMLButtonElement>('.sidebar-toggle')!;
    expect(visible(toggle)).toBe(true);
    expect(visible(sidebar)).toBe(false);
    toggle.click();
    await settle(chat);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(visible(sidebar)).toBe(true);
    expect(sidebar.getBoundingClientRect().width).toBeLessThan(360);
    await userEvent.keyboard('{Escape}');
    await settle(chat);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(chat.shadowRoot!.activeElement).toBe(toggle);
  });

  it('closes the drawer once a thread is picked on a phone', async () => {
    const chat = await mount('360px');
    chat.shadowRoot!.querySelector<HTMLButtonElement>('.sidebar-toggle')!.click();
    await settle(chat);
    const list = chat.shadowRoot!.querySelector('rc-thread-list')!;
    list.shadowRoot!.querySelectorAll<HTMLElement>('[role="option"]')[1]!.click();
    await settle(chat);
    expect(chat.shadowRoot!.querySelector('.sidebar-toggle')!.getAttribute('aria-expanded')).toBe('false');
  });

  it('does not break its layout at 320 px: nothing wider than the screen, the composer usable', async () => {
    const chat = await mount('320px');
    const base = part(chat, 'base');
    expect(base.scrollWidth).toBeLessThanOrEqual(base.clientWidth + 1);
    const inner = chat.shadowRoot!.querySelector('rc-chat')!;
    const transcript = inner.shadowRoot!.querySelector<HTMLElement>('.transcript')!;
    expect(transcript.scrollWidth).toBeLessThanOrEqual(transcript.clientWidth + 1);
    const box = part(inner, 'textarea');
    expect(box.getBoundingClientRect().width).toBeGreaterThan(150);
    expect(box.getBoundingClientRect().right).toBeLessThanOrEqual(320 + 1);
  });

  it('goes dark with theme="dark", for every element inside', async () => {
    const light = await mount('900px', 'light');
    const dark = await mount('900px', 'dark');
    const bg = (el: RemoteChatElement) =>
      getComputedStyle(el.shadowRoot!.querySelector('rc-chat')!.shadowRoot!.querySelector('.base')!).backgroundColor;
    const luminance = (rgb: string) =>
      rgb
        .match(/\d+/g)!
        .slice(0, 3)
        .reduce((sum, v) => sum + Number(v), 0);
    expect(luminance(bg(light))).toBeGreaterThan(600);
    expect(luminance(bg(dark))).toBeLessThan(150);
  });

  it('leaks no CSS into the page', async () => {
    const sheets = document.styleSheets.length;
    const before = getComputedStyle(document.body).font;
    await mount('900px');
    expect(document.styleSheets.length).toBe(sheets);
    expect(document.adoptedStyleSheets).toHaveLength(0);
    expect(getComputedStyle(document.body).font).toBe(before);
  });

  it('forgets a remembered runtime that no longer exists, and its thread', async () => {
    sessionStorage.setItem(
      'remote-chat:https://fake-bff.test:selection',
      JSON.stringify({ runtimeId: 'rt_gone', threadId: 'th_gone' }),
    );
    const bff = new FakeBff({ latencyMs: 5, state: { runtimes: [readyRuntime], threads } });
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`);
    await waitFor(() => visibleText(chat).includes('Choose a runtime'), { what: 'the empty runtime choice' });
    await waitFor(
      () =>
        sessionStorage.getItem('remote-chat:https://fake-bff.test:selection') ===
        JSON.stringify({ runtimeId: '', threadId: '' }),
      { what: 'the forgotten selection' },
    );
  });

  it('opens a new thread for a ready runtime that has none', async () => {
    sessionStorage.setItem(
      'remote-chat:https://fake-bff.test:selection',
      JSON.stringify({ runtimeId: readyRuntime.id, threadId: '' }),
    );
    const bff = new FakeBff({ latencyMs: 5, state: { runtimes: [readyRuntime], threads: [] } });
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`);
    const list = await waitFor(() => deepQuery(chat, 'rc-thread-list'), { what: 'the thread list' });
    await waitFor(() => list.getAttribute('value')?.startsWith('th_'), { what: 'the new thread, open' });
    await settle(chat);
    expect(bff.state.threads).toHaveLength(1);
    expect(list.getAttribute('value')).toBe(bff.state.threads[0]!.id);
  });

  it('tells a signed-out visitor how to sign in', async () => {
    const bff = new FakeBff({ latencyMs: 5, state: { config: signedOutConfig } });
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`);
    await waitFor(() => visibleText(chat).includes("You're signed out"), { what: 'the signed-out page' });
  });
});
