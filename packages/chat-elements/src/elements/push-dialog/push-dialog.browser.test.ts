import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import type { RcPushCloseEvent } from '../../events/push-close-event.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, recordEvents, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { fakeRepoSource } from '../../fixtures/repo-source.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import type { RepoSource } from '../repo-selector/repo-source.js';
import { type RcPushDialog, suggestedBranch } from './push-dialog.js';
import './define.js';

afterEach(cleanUp);

const at = '2025-11-20T09:00:00.000Z';

function setUp(tokens = ['gho_fake']) {
  const bff = new FakeBff({
    latencyMs: 5,
    state: {
      runtimes: [readyRuntime],
      threads: [
        { id: 'th_push', runtimeId: readyRuntime.id, title: 'Fix it', lastSeq: 0, createdAt: at, updatedAt: at },
      ],
    },
  });
  bff.state.config = { ...bff.state.config, github: { enabled: true } };
  bff.state.github.tokens = tokens;
  bff.pushMs = 5;
  let signedOut = false;
  const source: RepoSource = {
    ...fakeRepoSource({ delayMs: 5 }),
    token: async () => (signedOut ? undefined : 'gho_fake'),
    signOut: async () => {
      signedOut = true;
    },
  };
  return { bff, source, signedOut: () => signedOut };
}

async function mount(bff: FakeBff, source: RepoSource) {
  const dialog = await fixture<RcPushDialog>(
    html`<rc-push-dialog open .client=${bff.client()} .source=${source} thread-id="th_push" thread-title="Fix it"></rc-push-dialog>`,
  );
  return { dialog, root: dialog.shadowRoot! };
}

function field(root: ShadowRoot, name: string): HTMLInputElement {
  return root.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
}

describe('<rc-push-dialog>', () => {
  it('suggests remote-chat/<the thread slug>', () => {
    expect(suggestedBranch('Fix the café search!')).toBe('remote-chat/fix-the-cafe-search');
    expect(suggestedBranch('…')).toBe('remote-chat/work');
  });

  it('refuses a branch git would not take, before any request', async () => {
    const { bff, source } = setUp();
    const { dialog, root } = await mount(bff, source);
    const branch = field(root, 'branch');
    branch.value = '-oops..';
    branch.dispatchEvent(new InputEvent('input'));
    root.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await settle(dialog);
    expect(visibleText(dialog)).toContain('Use letters, digits');
    expect(bff.pushes).toEqual([]);
  });

  it('pushes with the commit message and closes with the result', async () => {
    const { bff, source } = setUp();
    const { dialog, root } = await mount(bff, source);
    const closes = recordEvents<RcPushCloseEvent>(dialog, 'rc-push-close');
    const message = field(root, 'message');
    message.value = 'Ignore accents in search';
    message.dispatchEvent(new InputEvent('input'));
    root.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitFor(() => root.querySelector('[part~="pull-request"]'), { what: 'the link' });
    expect(bff.pushes).toEqual([
      { threadId: 'th_push', branch: 'remote-chat/fix-it', message: 'Ignore accents in search' },
    ]);
    [...root.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent?.includes('Close'))!.click();
    await settle(dialog);
    expect(closes.map((e) => e.detail.result?.branch)).toEqual(['remote-chat/fix-it']);
    expect(dialog.open).toBe(false);
  });

  it('forgets a token GitHub refuses and offers the sign-in again', async () => {
    const { bff, source, signedOut } = setUp([]);
    const { dialog, root } = await mount(bff, source);
    root.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitFor(() => visibleText(dialog).includes('Your GitHub sign-in expired or was revoked. Sign in again.'), {
      what: 'the message',
    });
    expect(signedOut()).toBe(true);
    expect(visibleText(dialog)).toContain('Sign in with GitHub');
    expect(bff.pushes).toEqual([]);
  });
});
