// What the chat shows of an ACP agent's work beyond messages and tools: its plan, and its
// permission requests, answered from any browser (the first answer wins, and every browser shows
// it), or denied by the timeout.
import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { ThreadEvent } from '@remote-chat/protocol';
import type { RcPermissionAnswerEvent } from '../../events/permission-answer-event.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, part, recordEvents, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { acpConfig, acpRuntime } from '../../fixtures/runtimes.js';
import {
  acpBodies,
  conversationAsking,
  conversationTimedOut,
  planBody,
  threadEvents,
} from '../../fixtures/thread-events.js';
import { threads } from '../../fixtures/threads.js';
import type { RcChat } from './chat.js';
import './define.js';

afterEach(cleanUp);

const cards = (chat: RcChat, kind: 'plan' | 'permission') => [
  ...chat.shadowRoot!.querySelectorAll<HTMLElement>(`[part~="${kind}"]`),
];
const card = (chat: RcChat, requestId = 'perm-1') =>
  chat.shadowRoot!.querySelector<HTMLElement>(`[part~="permission"][data-request-id="${requestId}"]`);
const buttons = (chat: RcChat) => [...(card(chat)?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
const button = (chat: RcChat, name: string) => {
  const found = buttons(chat).find((b) => b.textContent!.trim() === name);
  if (!found) throw new Error(`no "${name}" button`);
  return found;
};
const outcome = (chat: RcChat) =>
  card(chat)?.querySelector('[part="permission-outcome"]')?.textContent?.replace(/\s+/g, ' ').trim();

/** Two browsers' chats on one thread of the fake BFF, live. */
async function liveChats(events: ThreadEvent[], count = 1) {
  const bff = new FakeBff({
    state: {
      config: acpConfig,
      runtimes: [acpRuntime],
      threads: [{ ...threads[0]!, lastSeq: events.length }],
      events: { th_tests: events },
    },
    latencyMs: 5,
  });
  const chats: RcChat[] = [];
  for (let i = 0; i < count; i++) {
    const chat = await fixture<RcChat>(
      html`<rc-chat thread-id="th_tests" .runtime=${acpRuntime} .client=${bff.client()} .agents=${acpConfig.agents}></rc-chat>`,
      { width: '900px', height: '900px' },
    );
    await waitFor(() => (chat as unknown as { feed: { status: string } }).feed.status === 'live', { what: 'live' });
    chats.push(chat);
  }
  return { bff, chats };
}

describe('<rc-chat> plans', () => {
  it("shows the agent's plan as a checklist that each new plan of the turn replaces", async () => {
    const events = threadEvents('th_tests', [acpBodies[0]!, planBody(0), planBody(1)]);
    const chat = await fixture<RcChat>(
      html`<rc-chat thread-id="th_tests" .runtime=${acpRuntime} .events=${events}></rc-chat>`,
    );
    const [plan, ...more] = cards(chat, 'plan');
    expect(more).toEqual([]);
    const entries = [...plan!.querySelectorAll('li')].map((li) => [
      li.className.replace('plan-entry', '').trim(),
      visibleText(li),
    ]);
    expect(entries).toEqual([
      ['completed', '✓ Find where sync writes are flushed'],
      ['in-progress', '◐ Make `pushChanges` return the flush promise high'],
      ['pending', '○ Run the sync tests'],
    ]);
    // A screen reader hears each entry's status.
    expect(plan!.querySelector('li')!.textContent).toContain('(Done)');
    expect(plan!.getAttribute('aria-label')).toBe('Plan: 1 of 3 done');

    // A later turn's plan is that turn's own.
    chat.events = threadEvents('th_tests', [
      acpBodies[0]!,
      planBody(0),
      planBody(1),
      { kind: 'message.user', clientId: 'q1a2b3c4d5e6f7a8', text: 'Again', agent: 'claude' },
      planBody(3),
    ]);
    await settle(chat);
    expect(cards(chat, 'plan').map((p) => p.getAttribute('aria-label'))).toEqual([
      'Plan: 1 of 3 done',
      'Plan: 3 of 3 done',
    ]);
  });
});

describe('<rc-chat> permission requests', () => {
  it("shows the agent's question with its options as buttons, and says when it was denied after the time", async () => {
    const chat = await fixture<RcChat>(
      html`<rc-chat thread-id="th_tests" .runtime=${acpRuntime} .events=${conversationAsking}></rc-chat>`,
    );
    expect(card(chat)!.querySelector('.permission-title')!.textContent).toBe('Edit src/sync.ts');
    expect(buttons(chat).map((b) => [b.textContent!.trim(), b.dataset['kind']])).toEqual([
      ['Allow once', 'allow_once'],
      ['Always allow', 'allow_always'],
      ['Reject', 'reject_once'],
    ]);
    // The buttons are a group named by the question.
    const group = card(chat)!.querySelector('[role="group"]')!;
    expect(chat.shadowRoot!.getElementById(group.getAttribute('aria-labelledby')!)!.textContent).toBe(
      'Edit src/sync.ts',
    );

    chat.events = conversationTimedOut;
    await settle(chat);
    expect(buttons(chat)).toEqual([]);
    expect(outcome(chat)).toBe('✕ Denied: no one answered within 5 minutes.');
  });

  it('answers by keyboard through the client; the other browser shows the answer without a click', async () => {
    const { bff, chats } = await liveChats(conversationAsking, 2);
    const [here, there] = chats as [RcChat, RcChat];
    const fired = recordEvents<RcPermissionAnswerEvent>(here, 'rc-permission-answer');
    button(here, 'Allow once').focus();
    await userEvent.keyboard('{Enter}');
    await waitFor(() => outcome(here) === '✓ Allowed: Allow once.', { what: 'the outcome here' });
    await waitFor(() => outcome(there) === '✓ Allowed: Allow once.', { what: 'the outcome in the other browser' });
    expect(buttons(here)).toEqual([]);
    expect(buttons(there)).toEqual([]);
    expect(fired.map((e) => e.detail)).toEqual([{ threadId: 'th_tests', requestId: 'perm-1', optionId: 'allow' }]);
    const answers = bff.state.events['th_tests']!.filter((e) => e.kind === 'permission.answer');
    expect(answers).toMatchObject([{ requestId: 'perm-1', optionId: 'allow', by: 'user' }]);
  });

  it('shows the stored answer when another browser answered first', async () => {
    const { bff, chats } = await liveChats(conversationAsking);
    const chat = chats[0]!;
    // Once the chat has an event streamed, it is subscribed: what is stored from now on without
    // being streamed stays unseen.
    const { seq } = bff.publishEvent('th_tests', { kind: 'status', state: 'running' });
    await waitFor(() => (chat as unknown as { transcript: { lastSeq: number } }).transcript.lastSeq === seq, {
      what: 'the chat subscribed',
    });
    // Another browser's answer, stored but not yet streamed to this one.
    const list = bff.state.events['th_tests']!;
    list.push({
      threadId: 'th_tests',
      seq: list.length + 1,
      at: new Date().toISOString(),
      kind: 'permission.answer',
      requestId: 'perm-1',
      optionId: 'reject',
      by: 'user',
    });
    button(chat, 'Always allow').focus();
    await userEvent.keyboard(' ');
    await waitFor(() => outcome(chat) === '✕ Already answered. Denied: Reject.', { what: 'the stored answer' });
    expect(buttons(chat)).toEqual([]);
    expect(list.filter((e) => e.kind === 'permission.answer')).toHaveLength(1);
  });

  it('says clearly when the answer could not be sent, and keeps the buttons to try again', async () => {
    const { bff, chats } = await liveChats(conversationAsking);
    const chat = chats[0]!;
    bff.goOffline();
    await userEvent.click(button(chat, 'Reject'));
    const alert = await waitFor(() => card(chat)?.querySelector('[role="alert"]'), { what: 'the error' });
    expect(alert.textContent).toMatch(/^Your answer was not sent: /);
    expect(buttons(chat)).toHaveLength(3);

    bff.goOnline();
    await userEvent.click(button(chat, 'Reject'));
    await waitFor(() => outcome(chat) === '✕ Denied: Reject.', { what: 'the outcome' });
    expect(card(chat)!.querySelector('[role="alert"]')).toBeNull();
  });

  it("runs the fake BFF's ACP agent: a plan, a request, and the edit once allowed", async () => {
    const { chats } = await liveChats([]);
    const chat = chats[0]!;
    chat.agent = 'claude';
    await settle(chat);
    part(chat, 'textarea').focus();
    await userEvent.keyboard('Write it down{Enter}');
    await waitFor(() => card(chat), { what: 'the request' });
    expect(cards(chat, 'plan')[0]!.getAttribute('aria-label')).toBe('Plan: 1 of 3 done');
    await userEvent.click(buttons(chat)[0]!);
    await waitFor(() => chat.shadowRoot!.querySelector('[data-key^="file:"]'), { what: 'the edit' });
    await waitFor(() => cards(chat, 'plan')[0]!.getAttribute('aria-label') === 'Plan: 3 of 3 done', {
      what: 'the plan done',
    });
  });
});
