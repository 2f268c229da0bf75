import type { LogBody, LogEntry, Thread } from '@remote-chat/protocol';
import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, deepQuery, fixture, part, settle, waitFor } from '../../fixtures/harness.js';
import { logReady } from '../../fixtures/runtime-log.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { ago } from '../../fixtures/time.js';
import type { RemoteChatElement } from './remote-chat.js';
import './define.js';

afterEach(() => {
  cleanUp();
  sessionStorage.clear();
});

/** Twenty threads, a minute of activity apart. */
const manyThreads: Thread[] = Array.from({ length: 20 }, (_, i) => ({
  id: `th_many${i}`,
  runtimeId: readyRuntime.id,
  title: `Thread number ${i + 1}`,
  lastSeq: 3,
  createdAt: ago(100_000 + i),
  updatedAt: ago(60 * (i + 1)),
}));

/** The ready runtime's log, then 50 more entries: the link coming and going after restarts. */
function longLog(): LogEntry[] {
  const extra: LogBody[] = Array.from({ length: 50 }, (_, i) =>
    i % 2 === 0
      ? { kind: 'link', state: 'offline', detail: 'closed by peer (1006)' }
      : { kind: 'link', state: 'open', detail: 'Connected again after a restart.' },
  );
  const start = logReady.length;
  return [
    ...logReady,
    ...extra.map((body, i) => ({ runtimeId: readyRuntime.id, seq: start + i + 1, at: ago(50 - i), ...body })),
  ];
}

async function mount(width: string, height: string) {
  sessionStorage.setItem(
    'remote-chat:https://fake-bff.test:selection',
    JSON.stringify({ runtimeId: readyRuntime.id, threadId: manyThreads[0]!.id }),
  );
  const bff = new FakeBff({
    latencyMs: 5,
    state: { runtimes: [readyRuntime], threads: manyThreads, logs: { [readyRuntime.id]: longLog() } },
  });
  const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`, {
    width,
    height,
  });
  await waitFor(() => threadOptions(chat).length === 20, { what: 'the twenty threads' });
  await waitFor(() => (deepQuery(chat, 'rc-sandbox-log')?.shadowRoot?.textContent ?? '').includes('restart'), {
    what: 'the long log',
  });
  await settle(chat);
  return chat;
}

const threadOptions = (chat: RemoteChatElement) => [
  ...(chat.shadowRoot!.querySelector('rc-thread-list')?.shadowRoot?.querySelectorAll('[role="option"]') ?? []),
];

const box = (el: Element) => el.getBoundingClientRect();
const intersect = (a: DOMRect, b: DOMRect) =>
  a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom && a.width > 0 && b.width > 0;

/** The sidebar's headings and lists, each with the box it draws in (clipped to what scrolls it). */
function sidebarBoxes(chat: RemoteChatElement) {
  const threadList = chat.shadowRoot!.querySelector('rc-thread-list')!;
  const log = chat.shadowRoot!.querySelector('rc-sandbox-log')!;
  return {
    'threads heading': box(threadList.shadowRoot!.querySelector('.heading')!),
    'thread list': box(part(threadList, 'listbox')),
    'log heading': box(log.shadowRoot!.querySelector('.heading')!),
    // The log scrolls inside its own box: what shows of it is that box.
    log: box(log),
  };
}

function expectNoOverlap(boxes: Record<string, DOMRect>) {
  const names = Object.keys(boxes);
  for (const [i, a] of names.entries()) {
    for (const b of names.slice(i + 1)) {
      // The log's box holds its own heading.
      if (a === 'log heading' && b === 'log') continue;
      expect({ pair: `${a} / ${b}`, overlap: intersect(boxes[a]!, boxes[b]!) }).toEqual({
        pair: `${a} / ${b}`,
        overlap: false,
      });
    }
  }
}

describe('the sidebar of <remote-chat> with 20 threads and a long sandbox log', () => {
  it('keeps headings and lists apart at 1280×800, with at least five threads in view', async () => {
    const chat = await mount('1280px', '800px');
    const boxes = sidebarBoxes(chat);
    expectNoOverlap(boxes);
    const listbox = boxes['thread list'];
    const inView = threadOptions(chat).filter((option) => {
      const r = box(option);
      return r.top >= listbox.top - 1 && r.bottom <= listbox.bottom + 1;
    });
    expect(inView.length).toBeGreaterThanOrEqual(5);
    // Everything stays inside the sidebar.
    const sidebar = box(part(chat, 'sidebar'));
    for (const r of Object.values(boxes)) expect(r.bottom).toBeLessThanOrEqual(sidebar.bottom + 1);
  });

  it('keeps headings and lists apart in the drawer at 390 px', async () => {
    const chat = await mount('390px', '760px');
    chat.shadowRoot!.querySelector<HTMLButtonElement>('.sidebar-toggle')!.click();
    await settle(chat);
    await waitFor(() => getComputedStyle(part(chat, 'sidebar')).visibility === 'visible', { what: 'the drawer' });
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 300)));
    const boxes = sidebarBoxes(chat);
    expectNoOverlap(boxes);
    expect(boxes['thread list'].height).toBeGreaterThan(150);
  });
});
