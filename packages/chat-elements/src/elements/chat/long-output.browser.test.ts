// A command's long output: the card shows its end, says how much is left out, shows more of it
// (read back from the thread's stored events) page by page, and saves the whole of it as a .txt.
// Long lines scroll sideways inside the card (on a phone too), and each card is one Tab stop.
import { html } from 'lit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { EventBody } from '@remote-chat/protocol';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, settle, waitFor } from '../../fixtures/harness.js';
import { LONG_OUTPUT_LINE, longOutputBodies } from '../../fixtures/long-output.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { threadEvents } from '../../fixtures/thread-events.js';
import { threads } from '../../fixtures/threads.js';
import type { RcChat } from './chat.js';
import './define.js';

afterEach(() => {
  vi.restoreAllMocks();
  cleanUp();
});

const longCommand = longOutputBodies();
/** The first command's output, its colour codes included. */
const TOTAL = longCommand
  .filter((body) => body.kind === 'tool.output' && body.callId === 'big')
  .reduce((sum, body) => sum + (body.kind === 'tool.output' ? body.data.length : 0), 0);
const LINE = LONG_OUTPUT_LINE;

async function liveChat(bodies: EventBody[], width = '900px') {
  const events = threadEvents('th_tests', bodies);
  const bff = new FakeBff({
    state: {
      runtimes: [readyRuntime],
      threads: [{ ...threads[0]!, runtimeId: readyRuntime.id, lastSeq: events.length }],
      events: { th_tests: events },
    },
    latencyMs: 5,
  });
  const chat = await fixture<RcChat>(
    html`<rc-chat thread-id="th_tests" .runtime=${readyRuntime} .client=${bff.client()}></rc-chat>`,
    { width, height: '900px' },
  );
  await waitFor(() => chat.shadowRoot!.querySelector('.card .terminal'), { what: 'the output' });
  return { bff, chat };
}

const terminal = (chat: RcChat) => chat.shadowRoot!.querySelector<HTMLElement>('.terminal')!;
const note = (chat: RcChat) =>
  chat.shadowRoot!.querySelector('.output-more .dropped')?.textContent?.replace(/\s+/g, ' ').trim();
const button = (chat: RcChat, name: RegExp) => {
  const found = [...chat.shadowRoot!.querySelectorAll<HTMLButtonElement>('.output-more button')].find((b) =>
    name.test(b.textContent!),
  );
  if (!found) throw new Error(`no ${name} button`);
  return found;
};

describe('<rc-chat> long output', () => {
  it('says how much is left out and shows more of it, page by page, read back from the store', async () => {
    const { bff, chat } = await liveChat(longCommand);
    expect(note(chat)).toBe(`${(TOTAL - 48_000).toLocaleString()} earlier characters not shown`);
    expect(terminal(chat).textContent).toContain('line 02999');
    expect(terminal(chat).textContent).not.toContain('line 00000');

    const before = bff.requests.length;
    await userEvent.click(button(chat, /Show 200,000 more/));
    await waitFor(() => note(chat) === `${(TOTAL - 248_000).toLocaleString()} earlier characters not shown`, {
      what: 'a page more',
    });
    // The start came from the store, from the command's call on.
    expect(bff.requests.slice(before)).toContain('GET /threads/th_tests/events');
    expect(terminal(chat).textContent).not.toContain('line 00000');

    await userEvent.click(button(chat, /Show 52,0\d\d more/));
    await waitFor(() => terminal(chat).textContent!.includes('line 00000'), { what: 'the whole output' });
    expect(chat.shadowRoot!.querySelector('.output-more')).toBeNull();
    // Colours survive, and nothing is shown twice.
    expect(terminal(chat).querySelector('.ansi-green-fg')?.textContent).toBe('line 00000 xxxxxxxxx');
    expect(terminal(chat).textContent!.length).toBe(TOTAL - '\u001b[32m\u001b[0m'.length);
  });

  it('saves the whole output as a .txt, without colour codes', async () => {
    const { chat } = await liveChat(longCommand);
    const saved: { name: string; href: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push({ name: this.download, href: this.href });
    });
    await userEvent.click(button(chat, /Download/));
    await waitFor(() => saved.length === 1, { what: 'the file saved' });
    expect(saved[0]!.name).toBe('output-seq-3000.txt');
    const text = await (await fetch(saved[0]!.href)).text();
    expect(text.length).toBe(TOTAL - '\u001b[32m\u001b[0m'.length);
    expect(text.startsWith('line 00000 x')).toBe(true);
    expect(text.trimEnd().endsWith(`line 02999 ${'x'.repeat(LINE - 12)}`)).toBe(true);
  });

  it('says so when the output cannot be read, and can try again', async () => {
    const { bff, chat } = await liveChat(longCommand);
    bff.goOffline();
    await userEvent.click(button(chat, /Show 200,000 more/));
    await waitFor(() => chat.shadowRoot!.querySelector('.output-error[role="alert"]'), { what: 'the error' });
    expect(chat.shadowRoot!.querySelector('.output-error')!.textContent).toMatch(/^Could not read the output: /);
    bff.goOnline();
    await userEvent.click(button(chat, /Show 200,000 more/));
    await waitFor(() => note(chat) === `${(TOTAL - 248_000).toLocaleString()} earlier characters not shown`, {
      what: 'a page more',
    });
    expect(chat.shadowRoot!.querySelector('.output-error')).toBeNull();
  });
});

const wide = `${'wide '.repeat(60)}end\n`;
const fourCommands: EventBody[] = [
  { kind: 'message.user', text: 'run four', clientId: 'c-four-1', agent: 'shell' },
  ...[1, 2, 3, 4].flatMap((n): EventBody[] => [
    { kind: 'tool.call', callId: `c${n}`, tool: 'terminal', title: `echo ${n}`, input: { command: `echo ${n}` } },
    { kind: 'tool.output', callId: `c${n}`, stream: 'stdout', data: wide.repeat(40) },
    { kind: 'tool.result', callId: `c${n}`, ok: true, exitCode: 0, signal: null, durationMs: 3 },
  ]),
];

/** What Tab stops at inside a card. */
const tabStops = (card: Element) =>
  [...card.querySelectorAll<HTMLElement>('summary, button, a[href], [tabindex]')].filter(
    (el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled,
  );

describe('<rc-chat> terminal cards', () => {
  it('scrolls long lines sideways inside the card on a phone, the page itself does not', async () => {
    const { chat } = await liveChat(fourCommands, '390px');
    const box = terminal(chat);
    expect(box.scrollWidth).toBeGreaterThan(box.clientWidth * 2);
    // One line is one line high: nothing wrapped.
    const lineHeight = Number.parseFloat(getComputedStyle(box).lineHeight);
    expect(box.scrollHeight).toBeGreaterThan(lineHeight * 40);
    expect(box.scrollHeight).toBeLessThan(lineHeight * 42 + 40);
    expect(chat.getBoundingClientRect().width).toBeLessThanOrEqual(390);
    expect(chat.shadowRoot!.querySelector<HTMLElement>('.transcript')!.scrollWidth).toBeLessThanOrEqual(390);
  });

  it('is one Tab stop: the output box where it scrolls (arrow keys scroll it, Enter closes the card), else the header', async () => {
    const short: EventBody[] = [
      { kind: 'tool.call', callId: 'short', tool: 'terminal', title: 'pwd', input: { command: 'pwd' } },
      { kind: 'tool.output', callId: 'short', stream: 'stdout', data: '/workspace\n' },
      { kind: 'tool.result', callId: 'short', ok: true, exitCode: 0, signal: null, durationMs: 3 },
    ];
    const { chat } = await liveChat([...fourCommands, ...short], '390px');
    const cards = [...chat.shadowRoot!.querySelectorAll('.card.tool')];
    expect(cards.length).toBeGreaterThan(1);
    await waitFor(() => cards.every((card) => tabStops(card).length === 1), { what: 'one stop per card' });
    const last = cards[cards.length - 1]!;
    expect(tabStops(last)[0]!.tagName).toBe('SUMMARY');

    const card = cards[cards.length - 2]!;
    const box = card.querySelector<HTMLElement>('.terminal')!;
    expect(tabStops(card)).toEqual([box]);
    box.focus();
    box.scrollTop = box.scrollHeight;
    await userEvent.keyboard('{ArrowRight}{ArrowRight}');
    await waitFor(() => box.scrollLeft >= 60, { what: 'scrolled right' });
    await userEvent.keyboard('{PageUp}');
    await waitFor(() => box.scrollTop < box.scrollHeight - box.clientHeight - 40, { what: 'scrolled up' });
    // Enter closes the card; its header has the focus, and is its stop.
    await userEvent.keyboard('{Enter}');
    await waitFor(() => !card.querySelector('.terminal'), { what: 'closed' });
    const summary = card.querySelector('summary')!;
    expect(chat.shadowRoot!.activeElement).toBe(summary);
    expect(tabStops(card)).toEqual([summary]);
    await userEvent.keyboard('{Enter}');
    await waitFor(() => card.querySelector('.terminal'), { what: 'open again' });
    await settle(chat);
    await waitFor(() => tabStops(card)[0] === card.querySelector('.terminal'), { what: 'the box is the stop again' });
  });
});
