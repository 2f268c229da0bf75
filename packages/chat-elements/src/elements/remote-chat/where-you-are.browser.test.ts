import { html } from 'lit';
import { describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { FakeBff } from '../../fixtures/fake-bff.js';
import {
  cleanUp,
  deepQuery,
  fixture,
  part,
  resetPageAfterEach,
  settle,
  visibleText,
  waitFor,
} from '../../fixtures/harness.js';
import { logReady } from '../../fixtures/runtime-log.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { threads } from '../../fixtures/threads.js';
import type { RemoteChatElement } from './remote-chat.js';
import './define.js';

const pageUrl = resetPageAfterEach();

const started = threads.filter((t) => t.lastSeq > 0);

function bffWithThreads() {
  return new FakeBff({
    latencyMs: 5,
    state: { runtimes: [readyRuntime], threads: started, logs: { [readyRuntime.id]: logReady } },
  });
}

/** The element inside `chat` that has the focus, through shadow roots. */
function focused(chat: RemoteChatElement): Element | null {
  let active: Element | null = chat.shadowRoot!.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

const threadList = (chat: RemoteChatElement) => chat.shadowRoot!.querySelector('rc-thread-list')!;
const openThread = (chat: RemoteChatElement) => threadList(chat).getAttribute('value') ?? '';
const search = () => new URL(location.href).searchParams;

describe('<remote-chat> for a first-time user', () => {
  it('welcomes them, explains both kinds of runtime, and starts the first chat in one click', async () => {
    const bff = new FakeBff({ latencyMs: 5, stepMs: 20 });
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`, {
      width: '1100px',
      height: '700px',
    });
    const welcome = await waitFor(() => deepQuery(chat, 'rc-welcome')?.shadowRoot?.querySelector('.base'), {
      what: 'the welcome',
    });
    const text = visibleText(welcome);
    expect(text).toContain('Welcome to Remote Chat');
    expect(text).toContain('A sandbox here');
    expect(text).toContain('Your own machine');
    expect(text).toContain(`node remote-chat-runtime.js connect --url ${FakeBff.url}`);
    part(chat.shadowRoot!.querySelector('rc-welcome')!, 'start-button').click();
    await waitFor(() => openThread(chat).startsWith('th_'), { what: 'the first thread, open' });
    expect(bff.state.runtimes).toHaveLength(1);
    expect(bff.state.runtimes[0]!.provider).toBe('process');
    expect(bff.state.threads).toHaveLength(1);
    await waitFor(() => focused(chat)?.tagName === 'TEXTAREA', { what: 'the focus in the message box' });
    expect(deepQuery(chat, 'rc-welcome')).toBeNull();
  });

  it('says what to do next when no runtime is picked', async () => {
    const bff = new FakeBff({ latencyMs: 5, state: { runtimes: [readyRuntime], threads: started } });
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`);
    await waitFor(() => visibleText(chat).includes('No runtime picked'), { what: 'the empty state' });
    expect(visibleText(chat)).toContain('Pick one in the menu above');
    // No state dot or status above the composer while nothing is picked.
    const inner = chat.shadowRoot!.querySelector('rc-chat')!;
    expect(inner.shadowRoot!.querySelector('.state-dot')).toBeNull();
  });
});

describe('<remote-chat> and the keyboard', () => {
  it('moves the focus to the message box after New', async () => {
    sessionStorage.setItem(
      'remote-chat:https://fake-bff.test:selection',
      JSON.stringify({ runtimeId: readyRuntime.id, threadId: started[0]!.id }),
    );
    const bff = bffWithThreads();
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`, {
      width: '1100px',
      height: '700px',
    });
    await waitFor(() => openThread(chat) === started[0]!.id, { what: 'the remembered thread' });
    part(threadList(chat), 'new-button').click();
    await waitFor(() => bff.state.threads.length === started.length + 1, { what: 'the new thread' });
    await waitFor(() => focused(chat)?.tagName === 'TEXTAREA', { what: 'the focus in the message box' });
  });

  it('closes the open thread when it is archived, opening the newest other one; one opened from the archive stays', async () => {
    // The second most recent thread is open: archiving it opens the most recent one.
    sessionStorage.setItem(
      'remote-chat:https://fake-bff.test:selection',
      JSON.stringify({ runtimeId: readyRuntime.id, threadId: started[1]!.id }),
    );
    const bff = bffWithThreads();
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`, {
      width: '1100px',
      height: '700px',
    });
    await waitFor(() => openThread(chat) === started[1]!.id, { what: 'the remembered thread' });
    await settle(chat);
    part(threadList(chat), 'archive-button').click();
    await waitFor(() => openThread(chat) === started[0]!.id, { what: 'the newest other thread, open' });
    expect(bff.state.threads.find((t) => t.id === started[1]!.id)?.archivedAt).toBeTruthy();

    // Opened from "Show archived", an archived thread stays open.
    part<HTMLInputElement>(threadList(chat), 'show-archived').click();
    const archived = await waitFor(
      () =>
        [...threadList(chat).shadowRoot!.querySelectorAll<HTMLElement>('[role="option"]')].find((o) =>
          o.textContent?.includes('Archived'),
        ),
      { what: 'the archived thread listed' },
    );
    archived.click();
    await waitFor(() => openThread(chat) === started[1]!.id, { what: 'the archived thread, open' });
    await settle(chat);
    expect(openThread(chat)).toBe(started[1]!.id);
  });

  it('has a skip link first in the Tab order that goes to the message box', async () => {
    sessionStorage.setItem(
      'remote-chat:https://fake-bff.test:selection',
      JSON.stringify({ runtimeId: readyRuntime.id, threadId: started[0]!.id }),
    );
    const chat = await fixture<RemoteChatElement>(
      html`<div><button id="before">before</button><remote-chat .client=${bffWithThreads().client()}></remote-chat></div>`,
      { width: '1100px', height: '700px' },
    );
    const element = chat.querySelector('remote-chat') as RemoteChatElement;
    await waitFor(() => openThread(element) === started[0]!.id, { what: 'the thread' });
    await settle(element);
    chat.querySelector<HTMLButtonElement>('#before')!.focus();
    await userEvent.keyboard('{Tab}');
    const link = focused(element);
    expect(link?.textContent).toBe('Skip to message box');
    expect(link!.getBoundingClientRect().height).toBeGreaterThan(0);
    await userEvent.keyboard('{Enter}');
    await waitFor(() => focused(element)?.tagName === 'TEXTAREA', { what: 'the focus in the message box' });
    // Landmarks name the parts.
    expect(element.shadowRoot!.querySelector('[role="region"][aria-label="Chat"]')).not.toBeNull();
  });
});

describe('<remote-chat url-state>', () => {
  it('opens the thread a link names, and keeps the choice in the URL with history', async () => {
    history.replaceState(null, '', `?runtime=${readyRuntime.id}&thread=th_readme`);
    const bff = bffWithThreads();
    const chat = await fixture<RemoteChatElement>(html`<remote-chat url-state .client=${bff.client()}></remote-chat>`, {
      width: '1100px',
      height: '700px',
    });
    await waitFor(() => openThread(chat) === 'th_readme', { what: 'the linked thread' });
    const before = history.length;
    threadList(chat).shadowRoot!.querySelectorAll<HTMLElement>('[role="option"]')[0]!.click();
    await waitFor(() => search().get('thread') === 'th_tests', { what: 'the URL following the choice' });
    expect(search().get('runtime')).toBe(readyRuntime.id);
    expect(history.length).toBe(before + 1);
    history.back();
    await waitFor(() => openThread(chat) === 'th_readme', { what: 'Back to the linked thread' });
    history.forward();
    await waitFor(() => openThread(chat) === 'th_tests', { what: 'Forward again' });
  });

  it('says so when a link names a thread or runtime the user cannot see', async () => {
    history.replaceState(null, '', `?runtime=${readyRuntime.id}&thread=th_someone_elses`);
    const chat = await fixture<RemoteChatElement>(
      html`<remote-chat url-state .client=${bffWithThreads().client()}></remote-chat>`,
    );
    await waitFor(() => deepQuery(chat, '[part~="not-found"]'), { what: 'the not-found notice' });
    expect(visibleText(part(chat, 'not-found'))).toContain('The thread in this link was not found');
    cleanUp();

    history.replaceState(null, '', '?runtime=rt_gone&thread=th_gone');
    const other = await fixture<RemoteChatElement>(
      html`<remote-chat url-state .client=${bffWithThreads().client()}></remote-chat>`,
    );
    await waitFor(() => deepQuery(other, '[part~="not-found"]'), { what: 'the not-found notice' });
    expect(visibleText(part(other, 'not-found'))).toContain('The runtime in this link was not found');
    await waitFor(() => !search().has('runtime'), { what: 'the URL cleared' });
  });

  it('leaves the URL alone without url-state', async () => {
    sessionStorage.setItem(
      'remote-chat:https://fake-bff.test:selection',
      JSON.stringify({ runtimeId: readyRuntime.id, threadId: 'th_readme' }),
    );
    const chat = await fixture<RemoteChatElement>(
      html`<remote-chat .client=${bffWithThreads().client()}></remote-chat>`,
    );
    await waitFor(() => openThread(chat) === 'th_readme', { what: 'the remembered thread' });
    await settle(chat);
    expect(location.href).toBe(pageUrl());
  });
});
