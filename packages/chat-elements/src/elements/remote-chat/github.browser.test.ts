import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { GitHubTokenStore } from '../../client/github-token-store.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, deepQuery, fixture, part, settle, visibleText, waitFor } from '../../fixtures/harness.js';
import { logReady } from '../../fixtures/runtime-log.js';
import { readyRuntime, signedInConfig } from '../../fixtures/runtimes.js';
import type { RcRepoSelector } from '../repo-selector/repo-selector.js';
import type { RemoteChatElement } from './remote-chat.js';
import './define.js';

const BFF = FakeBff.url;
const realOpen = window.open;

afterEach(async () => {
  cleanUp();
  sessionStorage.clear();
  window.open = realOpen;
  await new GitHubTokenStore(BFF).forget();
});

/** A BFF with GitHub on, and the user's ready runtime of `octo/notes-app` open. */
function githubBff(options: { runtimes?: boolean } = {}) {
  if (options.runtimes !== false)
    sessionStorage.setItem(
      `remote-chat:${BFF}:selection`,
      JSON.stringify({ runtimeId: readyRuntime.id, threadId: '' }),
    );
  return new FakeBff({
    latencyMs: 5,
    stepMs: 20,
    state: {
      config: { ...signedInConfig, github: { enabled: true, webUrl: 'https://github.com' } },
      runtimes: options.runtimes === false ? [] : [readyRuntime],
      logs: options.runtimes === false ? {} : { [readyRuntime.id]: logReady },
    },
  });
}

async function mount(bff: FakeBff) {
  const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`, {
    width: '1100px',
    height: '700px',
  });
  const selector = await waitFor(() => deepQuery<RcRepoSelector>(chat, 'rc-repo-selector'), { what: 'the selector' });
  return { chat, selector };
}

/** Opens the selector and waits for its repository list. */
async function openRepos(selector: RcRepoSelector) {
  await waitFor(() => (selector as unknown as { source?: unknown }).source, { what: 'the GitHub source' });
  part(selector, 'trigger').click();
  await waitFor(() => part(selector, 'panel').querySelector('ul[aria-label="Repositories"] button.repo'), {
    what: 'the repositories',
  });
}

/** A repository of the list (not of the recent ones). */
function listedRepo(selector: RcRepoSelector, name: string): HTMLButtonElement {
  return button(part(selector, 'panel').querySelector('ul[aria-label="Repositories"]')!, name);
}

function button(root: Element, text: string): HTMLButtonElement {
  const found = [...root.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent?.includes(text));
  if (!found) throw new Error(`no button "${text}"`);
  return found;
}

describe('<remote-chat> with GitHub', () => {
  it('signs in through the popup: a message from another origin is ignored, the BFF’s is kept in IndexedDB', async () => {
    const bff = githubBff();
    const opened: string[] = [];
    const popup = { closed: false, close: () => undefined };
    window.open = ((url: string) => {
      opened.push(url);
      return popup;
    }) as unknown as typeof window.open;
    const { selector } = await mount(bff);
    await waitFor(() => (selector as unknown as { source?: unknown }).source, { what: 'the GitHub source' });
    part(selector, 'trigger').click();
    await waitFor(() => visibleText(selector).includes('Sign in with GitHub'), { what: 'sign-in' });
    button(part(selector, 'panel'), 'Sign in with GitHub').click();
    await waitFor(() => opened.length === 1, { what: 'the popup' });
    expect(opened[0]).toBe(`${BFF}/api/github/oauth/start?origin=${encodeURIComponent(location.origin)}`);

    const message = { type: 'rc-github-token', token: 'gho_fake', expiresAt: null };
    window.dispatchEvent(new MessageEvent('message', { data: message, origin: 'https://evil.example' }));
    window.dispatchEvent(new MessageEvent('message', { data: { ...message, token: 'not a token!' }, origin: BFF }));
    await settle(selector);
    expect(await new GitHubTokenStore(BFF).read()).toBeUndefined();
    expect(part(selector, 'panel').querySelector('button.repo')).toBeNull();

    window.dispatchEvent(new MessageEvent('message', { data: message, origin: BFF }));
    await waitFor(() => part(selector, 'panel').querySelector('button.repo'), { what: 'the repositories' });
    expect(await new GitHubTokenStore(BFF).read()).toBe('gho_fake');
    expect(bff.githubTokens).toContain('GET /github/repos gho_fake');
  });

  it('forgets an expired token and goes back to sign-in, saying so', async () => {
    await new GitHubTokenStore(BFF).save({ type: 'rc-github-token', token: 'gho_revoked', expiresAt: null });
    const { selector } = await mount(githubBff());
    await waitFor(() => (selector as unknown as { source?: unknown }).source, { what: 'the GitHub source' });
    part(selector, 'trigger').click();
    await waitFor(() => visibleText(selector).includes('Your GitHub sign-in expired or was revoked. Sign in again.'), {
      what: 'the message',
    });
    expect(visibleText(selector)).toContain('Sign in with GitHub');
    expect(await new GitHubTokenStore(BFF).read()).toBeUndefined();
  });

  it('says a GitHub App sign-in whose time ran out expired, forgets it, and asks to sign in again', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    await new GitHubTokenStore(BFF).save({ type: 'rc-github-token', token: 'gho_fake', expiresAt: past });
    const { selector } = await mount(githubBff());
    await waitFor(() => (selector as unknown as { source?: unknown }).source, { what: 'the GitHub source' });
    part(selector, 'trigger').click();
    await waitFor(() => visibleText(selector).includes('Your GitHub sign-in expired. Sign in again.'), {
      what: 'the message',
    });
    expect(visibleText(selector)).toContain('Sign in with GitHub');
    expect(await new GitHubTokenStore(BFF).status()).toEqual({ expired: false });
  });

  it('Sign out of GitHub forgets the token in this browser and shows the sign-in', async () => {
    await new GitHubTokenStore(BFF).save({ type: 'rc-github-token', token: 'gho_fake', expiresAt: null });
    const { selector } = await mount(githubBff());
    await openRepos(selector);
    button(part(selector, 'panel'), 'Sign out of GitHub').click();
    await waitFor(() => visibleText(selector).includes('Sign in with GitHub'), { what: 'the sign-in' });
    expect(await new GitHubTokenStore(BFF).read()).toBeUndefined();
    expect(part(selector, 'panel').querySelector('button.repo')).toBeNull();
  });

  it('says when GitHub’s rate limit resets', async () => {
    await new GitHubTokenStore(BFF).save({ type: 'rc-github-token', token: 'gho_fake', expiresAt: null });
    const bff = githubBff();
    bff.state.github.rateLimitResetAt = '2030-01-01T12:34:00.000Z';
    const { selector } = await mount(bff);
    await waitFor(() => (selector as unknown as { source?: unknown }).source, { what: 'the GitHub source' });
    part(selector, 'trigger').click();
    await waitFor(() => visibleText(selector).includes("GitHub's rate limit is used up. It resets at"), {
      what: 'the rate-limit message',
    });
  });

  it('creates a runtime with the repository, the branch and the token for its clone', async () => {
    await new GitHubTokenStore(BFF).save({ type: 'rc-github-token', token: 'gho_fake', expiresAt: null });
    const bff = githubBff({ runtimes: false });
    const { chat, selector } = await mount(bff);
    await openRepos(selector);
    listedRepo(selector, 'octo/api').click();
    await waitFor(() => part(selector, 'panel').querySelector('select option[value="develop"]'), {
      what: 'the branches',
    });
    const branch = part(selector, 'panel').querySelector('select')!;
    branch.value = 'develop';
    branch.dispatchEvent(new Event('change'));
    button(part(selector, 'panel'), 'Use repository').click();
    await settle(selector);
    const create = await waitFor(() => deepQuery<HTMLButtonElement>(chat, '[part~="create-button"]'), {
      what: 'Create runtime',
    });
    create.click();
    await waitFor(() => bff.state.runtimes.length === 1, { what: 'the runtime' });
    expect(bff.state.runtimes[0]).toMatchObject({ repo: 'octo/api', branch: 'develop' });
    expect(bff.githubTokens).toContain('POST /runtimes gho_fake');
  });

  it('starts a thread from an issue: the composer holds its title and body, the chat links back to it', async () => {
    await new GitHubTokenStore(BFF).save({ type: 'rc-github-token', token: 'gho_fake', expiresAt: null });
    const bff = githubBff();
    const { chat, selector } = await mount(bff);
    await openRepos(selector);
    listedRepo(selector, 'octo/notes-app').click();
    const issue = await waitFor(() => part(selector, 'panel').querySelector<HTMLButtonElement>('button.issue'), {
      what: 'the issues',
    });
    issue.click();
    await settle(selector);
    button(part(selector, 'panel'), 'Use repository').click();
    const textarea = await waitFor(
      () => {
        const box = deepQuery<HTMLTextAreaElement>(chat, 'textarea');
        return box?.value.startsWith('Search misses notes with accents') ? box : null;
      },
      { what: 'the prefilled composer' },
    );
    expect(textarea.value).toContain('Expected: accents are ignored.');
    const thread = bff.state.threads.find((t) => t.issue);
    expect(thread?.issue).toEqual({
      repo: 'octo/notes-app',
      number: 42,
      title: 'Search misses notes with accents',
      htmlUrl: 'https://github.com/octo/notes-app/issues/42',
    });
    const link = await waitFor(() => deepQuery<HTMLAnchorElement>(chat, '[part~="issue-link"] a'), {
      what: 'the link',
    });
    expect(link.href).toBe('https://github.com/octo/notes-app/issues/42');
    expect(link.textContent).toContain('Issue #42');
  });

  it('pushes the thread’s workspace to a new branch and links to a pull request', async () => {
    await new GitHubTokenStore(BFF).save({ type: 'rc-github-token', token: 'gho_fake', expiresAt: null });
    const bff = githubBff();
    bff.state.threads.push({
      id: 'th_fix',
      runtimeId: readyRuntime.id,
      title: 'Fix the café search',
      lastSeq: 0,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
    const { chat } = await mount(bff);
    const push = await waitFor(() => deepQuery<HTMLButtonElement>(chat, '[part~="push-button"]'), {
      what: 'Push to branch…',
    });
    push.click();
    const dialog = await waitFor(() => deepQuery(chat, 'rc-push-dialog'), { what: 'the dialog' });
    const branch = await waitFor(() => dialog.shadowRoot?.querySelector<HTMLInputElement>('input[name="branch"]'), {
      what: 'the branch field',
    });
    expect(branch.value).toBe('remote-chat/fix-the-cafe-search');
    button(dialog.shadowRoot!.querySelector('dialog')!, 'Push').click();
    await waitFor(() => visibleText(dialog).includes('Pushing to remote-chat/fix-the-cafe-search'), {
      what: 'the progress',
    });
    const link = await waitFor(() => dialog.shadowRoot?.querySelector<HTMLAnchorElement>('[part~="pull-request"]'), {
      what: 'the pull request link',
    });
    expect(link.textContent).toContain('Open a pull request');
    expect(link.href).toBe('https://github.com/octo/notes-app/compare/main...remote-chat/fix-the-cafe-search?expand=1');
    expect(bff.pushes).toEqual([{ threadId: 'th_fix', branch: 'remote-chat/fix-the-cafe-search' }]);
    expect(bff.githubTokens).toContain('POST /threads/th_fix/push gho_fake');
  });

  it('says how to set GitHub up when the server has none', async () => {
    const bff = new FakeBff({ latencyMs: 5 });
    const chat = await fixture<RemoteChatElement>(html`<remote-chat .client=${bff.client()}></remote-chat>`);
    const standIn = await waitFor(() => deepQuery<HTMLButtonElement>(chat, '.repo-stand-in'), { what: 'the button' });
    expect(deepQuery(chat, 'rc-repo-selector')).toBeNull();
    standIn.click();
    const selector = await waitFor(() => deepQuery<RcRepoSelector>(chat, 'rc-repo-selector[open]'), {
      what: 'the selector, open',
    });
    await settle(selector);
    expect(visibleText(part(selector, 'panel'))).toContain('REMOTE_CHAT_GITHUB_CLIENT_ID');
    expect(visibleText(part(selector, 'panel'))).toContain('REMOTE_CHAT_GITHUB_CLIENT_SECRET');
  });
});
