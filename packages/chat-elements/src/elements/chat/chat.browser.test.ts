import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { ThreadEvent } from '@remote-chat/protocol';
import type { RcAgentStopEvent } from '../../events/agent-stop-event.js';
import type { RcMessageSendEvent } from '../../events/message-send-event.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import {
  cleanUp,
  deepQueryAll,
  fixture,
  part,
  recordEvents,
  settle,
  visibleText,
  waitFor,
} from '../../fixtures/harness.js';
import { readyRuntime, startingRuntime } from '../../fixtures/runtimes.js';
import { conversation, conversationFailed, conversationRunning, threadEvents } from '../../fixtures/thread-events.js';
import { threads } from '../../fixtures/threads.js';
import { longThread } from '../../fixtures/long-thread.js';
import { keep } from '../../util/storage.js';
import type { RcChat } from './chat.js';
import './define.js';

afterEach(cleanUp);

const q = <T extends Element = HTMLElement>(chat: RcChat, selector: string) =>
  chat.shadowRoot!.querySelector<T>(selector);
const qa = <T extends Element = HTMLElement>(chat: RcChat, selector: string) => [
  ...chat.shadowRoot!.querySelectorAll<T>(selector),
];

function mount(events: ThreadEvent[], extra: Partial<RcChat> = {}) {
  return fixture<RcChat>(
    html`<rc-chat thread-id="th_tests" .runtime=${readyRuntime} .events=${events} .agents=${extra.agents ?? []}></rc-chat>`,
  );
}

describe('<rc-chat> shows a conversation', () => {
  it('shows the user message, the command card with its exit code and duration, the diff and the agent answer', async () => {
    const chat = await mount(conversation);
    const text = visibleText(chat);
    expect(text).toContain('ls -la');
    expect(text).toContain('Exit 0');
    expect(text).toContain('38 ms');
    const answer = q(chat, '.message.agent .markdown')!;
    expect(answer.querySelector('strong')?.textContent).toBe('two typos');
    expect(answer.querySelector('a')?.getAttribute('href')).toBe('https://example.com/docs');
    expect(answer.querySelector('a')?.getAttribute('target')).toBe('_blank');
    // The newest card (the README edit) is open; the diff marks lines and hides the file headers.
    const diff = q(chat, '.card.file .diff')!;
    expect(diff.querySelectorAll('.line.add')).toHaveLength(2);
    expect(diff.querySelectorAll('.line.del')).toHaveLength(2);
    expect(diff.textContent).not.toContain('+++');
    expect(diff.textContent).not.toContain('---');
    expect(q(chat, '.line.add')!.dataset['new']).toBe('3');
  });

  it('colours terminal output from its ANSI codes and shows no escape characters', async () => {
    const chat = await mount(conversationRunning);
    const terminal = q(chat, '.card.running .terminal')!;
    expect(terminal.textContent).not.toContain('\u001b');
    const green = terminal.querySelector('.ansi-green-fg');
    expect(green?.textContent).toBe('✓');
    expect(getComputedStyle(green!).color).not.toBe(getComputedStyle(terminal).color);
    expect(terminal.querySelector('.stderr')?.textContent).toContain('ExperimentalWarning');
  });

  it('folds a command card on click, keeps it folded, and unfolds it again', async () => {
    const chat = await mount(conversation);
    const first = q<HTMLDetailsElement>(chat, '.card.tool')!;
    expect(first.open).toBe(true);
    first.querySelector('summary')!.click();
    await settle(chat);
    expect(first.open).toBe(false);
    expect(first.querySelector('.terminal')).toBeNull();
    chat.requestUpdate();
    await settle(chat);
    expect(first.open).toBe(false);
    first.querySelector('summary')!.click();
    await settle(chat);
    expect(first.open).toBe(true);
    expect(first.querySelector('.terminal')?.textContent).toContain('README.md');
  });

  it('says Running and offers Stop while a command runs, and fires a cancelable rc-agent-stop', async () => {
    const chat = await mount(conversationRunning);
    expect(part(chat, 'status').textContent).toContain('Running…');
    const stops = recordEvents<RcAgentStopEvent>(chat, 'rc-agent-stop');
    part(chat, 'stop-button').click();
    expect(stops).toHaveLength(1);
    expect(stops[0]!.detail.threadId).toBe('th_tests');
    expect(stops[0]!.cancelable).toBe(true);
  });

  it('shows what the host said about the runtime as a note, not as an error', async () => {
    const said = 'The runtime was stopped after 60 minutes without activity: commands that were still running ended.';
    const chat = await mount(threadEvents('th_tests', [{ kind: 'status', state: 'idle', message: said }]));
    expect(q(chat, '.notice-item')?.textContent).toBe(said);
    expect(q(chat, '.error-item')).toBeNull();
  });

  it('shows a failed command and the agent error', async () => {
    const chat = await mount(conversationFailed);
    expect(visibleText(chat)).toContain('Exit 1');
    expect(q(chat, '.error-item')?.textContent).toContain('lost its connection');
    expect(part(chat, 'status').textContent).toContain('Stopped with an error');
  });

  it('explains why the composer is disabled while the runtime starts', async () => {
    const chat = await fixture<RcChat>(html`<rc-chat thread-id="th_1" .runtime=${startingRuntime}></rc-chat>`);
    expect(part<HTMLTextAreaElement>(chat, 'textarea').disabled).toBe(true);
    expect(visibleText(chat)).toContain('The runtime is starting');
  });

  it('says Idle only while a message can be sent: not under a stopped runtime, whose notice says why', async () => {
    const ready = await fixture<RcChat>(html`<rc-chat thread-id="th_1" .runtime=${readyRuntime}></rc-chat>`);
    expect(part(ready, 'status').textContent).toContain('Idle');
    const stopped = await fixture<RcChat>(
      html`<rc-chat thread-id="th_1" .runtime=${{ ...startingRuntime, status: 'stopped' }}></rc-chat>`,
    );
    expect(part(stopped, 'status').textContent).not.toContain('Idle');
    expect(visibleText(stopped)).toContain('This runtime is stopped');
  });

  it('shows how to start in an empty thread, and the next step with no thread or no runtime', async () => {
    const empty = await mount([]);
    expect(visibleText(empty)).toContain('Start the conversation');
    const none = await fixture<RcChat>(html`<rc-chat .runtime=${readyRuntime}></rc-chat>`);
    expect(visibleText(none)).toContain('No thread is open');
    expect(visibleText(none)).toContain('press New to start one');
    const noRuntime = await fixture<RcChat>(html`<rc-chat></rc-chat>`);
    expect(visibleText(noRuntime)).toContain('No runtime picked');
    expect(visibleText(noRuntime)).toContain('Pick one in the menu above');
    // With no thread the status line says nothing, and shows no state dot either.
    expect(none.shadowRoot!.querySelector('.state-dot')).toBeNull();
    expect(empty.shadowRoot!.querySelector('.state-dot')).not.toBeNull();
  });

  it('copies a code block with its Copy button', async () => {
    const events = threadEvents('th_tests', [
      { kind: 'message.agent', messageId: 'm1', agent: 'llm', text: 'Run:\n\n```sh\nnpm test -- --watch\n```\n' },
    ]);
    const chat = await mount(events);
    const copy = q<HTMLButtonElement>(chat, '.code-block button.copy')!;
    expect(q(chat, '.code-lang')!.textContent).toBe('sh');
    let copied = '';
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: async (t: string) => void (copied = t) },
    });
    copy.click();
    await waitFor(() => copy.textContent === 'Copied', { what: 'Copied' });
    expect(copied).toBe('npm test -- --watch');
  });
});

describe('<rc-chat> composer', () => {
  it('sends on Enter and starts a new line on Shift+Enter, firing rc-message-send with a client id', async () => {
    const chat = await mount(conversation);
    const sends = recordEvents<RcMessageSendEvent>(chat, 'rc-message-send');
    const box = part<HTMLTextAreaElement>(chat, 'textarea');
    box.focus();
    await userEvent.keyboard('echo one');
    await userEvent.keyboard('{Shift>}{Enter}{/Shift}');
    await userEvent.keyboard('echo two');
    expect(sends).toHaveLength(0);
    await userEvent.keyboard('{Enter}');
    expect(sends).toHaveLength(1);
    expect(sends[0]!.detail).toMatchObject({ threadId: 'th_tests', text: 'echo one\necho two' });
    expect(sends[0]!.detail.clientId).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    await settle(chat);
    expect(box.value).toBe('');
  });

  it('offers the agents to answer the next message and fires rc-agent-change', async () => {
    const agents = [
      { id: 'shell', label: 'Shell', description: '' },
      { id: 'llm', label: 'Assistant', description: '' },
    ];
    const chat = await mount(conversation, { agents });
    const picker = part<HTMLSelectElement>(chat, 'agent-picker');
    expect(picker.value).toBe('shell');
    const changes = recordEvents(chat, 'rc-agent-change');
    picker.value = 'llm';
    picker.dispatchEvent(new Event('change'));
    expect(changes).toHaveLength(1);
    expect(chat.agent).toBe('llm');
  });

  it("lets the page style the composer's parts through rc-chat::part()", async () => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(
      'rc-chat::part(textarea) { caret-color: rgb(1, 2, 3) } rc-chat::part(send-button) { color: rgb(4, 5, 6) }',
    );
    document.adoptedStyleSheets = [sheet];
    try {
      const chat = await mount(conversation);
      expect(getComputedStyle(part(chat, 'textarea')).caretColor).toBe('rgb(1, 2, 3)');
      expect(getComputedStyle(part(chat, 'send-button')).color).toBe('rgb(4, 5, 6)');
    } finally {
      document.adoptedStyleSheets = [];
    }
  });

  it('keeps the draft of each thread across a reload', async () => {
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads, events: {} }, latencyMs: 5 });
    const client = bff.client();
    const first = await fixture<RcChat>(
      html`<rc-chat thread-id="th_readme" .runtime=${readyRuntime} .client=${client}></rc-chat>`,
    );
    part<HTMLTextAreaElement>(first, 'textarea').focus();
    await userEvent.keyboard('half-written command');
    cleanUp(); // the tab goes away: the draft is written as the element leaves the page

    const again = await fixture<RcChat>(
      html`<rc-chat thread-id="th_readme" .runtime=${readyRuntime} .client=${bff.client()}></rc-chat>`,
    );
    await waitFor(() => part<HTMLTextAreaElement>(again, 'textarea').value === 'half-written command', {
      what: 'the draft',
    });
    const other = await fixture<RcChat>(
      html`<rc-chat thread-id="th_deps" .runtime=${readyRuntime} .client=${bff.client()}></rc-chat>`,
    );
    await settle(other);
    expect(part<HTMLTextAreaElement>(other, 'textarea').value).toBe('');
  });

  it('queues a message sent while offline and sends it once when the connection returns', async () => {
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads, events: {} }, latencyMs: 5 });
    const client = bff.client();
    const chat = await fixture<RcChat>(
      html`<rc-chat thread-id="th_first" .runtime=${readyRuntime} .client=${client}></rc-chat>`,
    );
    await waitFor(() => client.connectionStatus === 'open', { what: 'the stream' });
    bff.goOffline();
    await waitFor(() => client.connectionStatus === 'reconnecting', { what: 'the drop' });

    part<HTMLTextAreaElement>(chat, 'textarea').focus();
    await userEvent.keyboard('echo queued{Enter}');
    await waitFor(() => visibleText(chat).includes('Waiting for the connection'), { what: 'the queued note' });
    expect(visibleText(chat)).toContain('your message will be sent when the connection returns');
    expect(bff.messagePosts).toHaveLength(0);

    bff.goOnline();
    await waitFor(() => q(chat, '.row .message.user')?.textContent?.includes('echo queued'), {
      timeout: 10_000,
      what: 'the message in the thread',
    });
    // Nothing left to send, and every request answered: no other post is on its way.
    await waitFor(() => qa(chat, '.pending').length === 0, { what: 'the outbox to empty' });
    await bff.settled();
    const stored = bff.state.events['th_first']!.filter((e) => e.kind === 'message.user');
    expect(stored).toHaveLength(1);
    expect(new Set(bff.messagePosts).size).toBe(1);
    expect(qa(chat, '.pending')).toHaveLength(0);
  });

  it('shows everything it missed while offline, replayed in batches, once each and in order', async () => {
    const bff = new FakeBff({
      state: { runtimes: [readyRuntime], threads: [threads[0]!], events: { th_tests: longThread('th_tests', 12) } },
      latencyMs: 5,
    });
    const client = bff.client();
    const chat = await fixture<RcChat>(
      html`<rc-chat thread-id="th_tests" .runtime=${readyRuntime} .client=${client}></rc-chat>`,
      { width: '700px', height: '2000px' },
    );
    await waitFor(() => client.connectionStatus === 'open', { what: 'the stream' });
    bff.goOffline();
    await waitFor(() => client.connectionStatus === 'reconnecting', { what: 'the drop' });
    // More than the first batch holds, so the replay takes two `events` frames.
    const missed = 80;
    for (let i = 1; i <= missed; i++)
      bff.publishEvent('th_tests', {
        kind: 'message.user',
        clientId: `missed-${i}-xxxx`,
        text: `missed ${i}`,
        agent: 'shell',
      });
    bff.goOnline();
    await waitFor(() => visibleText(chat).includes(`missed ${missed}`), { timeout: 10_000, what: 'the replay' });
    // The transcript is windowed: the newest rows are in the page, each once and in order.
    const shown = (visibleText(chat).match(/missed \d+\b/g) ?? []).map((text) => Number(text.slice(7)));
    expect(shown.length).toBeGreaterThan(20);
    expect(shown).toEqual(Array.from({ length: shown.length }, (_, i) => missed - shown.length + 1 + i));
  });
});

/** A live 300-event thread, scrolled up from the bottom. */
async function scrolledUp() {
  const bff = new FakeBff({
    state: { runtimes: [readyRuntime], threads: [threads[0]!], events: { th_tests: longThread('th_tests', 300) } },
    latencyMs: 5,
  });
  const chat = await fixture<RcChat>(
    html`<rc-chat thread-id="th_tests" .runtime=${readyRuntime} .client=${bff.client()}></rc-chat>`,
    { width: '700px', height: '420px' },
  );
  await waitFor(() => (chat as unknown as { feed: { status: string } }).feed.status === 'live', { what: 'live' });
  await settle(chat);
  const scroller = part(chat, 'transcript');
  scroller.scrollTop = 200;
  scroller.dispatchEvent(new Event('scroll'));
  await settle(chat);
  return { bff, chat, scroller };
}

describe('<rc-chat> follows a thread live', () => {
  it('streams agent text in place, announces the finished message, and keeps to the bottom', async () => {
    const bff = new FakeBff({
      state: { runtimes: [readyRuntime], threads: [threads[0]!], events: { th_tests: conversation } },
      latencyMs: 5,
    });
    const chat = await fixture<RcChat>(
      html`<rc-chat thread-id="th_tests" .runtime=${readyRuntime} .client=${bff.client()}></rc-chat>`,
      { width: '700px', height: '420px' },
    );
    await waitFor(() => q(chat, '.message.agent'), { what: 'the history' });
    await waitFor(() => (chat as unknown as { feed: { status: string } }).feed.status === 'live', { what: 'live' });
    bff.publishEvent('th_tests', { kind: 'message.delta', messageId: 'm-2', text: 'Working on **it' });
    await waitFor(() => qa(chat, '.message.agent').length === 2, { what: 'the streamed message' });
    const streamed = qa(chat, '.message.agent')[1]!;
    const root = streamed.querySelector('.markdown')!;
    bff.publishEvent('th_tests', { kind: 'message.delta', messageId: 'm-2', text: '** now.' });
    await waitFor(() => root.querySelector('strong')?.textContent === 'it', { what: 'the bold text' });
    // The same DOM grew: nothing was torn down and rebuilt.
    expect(qa(chat, '.message.agent')[1]!.querySelector('.markdown')).toBe(root);
    bff.publishEvent('th_tests', {
      kind: 'message.agent',
      messageId: 'm-2',
      agent: 'llm',
      text: 'Working on **it** now.',
    });
    await waitFor(
      () =>
        chat
          .shadowRoot!.querySelector('[role="status"][aria-live="polite"]')
          ?.textContent?.includes('Agent: Working on'),
      {
        what: 'the announcement',
      },
    );
    const scroller = part(chat, 'transcript');
    expect(scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight).toBeLessThan(48);
  });

  it('stops following when the user scrolls up and offers Jump to latest', async () => {
    const { bff, chat, scroller } = await scrolledUp();
    const top = scroller.scrollTop;
    bff.publishEvent('th_tests', { kind: 'message.agent', messageId: 'late', agent: 'llm', text: 'A late answer.' });
    const jump = await waitFor(() => chat.shadowRoot!.querySelector<HTMLButtonElement>('[part="jump-button"].unseen'), {
      what: 'New messages',
    });
    expect(Math.abs(scroller.scrollTop - top)).toBeLessThan(2);
    jump.click();
    await settle(chat);
    await settle(chat);
    expect(scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight).toBeLessThan(48);
    expect(visibleText(chat)).toContain('A late answer.');
  });

  it('scrolls to the bottom when the user sends a message while scrolled up', async () => {
    const { chat, scroller } = await scrolledUp();
    part<HTMLTextAreaElement>(chat, 'textarea').focus();
    await userEvent.keyboard('echo back down{Enter}');
    await waitFor(() => visibleText(chat).includes('echo back down'), { what: 'the message' });
    await settle(chat);
    expect(scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight).toBeLessThan(48);
  });

  it('stays at the bottom while the message box grows line by line', async () => {
    const chat = await fixture<RcChat>(
      // A thread of its own: the draft typed here is kept.
      html`<rc-chat thread-id="th_growing" .runtime=${readyRuntime} .events=${longThread('th_growing', 300)}></rc-chat>`,
      { width: '700px', height: '420px' },
    );
    await settle(chat);
    const scroller = part(chat, 'transcript');
    const box = part<HTMLTextAreaElement>(chat, 'textarea');
    const height = scroller.clientHeight;
    box.focus();
    await userEvent.keyboard('one{Shift>}{Enter}{/Shift}two{Shift>}{Enter}{/Shift}three{Shift>}{Enter}{/Shift}four');
    await settle(chat);
    expect(scroller.clientHeight).toBeLessThan(height - 40);
    expect(scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight).toBeLessThan(2);
  });

  it('keeps a 10,000-event thread to a few hundred DOM nodes', async () => {
    const chat = await mount(longThread('th_tests', 10_000));
    await settle(chat);
    const nodes = deepQueryAll(chat, '*').length;
    expect(nodes).toBeLessThan(400);
    expect(visibleText(chat)).toContain('step 10000');
  });
});

// A draft saved by an earlier page of the same origin is read back.
describe('<rc-chat> storage', () => {
  it('reads a draft written before the element existed', async () => {
    await keep('draft:local:th_saved', 'from before');
    const chat = await fixture<RcChat>(html`<rc-chat thread-id="th_saved" .runtime=${readyRuntime}></rc-chat>`);
    await waitFor(() => part<HTMLTextAreaElement>(chat, 'textarea').value === 'from before', { what: 'the draft' });
  });
});
