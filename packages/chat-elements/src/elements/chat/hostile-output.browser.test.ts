import { html } from 'lit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanUp, fixture, part, settle } from '../../fixtures/harness.js';
import { hostileBodies, hostileMarkdown, hostileTerminal } from '../../fixtures/hostile-outputs.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { threadEvents } from '../../fixtures/thread-events.js';
import type { RcChat } from './chat.js';
import './define.js';

declare global {
  interface Window {
    __rcPwned?: number;
  }
}

/** Elements an agent's text must never produce. */
const FORBIDDEN =
  'script, style, iframe, object, embed, svg, math, img, form, link, meta, base, template, noscript, body, details, textarea, select, video, audio, source';

let dialogs = 0;
const originals = { alert: window.alert, confirm: window.confirm, prompt: window.prompt };
const startUrl = location.href;
const startTitle = document.title;

beforeEach(() => {
  dialogs = 0;
  delete window.__rcPwned;
  const dialog = (): null => {
    dialogs++;
    return null;
  };
  window.alert = dialog;
  window.confirm = () => dialog() ?? false;
  window.prompt = dialog;
});

afterEach(() => {
  Object.assign(window, originals);
  cleanUp();
});

/**
 * Resolves once what the rendering scheduled has run: an image of the corpus's kind (`src=x`),
 * asked for after every image the transcript could hold, has failed to load (so their onerror
 * would have run), and a task has passed (timers of 0, `javascript:` navigations).
 */
async function afterScheduledWork(): Promise<void> {
  await new Promise<void>((resolve) => {
    const sentinel = new Image();
    sentinel.onerror = () => resolve();
    sentinel.onload = () => resolve();
    sentinel.src = 'x';
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
}

async function renderAll(): Promise<{ chat: RcChat; transcript: HTMLElement }> {
  const events = threadEvents('th_evil', hostileBodies());
  const chat = await fixture<RcChat>(
    html`<rc-chat thread-id="th_evil" .runtime=${readyRuntime} .events=${events}></rc-chat>`,
    // Tall enough that every row is rendered at once.
    { width: '900px', height: '40000px' },
  );
  // Open every card so that command output and the diff are rendered too.
  for (const card of chat.shadowRoot!.querySelectorAll<HTMLDetailsElement>('details.card'))
    if (!card.open) card.querySelector('summary')!.click();
  await settle(chat);
  await afterScheduledWork();
  return { chat, transcript: chat.shadowRoot!.querySelector<HTMLElement>('.transcript')! };
}

describe('hostile agent output', () => {
  it('has a corpus of at least 30 samples', () => {
    expect(hostileMarkdown.length + hostileTerminal.length).toBeGreaterThanOrEqual(30);
  });

  it('runs no script, opens no dialog and navigates nowhere', async () => {
    const { chat } = await renderAll();
    // Click every link and button the agent's text produced, as a curious user would.
    for (const link of chat.shadowRoot!.querySelectorAll<HTMLAnchorElement>('.transcript a')) {
      link.addEventListener('click', (e) => e.preventDefault(), { once: true });
      link.click();
    }
    await afterScheduledWork();
    expect(window.__rcPwned).toBeUndefined();
    expect(dialogs).toBe(0);
    expect(location.href).toBe(startUrl);
    expect(document.title).toBe(startTitle);
  });

  it('renders the dangerous markup as text, with no forbidden elements, no handlers and no styles', async () => {
    const { transcript } = await renderAll();
    // Inside what came from the agent (the cards around it are the element's own).
    const content = [
      ...transcript.querySelectorAll('.markdown, .terminal, .diff, .card-title, .message.user, .error-item'),
    ];
    expect(content.length).toBeGreaterThan(hostileMarkdown.length);
    for (const block of content) expect([...block.querySelectorAll(FORBIDDEN)].map((e) => e.localName)).toEqual([]);
    for (const el of transcript.querySelectorAll('*')) {
      for (const attr of el.attributes) expect(attr.name.startsWith('on'), `${el.localName}[${attr.name}]`).toBe(false);
      if (el.closest('.markdown')) expect(el.hasAttribute('style'), `${el.localName} has a style`).toBe(false);
    }
    // What was markup shows as the text the agent wrote.
    expect(transcript.textContent).toContain('<script>');
    expect(transcript.textContent).toContain('onerror=');
  });

  it('keeps only absolute http(s) and mailto links, opening in a new tab', async () => {
    const { transcript } = await renderAll();
    const links = [...transcript.querySelectorAll<HTMLAnchorElement>('a')];
    for (const link of links) {
      if (!link.hasAttribute('href')) continue;
      expect(link.protocol, link.outerHTML).toMatch(/^(https?|mailto):$/);
      expect(link.target).toBe('_blank');
      expect(link.rel).toContain('noopener');
    }
    // The tracking pixel is a link, never loaded as an image.
    expect(links.some((l) => l.href === 'https://tracker.example/pixel.gif?u=1')).toBe(true);
  });

  it('keeps every message inside its own row: nothing covers the page or the composer', async () => {
    const { chat, transcript } = await renderAll();
    for (const row of transcript.querySelectorAll<HTMLElement>('.row')) {
      const box = row.getBoundingClientRect();
      for (const el of row.querySelectorAll<HTMLElement>('*')) {
        const style = getComputedStyle(el);
        expect(['fixed', 'sticky'], el.outerHTML.slice(0, 80)).not.toContain(style.position);
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        expect(r.top, el.outerHTML.slice(0, 80)).toBeGreaterThanOrEqual(box.top - 1);
        expect(r.bottom, el.outerHTML.slice(0, 80)).toBeLessThanOrEqual(box.bottom + 1);
      }
    }
    // The composer is still there and usable.
    const box = part(chat, 'textarea');
    expect(getComputedStyle(box).display).not.toBe('none');
  });

  it('shows terminal output with no escape sequences and no links from OSC 8', async () => {
    const { transcript } = await renderAll();
    const terminal = transcript.querySelector<HTMLElement>('.card.tool .terminal')!;
    expect(terminal.textContent).not.toMatch(/[\u0000-\u0008\u001b\u007f]/);
    expect(terminal.querySelectorAll('a')).toHaveLength(0);
    expect(terminal.textContent).toContain('a link');
    expect(terminal.textContent).toContain('progress 100%');
    expect(terminal.textContent).not.toContain('progress 10%');
    // A bad true-colour escape sets no colour at all.
    for (const span of terminal.querySelectorAll<HTMLElement>('span[style]')) {
      expect(span.style.color || span.style.backgroundColor).toMatch(/^rgb\(\d+, \d+, \d+\)$/);
    }
  });
});
