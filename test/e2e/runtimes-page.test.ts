// The portal's Runtimes page against a real BFF with real runtimes: both listed with their
// provider and status, one deleted (gone from the page and the chat's picker, its log saying it
// was torn down), and a second delete through the API changes nothing.
import { streamTopic, type LogEntry, type Runtime } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { spawnBff } from '../support/bff-process.js';
import { StreamClient } from '../support/bff.js';
import { newContext } from '../support/browser.js';
import { api, untilStatus } from '../support/page-api.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 30_000;

describe('the Runtimes page in Chromium', () => {
  it('lists two real runtimes with provider and status, deletes one (gone from the page and the picker, torn down in its log), a second delete is harmless, and the picker deletes the other', async () => {
    const bff = await spawnBff(['--data-dir', tempDir()]);
    const context = await newContext({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    const chat = await context.newPage();
    chat.on('pageerror', (error) => errors.push(error.message));
    await chat.goto(bff.signinLink);

    const sandbox = (await api(chat, '/api/runtimes', 'POST', { provider: 'bubblewrap', name: 'sandboxed' }))
      .body as Runtime;
    const plain = (await api(chat, '/api/runtimes', 'POST', { provider: 'process', name: 'plain' })).body as Runtime;
    await untilStatus(chat, sandbox.id);
    await untilStatus(chat, plain.id);

    // The chat follows the runtime that will be deleted, as someone working in it would.
    await chat.reload();
    const combobox = chat.getByRole('combobox', { name: 'Runtime' });
    await combobox.click();
    await chat.getByRole('option', { name: /plain/ }).click();

    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(bff.url);
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Runtimes' }).click();
    await page.getByRole('heading', { name: '2 runtimes, newest first' }).waitFor({ timeout: TIMEOUT });
    const row = (name: string) => page.getByRole('listitem', { name });
    expect((await row('sandboxed').innerText()).replace(/\s+/g, ' ')).toMatch(
      /sandboxed Ready Id rt_[\w-]+ Provider Local sandbox Repository — Created just now Last activity just now Idle under a minute/,
    );
    expect((await row('plain').innerText()).replace(/\s+/g, ' ')).toMatch(
      /plain Ready Id rt_[\w-]+ Provider Local process/,
    );

    // Its log, followed as the chat's sandbox log follows it.
    const cookies = await context.cookies(bff.url);
    const stream = await StreamClient.open(bff.url, cookies.map((c) => `${c.name}=${c.value}`).join('; '));
    const topic = streamTopic.runtimeLog(plain.id);
    stream.send({ type: 'subscribe', topic, after: 0 });
    await stream.until(() => stream.frames.some((f) => f.type === 'caught-up' && f.topic === topic), TIMEOUT);

    await row('plain').getByRole('button', { name: 'Delete “plain”' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “plain”?' });
    await dialog.getByRole('button', { name: 'Delete runtime' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: TIMEOUT });
    await page.getByRole('heading', { name: '1 runtime, newest first' }).waitFor({ timeout: TIMEOUT });
    expect(await row('plain').count()).toBe(0);
    expect(await row('sandboxed').count()).toBe(1);

    const said = () =>
      stream.frames.flatMap((f) => (f.type === 'log' && f.topic === topic ? [f.entry] : [])) as LogEntry[];
    await stream.until(() => said().some((e) => e.kind === 'status' && e.status === 'stopped'), TIMEOUT, 'teardown');
    expect(said().find((e) => e.kind === 'status' && e.status === 'stopped')).toMatchObject({
      detail: expect.stringMatching(/^Deleted: the sandbox was torn down \(Local process\)/),
    });

    // The chat's picker no longer offers it.
    await combobox.click();
    await chat.getByRole('option', { name: /sandboxed/ }).waitFor({ timeout: TIMEOUT });
    expect(await chat.getByRole('option', { name: /plain/ }).count()).toBe(0);

    // Deleting again: not found, and nothing else changes.
    expect((await api(page, `/api/runtimes/${plain.id}`, 'DELETE')).status).toBe(404);
    const left = (await api(page, '/api/runtimes')).body as { runtimes: Runtime[] };
    expect(left.runtimes.map((r) => [r.name, r.status])).toEqual([['sandboxed', 'ready']]);

    // The same from the picker: the highlighted runtime, Delete, confirmed; the page follows.
    await chat.getByRole('option', { name: /sandboxed/ }).hover();
    await chat.keyboard.press('Delete');
    const question = chat.getByRole('alertdialog', { name: 'Delete “sandboxed”?' });
    await question.getByRole('button', { name: 'Delete' }).click();
    await question.waitFor({ state: 'hidden', timeout: TIMEOUT });
    await page.getByText('No runtimes yet.').waitFor({ timeout: TIMEOUT });
    expect((await api(page, '/api/runtimes')).body).toEqual({ runtimes: [] });
    expect(bff.child.exitCode).toBeNull();
    expect(errors).toEqual([]);
  });

  it('renames a runtime on the page, and starts an idle-stopped one again in the same workspace, where its thread goes on', async () => {
    // An idle window of 6 s, so the runtime stops while the test waits.
    const bff = await spawnBff(['--data-dir', tempDir(), '--idle-timeout', '0.1']);
    const context = await newContext({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(bff.signinLink);

    const runtime = (await api(page, '/api/runtimes', 'POST', { provider: 'process' })).body as Runtime;
    // No name given: a short generated one, not the provider's.
    expect(runtime.name).toMatch(/^[a-z]+-[a-z]+$/);
    await untilStatus(page, runtime.id);
    const thread = (await api(page, `/api/runtimes/${runtime.id}/threads`, 'POST', {})).body as { id: string };
    const send = (text: string) =>
      api(page, `/api/threads/${thread.id}/messages`, 'POST', { clientId: `e2e-${Date.now()}-${text.length}`, text });
    const outputs = async () =>
      ((await api(page, `/api/threads/${thread.id}/events`)).body as { events: { kind: string; data?: string }[] })
        .events;
    await send('echo written-before-the-stop > kept.txt');
    await expect
      .poll(async () => (await outputs()).filter((e) => e.kind === 'tool.result').length, { timeout: TIMEOUT })
      .toBe(1);
    await untilStatus(page, runtime.id, 'stopped', TIMEOUT);

    await page.goto(`${bff.url}/runtimes/`);
    const row = (name: string) => page.getByRole('listitem', { name });
    await row(runtime.name).waitFor({ timeout: TIMEOUT });

    await row(runtime.name)
      .getByRole('button', { name: `Rename “${runtime.name}”` })
      .click();
    const rename = page.getByRole('dialog', { name: `Rename “${runtime.name}”` });
    await rename.getByRole('textbox', { name: 'New name' }).fill('  scratch pad  ');
    await rename.getByRole('button', { name: 'Save' }).click();
    await rename.waitFor({ state: 'hidden', timeout: TIMEOUT });
    await row('scratch pad').waitFor({ timeout: TIMEOUT });
    expect(((await api(page, `/api/runtimes/${runtime.id}`)).body as Runtime).name).toBe('scratch pad');

    await row('scratch pad').getByRole('button', { name: 'Start again “scratch pad”' }).click();
    await expect
      .poll(async () => (await row('scratch pad').locator('.status').innerText()).trim(), { timeout: TIMEOUT })
      .toBe('Ready');
    expect(
      await row('scratch pad')
        .getByRole('button', { name: /Start again/ })
        .count(),
    ).toBe(0);

    // The same workspace: the file is still there, and the thread goes on.
    await send('cat kept.txt');
    await expect
      .poll(async () => (await outputs()).filter((e) => e.kind === 'tool.result').length, { timeout: TIMEOUT })
      .toBe(2);
    const printed = (await outputs())
      .filter((e) => e.kind === 'tool.output')
      .map((e) => e.data)
      .join('');
    expect(printed).toContain('written-before-the-stop');

    await row('scratch pad').getByRole('button', { name: 'Delete “scratch pad”' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “scratch pad”?' });
    await dialog.getByRole('button', { name: 'Delete runtime' }).click();
    await page.getByText('No runtimes yet.').waitFor({ timeout: TIMEOUT });
    expect(errors).toEqual([]);
  });
});
