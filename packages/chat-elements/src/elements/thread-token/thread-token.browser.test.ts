import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, deepQuery, fixture, settle, waitFor } from '../../fixtures/harness.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { threads } from '../../fixtures/threads.js';
import type { RemoteChatElement } from '../remote-chat/remote-chat.js';
import '../remote-chat/define.js';

afterEach(() => {
  cleanUp();
  sessionStorage.clear();
});

describe('<rc-thread-token> in the agent picker', () => {
  it('mints a thread token for the open thread and shows it once', async () => {
    sessionStorage.setItem(
      'remote-chat:https://fake-bff.test:selection',
      JSON.stringify({ runtimeId: readyRuntime.id, threadId: threads[0]!.id }),
    );
    const bff = new FakeBff({ latencyMs: 5, state: { runtimes: [readyRuntime], threads } });
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`, {
      width: '1100px',
      height: '700px',
    });
    const help = await waitFor(() => deepQuery(chat, 'rc-thread-token'), { what: 'the thread token help' });
    await settle(chat);
    const summary = await waitFor(() => help.shadowRoot?.querySelector<HTMLElement>('summary'), {
      what: 'its summary',
    });
    expect(summary.textContent).toBe('Run your own agent');
    await userEvent.click(summary);
    const copy = help.shadowRoot!.querySelector<HTMLButtonElement>('[part="copy"]')!;
    expect(copy.textContent?.trim()).toBe('Copy a thread token');
    await userEvent.click(copy);
    const shown = await waitFor(() => help.shadowRoot!.querySelector<HTMLInputElement>('[part="token"]'), {
      what: 'the token, shown',
    });
    expect(shown.value).toMatch(/^rcat_fake/);
    expect(bff.requests).toContain(`POST /threads/${threads[0]!.id}/agent-tokens`);
    expect(bff.agentTokens).toEqual([expect.objectContaining({ threadId: threads[0]!.id })]);

    // Listed without its secret; Revoke asks once more, then cuts it off.
    const row = await waitFor(() => help.shadowRoot!.querySelector<HTMLElement>('[part="tokens"] li'), {
      what: 'the token listed',
    });
    expect(row.textContent).toContain('Thread token');
    expect(row.textContent).toContain('never used');
    expect(row.textContent).not.toContain('rcat_');
    const revoke = row.querySelector<HTMLButtonElement>('[part="revoke"]')!;
    await userEvent.click(revoke);
    expect(revoke.textContent?.trim()).toBe('Revoke now');
    expect(bff.agentTokens).toHaveLength(1);
    await userEvent.click(revoke);
    await waitFor(() => bff.agentTokens.length === 0 || undefined, { what: 'the token revoked' });
    await waitFor(() => !help.shadowRoot!.querySelector('[part="tokens"]') || undefined, { what: 'the list emptied' });
    expect(bff.requests).toContain(`GET /threads/${threads[0]!.id}/agent-tokens`);
  });
});

describe('a self-run agent in the agent picker', () => {
  it('is offered while it is connected to the open thread', async () => {
    const agent = { id: 'laptop-agent', label: 'Laptop agent', kind: 'external' as const };
    sessionStorage.setItem(
      'remote-chat:https://fake-bff.test:selection',
      JSON.stringify({ runtimeId: readyRuntime.id, threadId: threads[0]!.id }),
    );
    const withAgent = threads.map((thread, i) => (i === 0 ? { ...thread, agents: [agent] } : thread));
    const bff = new FakeBff({ latencyMs: 5, state: { runtimes: [readyRuntime], threads: withAgent } });
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`, {
      width: '1100px',
      height: '700px',
    });
    const picker = await waitFor(
      () => {
        const select = deepQuery<HTMLSelectElement>(chat, '[part="agent-picker"]');
        return select && [...select.options].some((o) => o.value === 'laptop-agent') ? select : undefined;
      },
      { what: 'the self-run agent in the picker' },
    );
    const option = [...picker.options].find((o) => o.value === 'laptop-agent')!;
    expect(option.text).toBe('Laptop agent');
    expect(option.title).toBe('Laptop agent, your own agent answering this thread.');
  });
});
