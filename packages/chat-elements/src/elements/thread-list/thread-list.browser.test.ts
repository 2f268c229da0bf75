import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { RcThreadCreateEvent } from '../../events/thread-create-event.js';
import type { RcThreadRenameEvent } from '../../events/thread-rename-event.js';
import type { RcThreadSelectEvent } from '../../events/thread-select-event.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, part, recordEvents, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { threads } from '../../fixtures/threads.js';
import type { RcThreadList } from './thread-list.js';
import './define.js';

afterEach(cleanUp);

const mount = (value = threads[0]!.id) =>
  fixture<RcThreadList>(
    html`<rc-thread-list runtime-id="rt_ready" .threads=${threads} .value=${value}></rc-thread-list>`,
    {
      width: '300px',
      height: '400px',
    },
  );

const titles = (list: RcThreadList) =>
  [...list.shadowRoot!.querySelectorAll('.option .title')].map((t) => t.textContent);

describe('<rc-thread-list>', () => {
  it('lists the threads newest first and marks the open one', async () => {
    const list = await mount(threads[1]!.id);
    expect(titles(list)).toEqual([
      'Run the test suite',
      'Fix the README typos',
      'Which dependencies are outdated?',
      'New thread',
    ]);
    const selected = list.shadowRoot!.querySelector('[aria-selected="true"] .title');
    expect(selected?.textContent).toBe('Fix the README typos');
    expect(visibleText(list)).toMatch(/minutes? ago|hours? ago/);
  });

  it('moves with the arrow keys, Home and End, and opens a thread with Enter', async () => {
    const list = await mount();
    const selects = recordEvents<RcThreadSelectEvent>(list, 'rc-thread-select');
    const listbox = part(list, 'listbox');
    listbox.focus();
    await userEvent.keyboard('{ArrowDown}{ArrowDown}');
    await settle(list);
    expect(listbox.getAttribute('aria-activedescendant')).toMatch(/option-2$/);
    await userEvent.keyboard('{End}');
    await userEvent.keyboard('{Home}{ArrowDown}{Enter}');
    expect(selects).toHaveLength(1);
    expect(selects[0]!.detail.thread.id).toBe('th_readme');
    expect(list.value).toBe('th_readme');
  });

  it('renames a thread with F2, firing a cancelable rc-thread-rename', async () => {
    const list = await mount();
    const renames = recordEvents<RcThreadRenameEvent>(list, 'rc-thread-rename');
    part(list, 'listbox').focus();
    await userEvent.keyboard('{F2}');
    await settle(list);
    const input = part(list, 'rename-form').querySelector('input')!;
    expect(list.shadowRoot!.activeElement).toBe(input);
    expect(input.value).toBe('Run the test suite');
    await userEvent.keyboard('{Control>}a{/Control}Flaky sync test{Enter}');
    await settle(list);
    expect(renames).toHaveLength(1);
    expect(renames[0]!.detail).toMatchObject({ title: 'Flaky sync test' });
    expect(renames[0]!.cancelable).toBe(true);
    expect(titles(list)[0]).toBe('Flaky sync test');
  });

  it('leaves the title alone when renaming is cancelled with Escape', async () => {
    const list = await mount();
    part(list, 'rename-button').click();
    await settle(list);
    part(list, 'rename-form').querySelector('input')!.focus();
    await userEvent.keyboard('something else{Escape}');
    await settle(list);
    expect(list.shadowRoot!.querySelector('[part="rename-form"]')).toBeNull();
    expect(titles(list)[0]).toBe('Run the test suite');
  });

  it('creates, lists live and renames through a client', async () => {
    const started = threads.filter((t) => t.lastSeq > 0);
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads: started }, latencyMs: 5 });
    const list = await fixture<RcThreadList>(
      html`<rc-thread-list runtime-id="rt_ready" .client=${bff.client()}></rc-thread-list>`,
    );
    await waitFor(() => titles(list).length === 3, { what: 'the threads' });
    const creates = recordEvents<RcThreadCreateEvent>(list, 'rc-thread-create');
    const selects = recordEvents<RcThreadSelectEvent>(list, 'rc-thread-select');
    part(list, 'new-button').click();
    await waitFor(() => selects.length === 1, { what: 'the new thread' });
    expect(creates[0]!.detail.runtimeId).toBe('rt_ready');
    expect(titles(list)[0]).toBe('New thread');
    // Another tab sends its first message, which titles it, then renames it: the list follows both.
    const created = selects[0]!.detail.thread;
    const otherTab = bff.client();
    await otherTab.sendMessage(created.id, { text: 'ls -la' });
    await waitFor(() => titles(list)[0] === 'ls -la', { what: 'the title from the first message' });
    await otherTab.renameThread(created.id, 'Listing');
    await waitFor(() => titles(list)[0] === 'Listing', { what: 'the renamed title' });
  });

  it('renames a thread on the BFF with PATCH, and says so when that fails', async () => {
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads }, latencyMs: 5 });
    const list = await fixture<RcThreadList>(
      html`<rc-thread-list runtime-id="rt_ready" .client=${bff.client()}></rc-thread-list>`,
    );
    await waitFor(() => titles(list).length === 4, { what: 'the threads' });
    const renameTo = async (title: string) => {
      part(list, 'listbox').focus();
      await userEvent.keyboard('{F2}');
      await settle(list);
      await userEvent.keyboard(`{Control>}a{/Control}${title}{Enter}`);
    };
    const stored = () => bff.state.threads.find((t) => t.id === 'th_tests')?.title;

    await renameTo('Flaky sync test');
    await waitFor(() => titles(list)[0] === 'Flaky sync test', { what: 'the new title' });
    expect(bff.requests.filter((r) => r.startsWith('PATCH'))).toEqual(['PATCH /threads/th_tests']);
    expect(stored()).toBe('Flaky sync test');

    bff.goOffline();
    await renameTo('Never saved');
    await waitFor(() => visibleText(list).includes('Could not rename the thread'), { what: 'the error' });
    expect(stored()).toBe('Flaky sync test');
  });

  it('sends nothing when the host cancels rc-thread-rename, and shows the title it was given', async () => {
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads }, latencyMs: 5 });
    const list = await fixture<RcThreadList>(
      html`<rc-thread-list runtime-id="rt_ready" .client=${bff.client()}></rc-thread-list>`,
    );
    await waitFor(() => titles(list).length === 4, { what: 'the threads' });
    list.addEventListener('rc-thread-rename', (event) => event.preventDefault());
    part(list, 'listbox').focus();
    await userEvent.keyboard('{F2}');
    await settle(list);
    await userEvent.keyboard('{Control>}a{/Control}Host renames it{Enter}');
    await settle(list);
    expect(titles(list)[0]).toBe('Host renames it');
    // Everything the list asked, the BFF has answered: a rename request would be among it.
    await bff.settled();
    expect(bff.requests.filter((r) => !r.startsWith('GET'))).toEqual([]);
  });

  it('says what to do when there is no runtime, no thread, or an error', async () => {
    const none = await fixture<RcThreadList>(html`<rc-thread-list></rc-thread-list>`);
    expect(visibleText(none)).toContain('No runtime picked: pick or create one above');
    const empty = await fixture<RcThreadList>(html`<rc-thread-list runtime-id="rt_ready"></rc-thread-list>`);
    expect(visibleText(empty)).toContain('No threads yet. Press New to start one.');
  });

  it('sorts by last activity, not creation, and says so', async () => {
    // The oldest thread just had a message: it comes first.
    const revived = threads.map((t) => (t.id === 'th_deps' ? { ...t, updatedAt: new Date().toISOString() } : t));
    const list = await fixture<RcThreadList>(
      html`<rc-thread-list runtime-id="rt_ready" .threads=${revived}></rc-thread-list>`,
    );
    expect(titles(list)[0]).toBe('Which dependencies are outdated?');
    expect(visibleText(list)).toContain('Recent activity first');
  });

  it('reuses an empty thread on New rather than making another', async () => {
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads }, latencyMs: 5 });
    const list = await fixture<RcThreadList>(
      html`<rc-thread-list runtime-id="rt_ready" .client=${bff.client()}></rc-thread-list>`,
    );
    await waitFor(() => titles(list).length === 4, { what: 'the threads' });
    const selects = recordEvents<RcThreadSelectEvent>(list, 'rc-thread-select');
    part(list, 'new-button').click();
    await waitFor(() => selects.length === 1, { what: 'the empty thread, opened' });
    part(list, 'new-button').click();
    await waitFor(() => selects.length === 2, { what: 'the empty thread, opened again' });
    expect(selects.map((e) => [e.detail.thread.id, e.detail.fresh])).toEqual([
      ['th_first', true],
      ['th_first', true],
    ]);
    await bff.settled();
    expect(bff.requests.filter((r) => r.startsWith('POST'))).toEqual([]);
    expect(bff.state.threads).toHaveLength(4);
  });

  it('archives a thread out of the list, shows it behind "Show archived", and brings it back', async () => {
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads }, latencyMs: 5 });
    const list = await fixture<RcThreadList>(
      html`<rc-thread-list runtime-id="rt_ready" value="th_readme" .client=${bff.client()}></rc-thread-list>`,
    );
    await waitFor(() => titles(list).length === 4, { what: 'the threads' });
    expect(list.shadowRoot!.querySelector('[part="show-archived"]')).toBeNull();
    part(list, 'archive-button').click();
    await waitFor(() => titles(list).length === 3, { what: 'the archived thread gone from the list' });
    expect(titles(list)).not.toContain('Fix the README typos');
    expect(bff.state.threads.find((t) => t.id === 'th_readme')?.archivedAt).toEqual(expect.any(String));

    const toggle = part<HTMLInputElement>(list, 'show-archived');
    expect(visibleText(list)).toContain('Show archived (1)');
    toggle.click();
    await settle(list);
    expect(titles(list)).toContain('Fix the README typos');
    expect(visibleText(list)).toContain('Archived');
    // The open thread is the archived one: the button brings it back.
    expect(part(list, 'archive-button').textContent?.trim()).toBe('Unarchive');
    part(list, 'archive-button').click();
    await waitFor(() => bff.state.threads.find((t) => t.id === 'th_readme')?.archivedAt === null, {
      what: 'the thread unarchived on the BFF',
    });
  });

  it('deletes a thread only after the user confirms, and keeps it when they cancel', async () => {
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads }, latencyMs: 5 });
    const list = await fixture<RcThreadList>(
      html`<rc-thread-list runtime-id="rt_ready" value="th_readme" .client=${bff.client()}></rc-thread-list>`,
    );
    await waitFor(() => titles(list).length === 4, { what: 'the threads' });
    part(list, 'delete-button').click();
    await settle(list);
    const confirm = part(list, 'confirm-delete');
    expect(visibleText(confirm)).toContain('Delete “Fix the README typos” and its whole conversation?');
    // Focus starts on Cancel; Escape cancels.
    expect(list.shadowRoot!.activeElement?.textContent?.trim()).toBe('Cancel');
    await userEvent.keyboard('{Escape}');
    await settle(list);
    expect(list.shadowRoot!.querySelector('[part="confirm-delete"]')).toBeNull();
    expect(bff.requests.filter((r) => r.startsWith('DELETE'))).toEqual([]);

    part(list, 'delete-button').click();
    await settle(list);
    part(list, 'confirm-delete').querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitFor(() => titles(list).length === 3, { what: 'the thread gone' });
    expect(titles(list)).not.toContain('Fix the README typos');
    expect(bff.requests.filter((r) => r.startsWith('DELETE'))).toEqual(['DELETE /threads/th_readme']);
    expect(bff.state.threads.map((t) => t.id)).not.toContain('th_readme');
  });
});
