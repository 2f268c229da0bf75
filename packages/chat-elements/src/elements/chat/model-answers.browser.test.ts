// What the chat shows of a model's answers: which model answered, the tokens it took, the
// thread's total; and the agent picker choosing who answers the next message, mid-thread.
import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { ThreadEvent } from '@remote-chat/protocol';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, part, settle, waitFor } from '../../fixtures/harness.js';
import { readyRuntime, signedInConfig } from '../../fixtures/runtimes.js';
import { conversationBodies, threadEvents } from '../../fixtures/thread-events.js';
import { threads } from '../../fixtures/threads.js';
import type { RcChat } from './chat.js';
import './define.js';

afterEach(cleanUp);

const metas = (chat: RcChat) => [...chat.shadowRoot!.querySelectorAll<HTMLElement>('.answer-meta')];
const threadTokens = (chat: RcChat) => chat.shadowRoot!.querySelector<HTMLElement>('[part="thread-tokens"]');
/** Text as a sighted user reads it: without what is there for screen readers alone. */
function seen(element: Element): string {
  const copy = element.cloneNode(true) as Element;
  for (const hidden of copy.querySelectorAll('.visually-hidden')) hidden.remove();
  return copy.textContent!.replace(/\s+/g, ' ').trim();
}

/** A chat following a thread of the fake BFF, live. */
async function liveChat(threadId: string, events: ThreadEvent[] = []) {
  const bff = new FakeBff({
    state: {
      runtimes: [readyRuntime],
      threads: [{ ...threads[0]!, id: threadId, lastSeq: events.length }],
      events: { [threadId]: events },
    },
    latencyMs: 5,
  });
  const chat = await fixture<RcChat>(
    html`<rc-chat thread-id=${threadId} .runtime=${readyRuntime} .client=${bff.client()} .agents=${signedInConfig.agents}></rc-chat>`,
  );
  await waitFor(() => (chat as unknown as { feed: { status: string } }).feed.status === 'live', { what: 'live' });
  return { bff, chat };
}

describe('<rc-chat> model answers', () => {
  it("shows under an answer the model's label and its tokens, exact in the title", async () => {
    const events = threadEvents('th_tests', [
      { kind: 'message.user', clientId: 'a1a2b3c4d5e6f7a8', text: 'Why?', agent: 'llm:claude-sonnet-4' },
      {
        kind: 'message.agent',
        messageId: 'm1',
        agent: 'llm:claude-sonnet-4',
        text: 'Because.',
        model: 'claude-sonnet-4',
        usage: { inputTokens: 12_345, outputTokens: 56 },
      },
      { kind: 'message.agent', messageId: 'm2', agent: 'shell', text: 'A shell answer: no model.' },
      {
        kind: 'message.agent',
        messageId: 'm3',
        agent: 'llm:gone',
        text: 'From a model the config no longer lists.',
        model: '<img src=x onerror=alert(1)>',
        usage: { inputTokens: 900, outputTokens: 1_000_000 },
      },
    ]);
    const chat = await fixture<RcChat>(
      html`<rc-chat thread-id="th_tests" .runtime=${readyRuntime} .events=${events} .agents=${signedInConfig.agents}></rc-chat>`,
    );
    const [first, unlisted, ...more] = metas(chat);
    expect(more).toEqual([]);
    expect(seen(first!)).toBe('Claude Sonnet 4 · 12.3K in · 56 out');
    expect(first!.querySelector('.model')!.getAttribute('title')).toBe('claude-sonnet-4');
    expect(first!.querySelector('.tokens')!.getAttribute('title')).toBe('12,345 input tokens, 56 output tokens');
    // A screen reader hears what each figure is.
    expect(first!.textContent!.replace(/\s+/g, ' ')).toContain('Model: Claude Sonnet 4');
    // An id the config does not know is shown as it is, as text.
    expect(seen(unlisted!)).toBe('<img src=x onerror=alert(1)> · 900 in · 1M out');
    expect(unlisted!.querySelector('img')).toBeNull();
  });

  it('shows the label once the config arrives after the answer', async () => {
    const events = threadEvents('th_tests', [
      { kind: 'message.agent', messageId: 'm1', agent: 'llm', text: 'Hi.', model: 'gpt-4.1' },
    ]);
    const chat = await fixture<RcChat>(
      html`<rc-chat thread-id="th_tests" .runtime=${readyRuntime} .events=${events}></rc-chat>`,
    );
    expect(seen(metas(chat)[0]!)).toBe('gpt-4.1');
    chat.agents = signedInConfig.agents;
    await settle(chat);
    expect(seen(metas(chat)[0]!)).toBe('GPT-4.1');
  });

  it("sums the thread's tokens in the status line as answers arrive, counting a re-sent answer once", async () => {
    const { bff, chat } = await liveChat('th_total', threadEvents('th_total', [{ kind: 'status', state: 'idle' }]));
    // No model answers yet: no total.
    expect(threadTokens(chat)).toBeNull();
    const answer = (messageId: string, inputTokens: number, outputTokens: number) =>
      bff.publishEvent('th_total', {
        kind: 'message.agent',
        messageId,
        agent: 'llm',
        text: `Answer ${messageId}`,
        model: 'gpt-4.1',
        usage: { inputTokens, outputTokens },
      });
    answer('m1', 1_000, 20);
    await waitFor(() => threadTokens(chat)?.textContent === 'Thread: 1,000 in · 20 out', { what: 'the first total' });
    answer('m2', 8_500, 30);
    await waitFor(() => threadTokens(chat)?.textContent === 'Thread: 9,500 in · 50 out', { what: 'the sum' });
    answer('m2', 9_000, 35);
    await waitFor(() => threadTokens(chat)?.textContent === 'Thread: 10K in · 55 out', { what: 'm2 counted once' });
    expect(threadTokens(chat)!.title).toBe('This thread: 10,000 input tokens, 55 output tokens');
    // A user message, a command: the total stays.
    bff.publishEvent('th_total', { kind: 'status', state: 'running' });
    await settle(chat);
    expect(threadTokens(chat)?.textContent).toBe('Thread: 10K in · 55 out');
  });
});

describe('<rc-chat> agent picker', () => {
  it('lists every agent of the config by label, and the choice answers the next message, mid-thread', async () => {
    const { bff, chat } = await liveChat('th_picker', threadEvents('th_picker', conversationBodies));
    const picker = part<HTMLSelectElement>(chat, 'agent-picker');
    expect([...picker.options].map((o) => [o.value, o.text])).toEqual([
      ['shell', 'Shell'],
      ['llm', 'GPT-4.1 (default)'],
      ['llm:gpt-4.1', 'GPT-4.1'],
      ['llm:claude-sonnet-4', 'Claude Sonnet 4'],
    ]);
    expect(picker.value).toBe('shell');
    const sent = (text: string) =>
      waitFor(() => bff.state.events['th_picker']!.find((e) => e.kind === 'message.user' && e.text === text), {
        what: `“${text}” stored`,
      });

    part(chat, 'textarea').focus();
    await userEvent.keyboard('ls{Enter}');
    expect(await sent('ls')).toMatchObject({ agent: 'shell' });

    // By keyboard: the picker is a native select, chosen with the arrow keys.
    picker.focus();
    await userEvent.keyboard('{ArrowDown}{ArrowDown}{ArrowDown}');
    expect(chat.agent).toBe('llm:claude-sonnet-4');
    part(chat, 'textarea').focus();
    await userEvent.keyboard('Why did it fail?{Enter}');
    expect(await sent('Why did it fail?')).toMatchObject({ agent: 'llm:claude-sonnet-4' });
    // The fake answers as that model: its label shows under the answer.
    await waitFor(() => metas(chat).some((m) => seen(m).startsWith('Claude Sonnet 4 · ')), { what: 'the answer' });

    // Back to the shell for the message after.
    await userEvent.selectOptions(picker, 'shell');
    part(chat, 'textarea').focus();
    await userEvent.keyboard('pwd{Enter}');
    expect(await sent('pwd')).toMatchObject({ agent: 'shell' });
  });
});
