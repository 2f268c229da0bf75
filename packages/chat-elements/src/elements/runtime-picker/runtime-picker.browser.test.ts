import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { RcRuntimeCreateEvent } from '../../events/runtime-create-event.js';
import type { RcRuntimeSelectEvent } from '../../events/runtime-select-event.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, part, recordEvents, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { providers, readyRuntime, runtimes } from '../../fixtures/runtimes.js';
import type { RcRuntimePicker } from './runtime-picker.js';
import './define.js';

afterEach(cleanUp);

const mount = () =>
  fixture<RcRuntimePicker>(
    html`<rc-runtime-picker .runtimes=${runtimes} .providers=${providers} value=${readyRuntime.id}></rc-runtime-picker>`,
  );

describe('<rc-runtime-picker>', () => {
  it('lists each runtime with its name, repository, kind and a status dot', async () => {
    const picker = await mount();
    part(picker, 'combobox').click();
    await settle(picker);
    const options = [...part(picker, 'listbox').querySelectorAll('[role="option"]')];
    expect(options).toHaveLength(runtimes.length);
    const text = options.map((o) => o.textContent!.replace(/\s+/g, ' ').trim());
    expect(text.find((t) => t.includes('notes-app'))).toMatch(/Ready.*Sandbox.*process · octo\/notes-app@main/);
    expect(text.find((t) => t.startsWith('notes '))).toMatch(/Offline.*Local machine.*ada-laptop/);
    const dot = (name: string) =>
      options.find((o) => o.textContent!.includes(name))!.querySelector<HTMLElement>('.status-dot')!;
    const colour = (name: string) => getComputedStyle(dot(name)).backgroundColor;
    // Green, amber and grey are three different colours.
    expect(new Set([colour('notes-app'), colour('quick experiment'), colour('old spike')]).size).toBe(3);
    // The chosen one says its repository and branch too, to a screen reader and on hover.
    expect(part(picker, 'combobox').textContent).toContain('process · octo/notes-app@main');
  });

  it('picks a runtime with the keyboard and fires rc-runtime-select', async () => {
    const picker = await mount();
    const selects = recordEvents<RcRuntimeSelectEvent>(picker, 'rc-runtime-select');
    part(picker, 'combobox').focus();
    await userEvent.keyboard('{ArrowDown}');
    await settle(picker);
    expect(part(picker, 'combobox').getAttribute('aria-expanded')).toBe('true');
    await userEvent.keyboard('{ArrowDown}{Enter}');
    await settle(picker);
    expect(selects).toHaveLength(1);
    expect(selects[0]!.detail.runtime.id).toBe(picker.value);
    expect(part(picker, 'combobox').getAttribute('aria-expanded')).toBe('false');
    await userEvent.keyboard('{ArrowDown}{Escape}');
    await settle(picker);
    expect(part(picker, 'combobox').getAttribute('aria-expanded')).toBe('false');
  });

  it('lists the providers under New and fires a cancelable rc-runtime-create', async () => {
    const picker = await fixture<RcRuntimePicker>(
      html`<rc-runtime-picker mode="new" .providers=${providers} repo="octo/api"></rc-runtime-picker>`,
    );
    expect(visibleText(part(picker, 'providers'))).toContain('Local process');
    const creates = recordEvents<RcRuntimeCreateEvent>(picker, 'rc-runtime-create');
    picker.addEventListener('rc-runtime-create', (e) => e.preventDefault(), { once: true });
    part(picker, 'create-button').click();
    expect(creates).toHaveLength(1);
    expect(creates[0]!.detail.request).toEqual({ provider: 'process', repo: 'octo/api' });
  });

  it('creates a runtime through a client and follows its status live', async () => {
    const bff = new FakeBff({ latencyMs: 5, stepMs: 20 });
    const picker = await fixture<RcRuntimePicker>(
      html`<rc-runtime-picker mode="new" .providers=${providers} .client=${bff.client()}></rc-runtime-picker>`,
    );
    const selects = recordEvents<RcRuntimeSelectEvent>(picker, 'rc-runtime-select');
    part(picker, 'create-button').click();
    await waitFor(() => selects.length === 1, { what: 'the created runtime' });
    expect(picker.mode).toBe('existing');
    await waitFor(() => visibleText(part(picker, 'combobox')).length > 0 && picker.runtimes[0]?.status === 'ready', {
      what: 'ready',
    });
  });
});
