import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { RcRepoChangeEvent } from '../../events/repo-change-event.js';
import { cleanUp, fixture, part, recordEvents, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { fakeRepoSource, issues, manyRepos } from '../../fixtures/repo-source.js';
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

  it('pages a list of thousands: only fetched repositories are rendered, more on scrolling to the end or Load more', async () => {
    const selector = await fixture<RcRepoSelector>(
      html`<rc-repo-selector open .source=${fakeRepoSource({ delayMs: 5, repos: manyRepos(3000), perPage: 30 })}></rc-repo-selector>`,
    );
    const panel = part(selector, 'panel');
    const listed = () => panel.querySelectorAll('ul[aria-label="Repositories"] button.repo').length;
    await waitFor(() => listed() === 30, { what: 'the first page' });
    expect(visibleText(panel)).toContain('private');
    const list = panel.querySelector<HTMLElement>('.lists')!;
    list.scrollTop = list.scrollHeight;
    list.dispatchEvent(new Event('scroll'));
    await waitFor(() => listed() === 60, { what: 'the second page' });
    panel.querySelector<HTMLButtonElement>('button.more')!.click();
    await waitFor(() => listed() === 90, { what: 'the third page' });
    expect(visibleText(panel)).toContain('bigorg/service-0090');
    expect(visibleText(panel)).not.toContain('bigorg/service-0091');
  });

  it('searches as you type and starts the paging again for the query', async () => {
    const selector = await fixture<RcRepoSelector>(
      html`<rc-repo-selector open .source=${fakeRepoSource({ delayMs: 5, repos: manyRepos(300) })}></rc-repo-selector>`,
    );
    const search = await waitFor(
      () => part(selector, 'panel').querySelector<HTMLInputElement>('input[type="search"]'),
      {
        what: 'search',
      },
    );
    search.focus();
    await userEvent.keyboard('service-02');
    const names = () =>
      [...part(selector, 'panel').querySelectorAll('ul[aria-label="Repositories"] .repo-name')].map(
        (n) => n.textContent ?? '',
      );
    await waitFor(() => names().length > 0 && names().every((n) => n.includes('service-02')), { what: 'matches' });
    // service-0200 … service-0299: a hundred matches, the first page of them shown.
    expect(names()).toHaveLength(30);
    expect(part(selector, 'panel').querySelector('button.more')).not.toBeNull();
  });

  it('goes back to sign-in with a clear message when the GitHub sign-in was revoked', async () => {
    const selector = await fixture<RcRepoSelector>(
      html`<rc-repo-selector open .source=${fakeRepoSource({ delayMs: 5, revoked: true })}></rc-repo-selector>`,
    );
    await waitFor(() => visibleText(selector).includes('Your GitHub sign-in expired or was revoked. Sign in again.'), {
      what: 'the message',
    });
    expect(visibleText(selector)).toContain('Sign in with GitHub');
  });

  it('offers a link when the browser blocks the sign-in popup', async () => {
    const selector = await fixture<RcRepoSelector>(
      html`<rc-repo-selector open .source=${fakeRepoSource({ signedIn: false, delayMs: 5, popupBlocked: true })}></rc-repo-selector>`,
    );
    await waitFor(() => visibleText(selector).includes('Sign in with GitHub'), { what: 'sign-in' });
    (part(selector, 'panel').querySelector('button.primary') as HTMLButtonElement).click();
    const link = await waitFor(() => part(selector, 'panel').querySelector<HTMLAnchorElement>('.blocked a'), {
      what: 'the link',
    });
    expect(link.href).toContain('/api/github/oauth/start');
    expect(link.rel).toBe('opener');
    expect(visibleText(selector)).toContain('blocked the sign-in window');
  });

  it('picks an open issue with the branch, and remembers the choice as recent', async () => {
    const source = fakeRepoSource({ delayMs: 5 });
    const selector = await fixture<RcRepoSelector>(html`<rc-repo-selector open .source=${source}></rc-repo-selector>`);
    const changes = recordEvents<RcRepoChangeEvent>(selector, 'rc-repo-change');
    const panel = part(selector, 'panel');
    const notes = await waitFor(
      () => panel.querySelector<HTMLButtonElement>('ul[aria-label="Repositories"] button.repo'),
      {
        what: 'the list',
      },
    );
    notes.click();
    await waitFor(() => panel.querySelector('select option[selected]')?.textContent?.includes('main (default)'), {
      what: 'the default branch preselected',
    });
    const issue = await waitFor(() => panel.querySelector<HTMLButtonElement>('button.issue'), { what: 'the issues' });
    issue.click();
    await settle(selector);
    expect(visibleText(panel)).toContain('#42 Search misses notes with accents');
    [...panel.querySelectorAll<HTMLButtonElement>('button')]
      .find((b) => b.textContent?.includes('Use repository'))!
      .click();
    await settle(selector);
    expect(changes.map((e) => e.detail)).toEqual([{ repo: 'octo/notes-app', branch: null, issue: issues[0] }]);
    expect(part(selector, 'trigger').textContent).toContain('octo/notes-app · #42');

    // A new selector with the same source lists it under Recent.
    const again = await fixture<RcRepoSelector>(html`<rc-repo-selector open .source=${source}></rc-repo-selector>`);
    await waitFor(() => visibleText(part(again, 'panel')).includes('Recent'), { what: 'the recent choices' });
  });
});
