import { html } from 'lit';
import { describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { deepQuery, fixture, resetPageAfterEach, waitFor } from '../../fixtures/harness.js';
import { readyRuntime, stoppedRuntime } from '../../fixtures/runtimes.js';
import { threads } from '../../fixtures/threads.js';
import type { RemoteChatElement } from '../remote-chat/remote-chat.js';
import '../remote-chat/define.js';
import './define.js';

resetPageAfterEach();

const search = () => new URL(location.href).searchParams;
/** An element of the chooser's shadow root. */
const inMove = <T extends Element>(chat: RemoteChatElement, selector: string) =>
  deepQuery(chat, 'rc-thread-move')?.shadowRoot?.querySelector<T>(selector) ?? null;
/** A thread of the stopped runtime, with a turn in it. */
const stuck = { ...threads[0]!, id: 'th_stuck', runtimeId: stoppedRuntime.id, title: 'Stuck on a stopped runtime' };

async function chatOnStoppedRuntime(width: string) {
  history.replaceState(null, '', `?runtime=${stoppedRuntime.id}&thread=${stuck.id}`);
  const bff = new FakeBff({
    latencyMs: 5,
    stepMs: 10,
    state: { runtimes: [readyRuntime, stoppedRuntime], threads: [stuck] },
  });
  const chat = await fixture<RemoteChatElement>(html`<remote-chat url-state .client=${bff.client()}></remote-chat>`, {
    width,
    height: '700px',
  });
  const open = await waitFor(() => inMove<HTMLButtonElement>(chat, '.open-button'), {
    what: '"Continue on another runtime…" under the stopped notice',
  });
  return { bff, chat, open };
}

describe('<rc-thread-move> in <remote-chat>', () => {
  it('continues a thread of a stopped runtime on a ready one, by keyboard, and the selection and URL follow', async () => {
    const { bff, chat, open } = await chatOnStoppedRuntime('1100px');
    expect(open.textContent).toContain('Continue on another runtime…');
    open.focus();
    await userEvent.keyboard('{Enter}');
    const select = await waitFor(() => inMove<HTMLSelectElement>(chat, 'select'), {
      what: 'the chooser',
    });
    // The ready runtime is offered first, then a new one like this; the focus is on the choice.
    expect([...select.options].map((o) => o.textContent?.trim())).toEqual([
      readyRuntime.name,
      'A new runtime like this one',
    ]);
    expect(select.matches(':focus')).toBe(true);
    expect(select.value).toBe(readyRuntime.id);
    await userEvent.keyboard('{Tab}{Enter}');

    await waitFor(() => bff.state.threads.find((t) => t.id === stuck.id)?.runtimeId === readyRuntime.id, {
      what: 'the move',
    });
    await waitFor(() => search().get('runtime') === readyRuntime.id, { what: 'the URL following the thread' });
    expect(search().get('thread')).toBe(stuck.id);
    expect(bff.state.threads.find((t) => t.id === stuck.id)?.runtimeId).toBe(readyRuntime.id);
    const list = chat.shadowRoot!.querySelector('rc-thread-list')!;
    await waitFor(() => list.getAttribute('value') === stuck.id, { what: 'the thread open on its new runtime' });
    // The notice is in the thread, and the message box takes messages again.
    await waitFor(
      () =>
        deepQuery(chat, 'rc-chat')?.shadowRoot?.textContent?.includes(
          `Continued on ${readyRuntime.name}; files of the previous workspace`,
        ),
      { what: 'the notice in the thread' },
    );
    await waitFor(() => deepQuery(chat, 'rc-composer')?.shadowRoot?.querySelector('textarea')?.disabled === false, {
      what: 'the message box enabled',
    });
    expect(deepQuery(chat, 'rc-thread-move')).toBeNull();
  });

  it('closes the chooser with Escape, back on its button, and fits a phone', async () => {
    const { chat, open } = await chatOnStoppedRuntime('390px');
    open.click();
    const select = await waitFor(() => inMove<HTMLSelectElement>(chat, 'select'), {
      what: 'the chooser',
    });
    const form = inMove<HTMLElement>(chat, 'form')!;
    expect(form.getBoundingClientRect().right).toBeLessThanOrEqual(390);
    select.focus();
    await userEvent.keyboard('{Escape}');
    const button = await waitFor(() => inMove<HTMLButtonElement>(chat, '.open-button'), {
      what: 'the button again',
    });
    await waitFor(() => button.matches(':focus'), { what: 'the focus back on the button' });
    expect(search().get('runtime')).toBe(stoppedRuntime.id);
  });
});
