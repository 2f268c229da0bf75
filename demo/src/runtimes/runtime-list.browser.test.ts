// The Runtimes page in Chromium, against the elements' fake BFF.
import axe from 'axe-core';
import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBff } from '../../../packages/chat-elements/src/fixtures/fake-bff.js';
import { cleanUp, fixture, waitFor } from '../../../packages/chat-elements/src/fixtures/harness.js';
import {
  failedRuntime,
  machineRuntime,
  pausedRuntime,
  readyRuntime,
  runtimes,
  signedOutConfig,
  startingRuntime,
  stoppedRuntime,
} from '../../../packages/chat-elements/src/fixtures/runtimes.js';
import type { PortalRuntimes } from './runtime-list.js';
import './define.js';

afterEach(cleanUp);

async function mount(bff: FakeBff, size?: { width: string; height: string }) {
  return fixture<PortalRuntimes>(html`<portal-runtimes .client=${bff.client()}></portal-runtimes>`, size);
}

const rows = (page: PortalRuntimes) => [...page.shadowRoot!.querySelectorAll<HTMLElement>('li.runtime')];
const rowOf = (page: PortalRuntimes, name: string) =>
  rows(page).find((row) => row.querySelector('.runtime-name')!.textContent === name)!;
/** A row's facts by their names. */
const facts = (row: HTMLElement) =>
  Object.fromEntries(
    [...row.querySelectorAll('dl div')].map((div) => [
      div.querySelector('dt')!.textContent,
      div.querySelector('dd')!.textContent!.replace(/\s+/g, ' ').trim(),
    ]),
  );
const dialogOf = (page: PortalRuntimes) => page.shadowRoot!.querySelector('dialog')!;

async function axeProblems(page: PortalRuntimes): Promise<string[]> {
  const { violations } = await axe.run(page, { resultTypes: ['violations'] });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
}

describe('<portal-runtimes>', () => {
  it('lists every runtime, newest first, with provider, status, repository, age, last activity and idle time', async () => {
    const page = await mount(new FakeBff({ latencyMs: 5, state: { runtimes } }));
    await waitFor(() => rows(page).length === runtimes.length, { what: 'the runtimes' });
    expect(rows(page).map((row) => row.querySelector('.runtime-name')!.textContent)).toEqual(
      [startingRuntime, readyRuntime, failedRuntime, pausedRuntime, machineRuntime, stoppedRuntime].map((r) => r.name),
    );
    expect(page.shadowRoot!.querySelector('#list-title')!.textContent!.trim()).toBe('6 runtimes, newest first');

    expect(facts(rowOf(page, readyRuntime.name))).toEqual({
      Provider: 'Local process',
      Repository: 'octo/notes-app@main',
      Created: '1 hour ago',
      'Last activity': '15 minutes ago',
      Idle: '15 min',
    });
    expect(rowOf(page, readyRuntime.name).querySelector('.id')!.textContent).toBe('Id rt_ready');
    // A paused runtime is idle too; a stopped one is not; a machine shows its own remote.
    expect(facts(rowOf(page, pausedRuntime.name))).toMatchObject({ Provider: 'E2B', Idle: '45 min' });
    expect(facts(rowOf(page, stoppedRuntime.name))).toMatchObject({ Repository: '—', Idle: '—' });
    expect(facts(rowOf(page, machineRuntime.name))).toMatchObject({
      Provider: 'Your machine · ada-laptop',
      Repository: 'git@github.com:octo/notes.git',
    });
    // Status in words beside its dot, the paused one a ring of its own.
    const paused = rowOf(page, pausedRuntime.name).querySelector<HTMLElement>('.status')!;
    expect(paused.textContent!.trim()).toBe('Paused');
    expect(getComputedStyle(paused.querySelector('.status-dot')!).boxShadow).toMatch(/inset/);
    expect(rowOf(page, readyRuntime.name).querySelector('time')!.getAttribute('datetime')).toBe(readyRuntime.createdAt);
    expect(await axeProblems(page)).toEqual([]);
  });

  it('deletes a runtime after a confirmation: busy while the server works, then gone, with focus on the list', async () => {
    const bff = new FakeBff({ latencyMs: 40, state: { runtimes } });
    const page = await mount(bff);
    await waitFor(() => rows(page).length === runtimes.length, { what: 'the runtimes' });
    const button = rowOf(page, readyRuntime.name).querySelector<HTMLButtonElement>('button.delete')!;
    expect(button.textContent!.replace(/\s+/g, ' ').trim()).toBe('Delete “notes-app”');

    // Cancel changes nothing.
    button.click();
    await page.updateComplete;
    const dialog = dialogOf(page);
    expect(dialog.open).toBe(true);
    expect(dialog.textContent!.replace(/\s+/g, ' ')).toContain(
      'Delete “notes-app”? Its sandbox is torn down, and its workspace, threads and log are deleted.',
    );
    [...dialog.querySelectorAll('button')].find((b) => b.textContent!.trim() === 'Cancel')!.click();
    expect(dialog.open).toBe(false);
    expect(bff.requests.filter((r) => r.startsWith('DELETE'))).toEqual([]);

    button.click();
    const confirm = [...dialog.querySelectorAll('button')].find((b) => b.textContent!.includes('Delete runtime'))!;
    confirm.click();
    await waitFor(() => confirm.getAttribute('aria-disabled') === 'true', { what: 'the busy button' });
    expect(confirm.querySelector('.spinner')).not.toBeNull();
    await waitFor(() => !dialog.open, { what: 'the delete' });
    expect(bff.requests).toContain(`DELETE /runtimes/${readyRuntime.id}`);
    await waitFor(() => rows(page).length === runtimes.length - 1, { what: 'the row to go' });
    expect(rows(page).some((row) => row.textContent!.includes('notes-app'))).toBe(false);
    expect(page.shadowRoot!.activeElement?.id).toBe('list-title');
    expect(page.shadowRoot!.querySelector('[role="status"]')!.textContent).toBe('Deleted “notes-app”.');
  });

  it('renames a runtime in a dialog, and the row says its new name', async () => {
    const bff = new FakeBff({ latencyMs: 5, state: { runtimes } });
    const page = await mount(bff);
    await waitFor(() => rows(page).length === runtimes.length, { what: 'the runtimes' });
    rowOf(page, readyRuntime.name).querySelector<HTMLButtonElement>('button.rename')!.click();
    await page.updateComplete;
    const dialog = page.shadowRoot!.querySelector<HTMLDialogElement>('dialog.rename-dialog')!;
    expect(dialog.open).toBe(true);
    expect(dialog.textContent).toContain(`Id ${readyRuntime.id}`);
    const input = dialog.querySelector('input')!;
    expect(input.value).toBe(readyRuntime.name);
    // Blank: the server refuses it, the dialog says why and stays.
    input.value = '   ';
    dialog.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    const alert = await waitFor(() => dialog.querySelector('[role="alert"]'), { what: 'the refusal' });
    expect(alert.textContent).toMatch(/^Could not rename the runtime: /);
    input.value = 'Build box';
    dialog.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitFor(() => !dialog.open, { what: 'the rename' });
    expect(rowOf(page, 'Build box')).toBeDefined();
    expect(page.shadowRoot!.querySelector('[role="status"]')!.textContent).toBe('Renamed “notes-app” to “Build box”.');
  });

  it('says when an idle sandbox stops, and starts a stopped one again', async () => {
    const bff = new FakeBff({ latencyMs: 5, stepMs: 10, state: { runtimes } });
    const page = await mount(bff);
    await waitFor(() => rows(page).length === runtimes.length, { what: 'the runtimes' });
    // Ready, used 15 minutes ago, in an hour's window.
    expect(rowOf(page, readyRuntime.name).querySelector('.idle-stop')!.textContent).toBe(
      'Stops after 1 h idle · in 45 min',
    );
    expect(rowOf(page, machineRuntime.name).querySelector('.idle-stop')).toBeNull();
    expect(rowOf(page, readyRuntime.name).querySelector('button.start-again')).toBeNull();
    rowOf(page, stoppedRuntime.name).querySelector<HTMLButtonElement>('button.start-again')!.click();
    await waitFor(() => bff.requests.includes(`POST /runtimes/${stoppedRuntime.id}/start`), { what: 'the start' });
    await waitFor(() => rowOf(page, stoppedRuntime.name).querySelector('.status')!.textContent!.trim() === 'Ready', {
      what: 'the runtime ready again',
    });
    expect(rowOf(page, stoppedRuntime.name).querySelector('button.start-again')).toBeNull();
  });

  it('says an idle sandbox on a platform that pauses is paused, not stopped', async () => {
    // The same ready runtime on E2B, whose provider says it pauses when idle.
    const cloud = { ...readyRuntime, id: 'rt_cloud', name: 'cloud box', provider: 'e2b' };
    const page = await mount(new FakeBff({ latencyMs: 5, state: { runtimes: [readyRuntime, cloud] } }));
    await waitFor(() => rows(page).length === 2, { what: 'the runtimes' });
    expect(rowOf(page, cloud.name).querySelector('.idle-stop')!.textContent).toBe('Pauses after 1 h idle · in 45 min');
    expect(rowOf(page, readyRuntime.name).querySelector('.idle-stop')!.textContent).toBe(
      'Stops after 1 h idle · in 45 min',
    );
  });

  it('says why a delete failed and keeps the runtime', async () => {
    const bff = new FakeBff({ latencyMs: 5, state: { runtimes } });
    const page = await mount(bff);
    await waitFor(() => rows(page).length === runtimes.length, { what: 'the runtimes' });
    rowOf(page, failedRuntime.name).querySelector<HTMLButtonElement>('button.delete')!.click();
    bff.goOffline();
    const dialog = dialogOf(page);
    [...dialog.querySelectorAll('button')].find((b) => b.textContent!.includes('Delete runtime'))!.click();
    const alert = await waitFor(() => dialog.querySelector('[role="alert"]'), { what: 'the error' });
    expect(alert.textContent).toMatch(/^Could not delete the runtime: /);
    expect(dialog.open).toBe(true);
    expect(rows(page)).toHaveLength(runtimes.length);
  });

  it('names the next step when there is no runtime yet, and says so when signed out', async () => {
    const empty = await mount(new FakeBff({ latencyMs: 5 }));
    await waitFor(() => empty.shadowRoot!.querySelector('.empty'), { what: 'the empty state' });
    const text = empty.shadowRoot!.querySelector('.empty')!.textContent!.replace(/\s+/g, ' ');
    expect(text).toContain('No runtimes yet.');
    expect(text).toContain('Start one in Chat: pick New, choose where it runs and press Create runtime.');
    expect(empty.shadowRoot!.querySelector<HTMLAnchorElement>('.empty a.button')!.getAttribute('href')).toBe('/');
    expect(await axeProblems(empty)).toEqual([]);

    const signedOut = await mount(new FakeBff({ latencyMs: 5, state: { config: signedOutConfig } }));
    await waitFor(() => signedOut.shadowRoot!.querySelector('.signed-out'), { what: 'the signed-out panel' });
    expect(signedOut.shadowRoot!.textContent).toContain("You're signed out");
  });

  it('stacks each runtime as a card on a phone', async () => {
    const page = await mount(new FakeBff({ latencyMs: 5, state: { runtimes } }), { width: '360px', height: '700px' });
    await waitFor(() => rows(page).length === runtimes.length, { what: 'the runtimes' });
    const row = rowOf(page, readyRuntime.name);
    const [name, button] = [row.querySelector('.runtime-name')!, row.querySelector('button.delete')!].map((e) =>
      e.getBoundingClientRect(),
    );
    expect(button!.top).toBeGreaterThan(name!.bottom);
    expect(row.scrollWidth).toBeLessThanOrEqual(row.clientWidth);
    expect(await axeProblems(page)).toEqual([]);
  });
});
