import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import type { RcRuntimeCreateEvent } from '../../events/runtime-create-event.js';
import type { RcRuntimeDeleteEvent } from '../../events/runtime-delete-event.js';
import type { RcRuntimeRenameEvent } from '../../events/runtime-rename-event.js';
import type { RcRuntimeSelectEvent } from '../../events/runtime-select-event.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, part, recordEvents, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { pausedRuntime, providers, readyRuntime, runtimes, stoppedRuntime } from '../../fixtures/runtimes.js';
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
    // Paused has a dot of its own: a ring, not a fill, and said in words.
    expect(text.find((t) => t.includes('octo/site'))).toMatch(/Paused.*Sandbox.*e2b · octo\/site@main/);
    expect(colour('octo/site')).toBe('rgba(0, 0, 0, 0)');
    expect(getComputedStyle(dot('octo/site')).boxShadow).toMatch(/inset/);
    // The chosen one says its repository and branch too, to a screen reader and on hover.
    expect(part(picker, 'combobox').textContent).toContain('process · octo/notes-app@main');
  });

  it('lists the live runtimes first and the stopped and failed ones after them, under Stopped', async () => {
    const picker = await mount();
    part(picker, 'combobox').click();
    await settle(picker);
    const rows = [...part(picker, 'listbox').children].map((li) =>
      li.getAttribute('role') === 'option'
        ? li.querySelector('.option-name')!.textContent
        : `[${li.textContent!.trim()}]`,
    );
    expect(rows).toEqual(['quick experiment', 'notes-app', 'octo/site', 'notes', '[Stopped]', 'octo/api', 'old spike']);
    // Each says its id and age.
    const ready = [...part(picker, 'listbox').querySelectorAll('[role="option"]')].find((o) =>
      o.textContent!.includes('notes-app'),
    )!;
    expect(ready.querySelector('.option-id')!.textContent).toBe(`${readyRuntime.id} · created 1 hour ago`);
  });

  it('keeps the open list within a phone screen, without moving the page sideways', async () => {
    await page.viewport(390, 844);
    try {
      const picker = await fixture<RcRuntimePicker>(
        html`<rc-runtime-picker .runtimes=${runtimes} .providers=${providers} value=${readyRuntime.id}></rc-runtime-picker>`,
        { width: '374px', height: '600px' },
      );
      const before = document.documentElement.scrollWidth;
      part(picker, 'combobox').click();
      await settle(picker);
      const list = part(picker, 'listbox').getBoundingClientRect();
      expect(list.width).toBeGreaterThan(200);
      expect(list.left).toBeGreaterThanOrEqual(0);
      expect(list.right).toBeLessThanOrEqual(390);
      expect(document.documentElement.scrollWidth).toBe(before);
      expect(document.documentElement.scrollWidth).toBeLessThanOrEqual(390);
    } finally {
      await page.viewport(1024, 768);
    }
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

  describe('deleting a runtime', () => {
    /** A picker whose client reaches a fake BFF that holds the fixture runtimes. */
    async function mountWithBff() {
      const bff = new FakeBff({ latencyMs: 5, state: { runtimes } });
      const picker = await fixture<RcRuntimePicker>(
        html`<rc-runtime-picker .providers=${providers} .client=${bff.client()}></rc-runtime-picker>`,
      );
      await waitFor(() => picker.runtimes.length === runtimes.length, { what: 'the runtimes' });
      return { bff, picker };
    }
    const options = (picker: RcRuntimePicker) => [...part(picker, 'listbox').querySelectorAll('[role="option"]')];
    const optionOf = (picker: RcRuntimePicker, name: string) =>
      options(picker).find((o) => o.querySelector('.option-name')!.textContent === name)!;
    const confirm = (picker: RcRuntimePicker) =>
      picker.shadowRoot!.querySelector<HTMLElement>('[part="delete-confirm"]');
    const focused = (picker: RcRuntimePicker) => picker.shadowRoot!.activeElement;

    it("asks first from an option's × button, and Cancel or Escape deletes nothing", async () => {
      const { bff, picker } = await mountWithBff();
      part(picker, 'combobox').click();
      await settle(picker);
      optionOf(picker, 'old spike').querySelector<HTMLElement>('.option-delete')!.click();
      await settle(picker);
      // The list closes and the question takes its place, focus on Cancel.
      expect(part(picker, 'combobox').getAttribute('aria-expanded')).toBe('false');
      const dialog = confirm(picker)!;
      expect(dialog.getAttribute('role')).toBe('alertdialog');
      expect(dialog.textContent!.replace(/\s+/g, ' ')).toContain(
        'Delete “old spike”? It is torn down and its threads deleted.',
      );
      expect(focused(picker)?.textContent?.trim()).toBe('Cancel');
      await userEvent.keyboard('{Escape}');
      await settle(picker);
      expect(confirm(picker)).toBeNull();
      expect(focused(picker)).toBe(part(picker, 'combobox'));

      part(picker, 'combobox').click();
      await settle(picker);
      optionOf(picker, 'old spike').querySelector<HTMLElement>('.option-delete')!.click();
      await settle(picker);
      await userEvent.click(focused(picker)!);
      await settle(picker);
      expect(confirm(picker)).toBeNull();
      await bff.settled();
      expect(bff.requests.filter((r) => r.startsWith('DELETE'))).toEqual([]);
      expect(picker.runtimes).toHaveLength(runtimes.length);
    });

    it('deletes the highlighted runtime with the Delete key, through its client, and it leaves the list', async () => {
      const { bff, picker } = await mountWithBff();
      const deletes = recordEvents<RcRuntimeDeleteEvent>(picker, 'rc-runtime-delete');
      part(picker, 'combobox').focus();
      await userEvent.keyboard('{ArrowDown}');
      await settle(picker);
      // Newest first among the live ones: starting, ready, then the paused one.
      await userEvent.keyboard('{ArrowDown}{ArrowDown}');
      await settle(picker);
      const active = picker.shadowRoot!.querySelector('.option.active .option-name')!.textContent;
      expect(active).toBe(pausedRuntime.name);
      await userEvent.keyboard('{Delete}');
      await settle(picker);
      expect(confirm(picker)!.textContent).toContain(`Delete “${pausedRuntime.name}”?`);
      const deleteButton = [...confirm(picker)!.querySelectorAll('button')].find((b) =>
        b.textContent!.includes('Delete'),
      )!;
      deleteButton.click();
      await settle(picker);
      // Busy while the BFF works: a spinner, and the question stays.
      expect(deleteButton.getAttribute('aria-disabled')).toBe('true');
      expect(deleteButton.querySelector('.spinner')).not.toBeNull();
      await waitFor(() => confirm(picker) === null, { what: 'the delete to finish' });
      expect(deletes.map((e) => e.detail.runtime.id)).toEqual([pausedRuntime.id]);
      expect(bff.requests).toContain(`DELETE /runtimes/${pausedRuntime.id}`);
      expect(picker.runtimes.map((r) => r.id)).not.toContain(pausedRuntime.id);
      expect(bff.state.runtimes.map((r) => r.id)).not.toContain(pausedRuntime.id);
      expect(focused(picker)).toBe(part(picker, 'combobox'));
    });

    it('says why a delete failed and keeps the question open to try again', async () => {
      const { bff, picker } = await mountWithBff();
      part(picker, 'combobox').click();
      await settle(picker);
      optionOf(picker, stoppedRuntime.name).querySelector<HTMLElement>('.option-delete')!.click();
      await settle(picker);
      bff.goOffline();
      const deleteButton = () =>
        [...confirm(picker)!.querySelectorAll('button')].find((b) => b.textContent!.includes('Delete'))!;
      deleteButton().click();
      const alert = await waitFor(() => confirm(picker)?.querySelector('[role="alert"]'), { what: 'the error' });
      expect(alert.textContent).toMatch(/^Could not delete it: /);
      expect(deleteButton().getAttribute('aria-disabled')).toBe('false');
      expect(picker.runtimes.map((r) => r.id)).toContain(stoppedRuntime.id);

      bff.goOnline();
      deleteButton().click();
      await waitFor(() => confirm(picker) === null, { what: 'the retried delete' });
      expect(picker.runtimes.map((r) => r.id)).not.toContain(stoppedRuntime.id);
    });

    it('renames a runtime from its ✎ button or F2, through its client, and refuses an empty name', async () => {
      const { bff, picker } = await mountWithBff();
      const renames = recordEvents<RcRuntimeRenameEvent>(picker, 'rc-runtime-rename');
      part(picker, 'combobox').click();
      await settle(picker);
      optionOf(picker, readyRuntime.name).querySelector<HTMLElement>('.option-rename')!.click();
      await settle(picker);
      const form = part(picker, 'rename-form');
      const input = form.querySelector('input')!;
      expect(focused(picker)).toBe(input);
      expect(input.value).toBe(readyRuntime.name);
      expect(form.textContent).toContain(readyRuntime.id);
      await userEvent.keyboard('{Control>}a{/Control}  Build box  {Enter}');
      await waitFor(() => picker.shadowRoot!.querySelector('[part="rename-form"]') === null, { what: 'the rename' });
      expect(renames.map((e) => e.detail.name)).toEqual(['Build box']);
      expect(bff.requests).toContain(`PATCH /runtimes/${readyRuntime.id}`);
      expect(bff.state.runtimes.find((r) => r.id === readyRuntime.id)!.name).toBe('Build box');
      part(picker, 'combobox').click();
      await settle(picker);
      expect(optionOf(picker, 'Build box')).toBeDefined();

      // F2 on the highlighted one; a blank name is refused here, nothing sent (the field holds 60 at most).
      await userEvent.keyboard('{F2}');
      await settle(picker);
      expect(part(picker, 'rename-form').querySelector('input')!.maxLength).toBe(60);
      await userEvent.keyboard('{Control>}a{/Control}   {Enter}');
      await settle(picker);
      const alert = part(picker, 'rename-form').querySelector('[role="alert"]')!;
      expect(alert.textContent).toContain('1 to 60 characters');
      await bff.settled();
      expect(bff.requests.filter((r) => r.startsWith('PATCH'))).toHaveLength(1);
      await userEvent.keyboard('{Escape}');
      await settle(picker);
      expect(picker.shadowRoot!.querySelector('[part="rename-form"]')).toBeNull();
      expect(focused(picker)).toBe(part(picker, 'combobox'));
    });

    it('leaves the delete to the host that cancels rc-runtime-delete', async () => {
      const { bff, picker } = await mountWithBff();
      picker.addEventListener('rc-runtime-delete', (e) => e.preventDefault(), { once: true });
      part(picker, 'combobox').click();
      await settle(picker);
      optionOf(picker, readyRuntime.name).querySelector<HTMLElement>('.option-delete')!.click();
      await settle(picker);
      [...confirm(picker)!.querySelectorAll('button')].find((b) => b.textContent!.includes('Delete'))!.click();
      await settle(picker);
      expect(confirm(picker)).toBeNull();
      await bff.settled();
      expect(bff.requests.filter((r) => r.startsWith('DELETE'))).toEqual([]);
    });
  });
});
