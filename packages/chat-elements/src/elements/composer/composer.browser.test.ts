import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { RcFileUploadEvent } from '../../events/file-upload-event.js';
import type { RcMessageSendEvent } from '../../events/message-send-event.js';
import type { RcPendingChangeEvent } from '../../events/pending-change-event.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, part, recordEvents, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import {
  acpConfig,
  acpRuntime,
  ownLoginRuntime,
  readyRuntime,
  signedInConfig,
  startingRuntime,
} from '../../fixtures/runtimes.js';
import { threads } from '../../fixtures/threads.js';
import type { RcComposer } from './composer.js';
import './define.js';

afterEach(cleanUp);

/** A chat server with one thread of this id: each test its own, as unsent messages are kept across page loads. */
function fakeBff(threadId: string) {
  return new FakeBff({
    state: { runtimes: [readyRuntime], threads: [{ ...threads[0]!, id: threadId }], events: {} },
    latencyMs: 5,
  });
}

async function type(composer: RcComposer, keys: string) {
  part(composer, 'textarea').focus();
  await userEvent.keyboard(keys);
}

describe('<rc-composer> alone', () => {
  it('fires a cancelable rc-message-send on Enter, keeps Shift+Enter as a new line, and empties the box', async () => {
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_tests" .runtime=${readyRuntime}></rc-composer>`,
    );
    const sends = recordEvents<RcMessageSendEvent>(composer, 'rc-message-send');
    await type(composer, 'git status{Shift>}{Enter}{/Shift}git log');
    expect(sends).toHaveLength(0);
    await userEvent.keyboard('{Enter}');
    expect(sends).toHaveLength(1);
    expect(sends[0]!.detail).toMatchObject({ threadId: 'th_tests', text: 'git status\ngit log' });
    expect(sends[0]!.cancelable && sends[0]!.composed && sends[0]!.bubbles).toBe(true);
    await settle(composer);
    expect(part<HTMLTextAreaElement>(composer, 'textarea').value).toBe('');
  });

  it('sends through its client and announces the message on its way with rc-pending-change', async () => {
    const bff = fakeBff('th_pending');
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_pending" .runtime=${readyRuntime} .client=${bff.client()}></rc-composer>`,
    );
    const changes = recordEvents<RcPendingChangeEvent>(composer, 'rc-pending-change');
    await type(composer, 'echo hi{Enter}');
    await waitFor(() => changes.length > 0, { what: 'rc-pending-change' });
    expect(changes[0]!.detail.sent).toBe(true);
    expect(changes[0]!.detail.pending.map((m) => m.text)).toEqual(['echo hi']);
    // It stays inside whatever shadow root the composer is in.
    expect(changes[0]!.composed).toBe(false);
    await waitFor(() => composer.pending[0]?.state === 'sent', { what: 'the message sent' });
    expect(bff.messagePosts).toHaveLength(1);
    expect(changes.at(-1)!.detail.sent).toBe(false);
    // Once the thread shows it, it is no longer on its way.
    composer.confirmPending(() => true);
    await waitFor(() => changes.at(-1)!.detail.pending.length === 0, { what: 'the confirmation' });
  });

  it('leaves a message the host sends itself out of its outbox', async () => {
    const bff = fakeBff('th_host_sends');
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_host_sends" .runtime=${readyRuntime} .client=${bff.client()}></rc-composer>`,
    );
    composer.addEventListener('rc-message-send', (event) => event.preventDefault());
    const changes = recordEvents<RcPendingChangeEvent>(composer, 'rc-pending-change');
    await type(composer, 'echo mine{Enter}');
    await settle(composer);
    expect(composer.pending).toHaveLength(0);
    expect(changes).toHaveLength(0);
    expect(bff.messagePosts).toHaveLength(0);
  });

  it('takes a message the chat server refused back into the message box', async () => {
    const bff = fakeBff('th_there');
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_gone" .runtime=${readyRuntime} .client=${bff.client()}></rc-composer>`,
    );
    await type(composer, 'ls -la{Enter}');
    const failed = await waitFor(() => composer.pending.find((m) => m.state === 'failed'), { what: 'the refusal' });
    expect(failed.error).toContain('No such thread');
    composer.editPending(failed.clientId);
    await settle(composer);
    expect(composer.pending).toHaveLength(0);
    expect(part<HTMLTextAreaElement>(composer, 'textarea').value).toBe('ls -la');
  });

  it('is disabled, saying why, until the runtime is ready', async () => {
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_tests" .runtime=${startingRuntime}></rc-composer>`,
    );
    expect(part<HTMLTextAreaElement>(composer, 'textarea').disabled).toBe(true);
    expect(part<HTMLButtonElement>(composer, 'send-button').disabled).toBe(true);
    expect(visibleText(composer)).toContain('The runtime is starting');
    expect(composer.blockedReason).toContain('The runtime is starting');
  });

  it('offers the agents and fires rc-agent-change', async () => {
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_tests" .runtime=${readyRuntime} .agents=${signedInConfig.agents}></rc-composer>`,
    );
    const changes = recordEvents(composer, 'rc-agent-change');
    const picker = part<HTMLSelectElement>(composer, 'agent-picker');
    expect(picker.value).toBe('shell');
    picker.value = 'llm';
    picker.dispatchEvent(new Event('change'));
    expect(changes).toHaveLength(1);
    expect(composer.agent).toBe('llm');
  });

  it('fires rc-file-upload for a pasted file and lets the host upload it and insert the path', async () => {
    // A thread of its own: the draft typed here is kept.
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_upload" .runtime=${readyRuntime}></rc-composer>`,
    );
    const uploads = recordEvents<RcFileUploadEvent>(composer, 'rc-file-upload');
    composer.addEventListener('rc-file-upload', (event) => {
      event.preventDefault();
      composer.insertText(`uploads/${event.detail.file.name}`);
    });
    await type(composer, 'open');
    const data = new DataTransfer();
    data.items.add(new File(['x'], 'notes.txt', { type: 'text/plain' }));
    part(composer, 'textarea').dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
    );
    expect(uploads).toHaveLength(1);
    await settle(composer);
    expect(part<HTMLTextAreaElement>(composer, 'textarea').value).toBe('open uploads/notes.txt');
    expect(visibleText(composer)).not.toContain('Uploading');
  });
});

describe('<rc-composer> agent picker', () => {
  const options = (composer: RcComposer) =>
    [...part<HTMLSelectElement>(composer, 'agent-picker').options].map((o) => [o.value, o.text]);

  it("lists the selected runtime's agents: its own, the config's models, and its ACP agents by label", async () => {
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_tests" .runtime=${readyRuntime} .agents=${acpConfig.agents}></rc-composer>`,
    );
    // This runtime runs no ACP agent, though the config lists Claude Code.
    expect(options(composer).map(([id]) => id)).toEqual(['shell', 'llm', 'llm:gpt-4.1', 'llm:claude-sonnet-4']);

    composer.runtime = acpRuntime;
    await settle(composer);
    expect(options(composer)).toEqual([
      ['shell', 'Shell'],
      ['llm', 'GPT-4.1 (default)'],
      ['llm:gpt-4.1', 'GPT-4.1'],
      ['llm:claude-sonnet-4', 'Claude Sonnet 4'],
      ['claude', 'Claude Code'],
    ]);
  });

  it("says which agent uses the person's own login on their machine, and lists one the config does not", async () => {
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_tests" .runtime=${ownLoginRuntime} .agents=${acpConfig.agents}></rc-composer>`,
    );
    expect(options(composer).slice(-2)).toEqual([
      ['claude', 'Claude Code (your own login)'],
      ['codex', 'Codex'],
    ]);
    const claude = [...part<HTMLSelectElement>(composer, 'agent-picker').options].find((o) => o.value === 'claude')!;
    expect(claude.title).toMatch(/Uses your own login on this machine, not the server's models\.$/);
  });

  it("offers the config's agents while the runtime has not said which it runs", async () => {
    const composer = await fixture<RcComposer>(
      html`<rc-composer thread-id="th_tests" .runtime=${{ ...readyRuntime, agents: [] }} .agents=${acpConfig.agents}></rc-composer>`,
    );
    expect(options(composer).map(([id]) => id)).toEqual(acpConfig.agents.map((a) => a.id));
  });
});
