import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { RcRepoChangeEvent } from '../../events/repo-change-event.js';
import { cleanUp, fixture, part, recordEvents, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { fakeRepoSource } from '../../fixtures/repo-source.js';
import type { RcRepoSelector } from './repo-selector.js';
import './define.js';

afterEach(cleanUp);

describe('<rc-repo-selector>', () => {
  it('says why it is unavailable without a source', async () => {
    const selector = await fixture<RcRepoSelector>(html`<rc-repo-selector open></rc-repo-selector>`);
    expect(visibleText(part(selector, 'panel'))).toContain('start in an empty folder');
    expect(part(selector, 'trigger').getAttribute('aria-disabled')).toBe('true');
  });

  it('asks a signed-out user to sign in, then lists the repositories', async () => {
    const selector = await fixture<RcRepoSelector>(
      html`<rc-repo-selector open .source=${fakeRepoSource({ signedIn: false, delayMs: 5 })}></rc-repo-selector>`,
    );
    await waitFor(() => visibleText(selector).includes('Sign in with GitHub'), { what: 'sign-in' });
    (part(selector, 'panel').querySelector('button.primary') as HTMLButtonElement).click();
    await waitFor(() => visibleText(selector).includes('octo/notes-app'), { what: 'the list', timeout: 3000 });
  });

  it('searches, picks a repository and a branch, and fires rc-repo-change', async () => {
    const selector = await fixture<RcRepoSelector>(
      html`<rc-repo-selector open .source=${fakeRepoSource({ delayMs: 5 })}></rc-repo-selector>`,
    );
    const changes = recordEvents<RcRepoChangeEvent>(selector, 'rc-repo-change');
    const search = await waitFor(
      () => part(selector, 'panel').querySelector<HTMLInputElement>('input[type="search"]'),
      { what: 'search' },
    );
    search.focus();
    await userEvent.keyboard('infra');
    await waitFor(() => part(selector, 'panel').querySelectorAll('button.repo').length === 1, {
      what: 'the filtered list',
    });
    part(selector, 'panel').querySelector<HTMLButtonElement>('button.repo')!.click();
    const branch = await waitFor(() => part(selector, 'panel').querySelector('select'), { what: 'the branches' });
    branch.value = 'develop';
    branch.dispatchEvent(new Event('change'));
    [...part(selector, 'panel').querySelectorAll<HTMLButtonElement>('button')]
      .find((b) => b.textContent?.includes('Use repository'))!
      .click();
    await settle(selector);
    expect(changes.map((e) => e.detail)).toEqual([{ repo: 'octo/infra', branch: 'develop', issue: null }]);
    expect(part(selector, 'trigger').textContent).toContain('octo/infra · develop');
    expect(selector.open).toBe(false);
  });

  it('shows a listing error with Try again', async () => {
    const selector = await fixture<RcRepoSelector>(
      html`<rc-repo-selector open .source=${fakeRepoSource({ delayMs: 5, failWith: 'GitHub answered 502.' })}></rc-repo-selector>`,
    );
    await waitFor(() => visibleText(selector).includes('GitHub answered 502.'), { what: 'the error' });
    expect(visibleText(selector)).toContain('Try again');
  });

  it('closes with Escape and gives focus back to its button', async () => {
    const selector = await fixture<RcRepoSelector>(
      html`<rc-repo-selector .source=${fakeRepoSource({ delayMs: 5 })}></rc-repo-selector>`,
    );
    part(selector, 'trigger').click();
    await settle(selector);
    expect(selector.open).toBe(true);
    await userEvent.keyboard('{Escape}');
    await settle(selector);
    expect(selector.open).toBe(false);
    expect(selector.shadowRoot!.activeElement).toBe(part(selector, 'trigger'));
  });
});
