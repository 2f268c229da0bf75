import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { fakeRepoSource, manyRepos } from '../../fixtures/repo-source.js';
import { GITHUB_NOT_CONFIGURED } from './repo-selector.js';
import type { RepoSource } from './repo-source.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import './define.js';

interface Args {
  source: RepoSource | undefined;
  repo: string | null;
  branch: string | null;
  disabled: boolean;
  reason: string;
  open: boolean;
}

const meta: Meta<Args> = {
  title: 'Elements/Repo selector',
  component: 'rc-repo-selector',
  args: { source: fakeRepoSource(), repo: null, branch: null, disabled: false, reason: '', open: true },
  render: (args) => html`
    <div style="display: flex; justify-content: flex-end; align-items: flex-start; min-height: 24rem">
      <rc-repo-selector
        .source=${args.source}
        .repo=${args.repo}
        .branch=${args.branch}
        ?disabled=${args.disabled}
        reason=${args.reason}
        ?open=${args.open}
      ></rc-repo-selector>
    </div>
  `,
};
export default meta;

type Story = StoryObj<Args>;

/** No GitHub app on this BFF: unavailable, and it says why. */
export const Unavailable: Story = {
  args: {
    source: undefined,
    disabled: true,
    reason: "GitHub isn't set up on this server, so new runtimes start in an empty folder.",
  },
};

/** The BFF has no GitHub app: it says which settings switch it on. */
export const NotConfigured: Story = { args: { source: undefined, disabled: true, reason: GITHUB_NOT_CONFIGURED } };

export const SignedOut: Story = { args: { source: fakeRepoSource({ signedIn: false }) } };

/** The sign-in popup was blocked: a link opens it instead. */
export const PopupBlocked: Story = {
  args: { source: fakeRepoSource({ signedIn: false, delayMs: 5, popupBlocked: true }) },
  play: async ({ canvasElement }) => {
    const selector = canvasElement.querySelector('rc-repo-selector');
    for (let i = 0; i < 40; i++) {
      const button = selector?.shadowRoot?.querySelector<HTMLButtonElement>('.panel button.primary');
      if (button) {
        button.click();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  },
};

/** The token was revoked or expired: back to sign-in, saying so. */
export const SignInExpired: Story = { args: { source: fakeRepoSource({ delayMs: 5, revoked: true }) } };

/** Thousands of repositories, a page at a time, private ones marked. */
export const ManyRepositories: Story = { args: { source: fakeRepoSource({ delayMs: 5, repos: manyRepos(2000) }) } };

export const Loading: Story = { args: { source: fakeRepoSource({ delayMs: Number.POSITIVE_INFINITY }) } };

/** The list with a search box. */
export const Repositories: Story = {};

export const Failed: Story = {
  args: { source: fakeRepoSource({ failWith: 'GitHub answered 502 Bad Gateway. Try again in a minute.' }) },
};

/** Closed, with a repository and branch chosen. */
export const Chosen: Story = { args: { open: false, repo: 'octo/notes-app', branch: 'feature/search' } };

/** A repository picked: choose its branch. */
export const BranchPick: Story = {
  play: async ({ canvasElement }) => {
    const selector = canvasElement.querySelector('rc-repo-selector');
    for (let i = 0; i < 40; i++) {
      const repo = selector?.shadowRoot?.querySelector<HTMLButtonElement>('button.repo');
      if (repo) {
        repo.click();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  },
};

/** GitHub's rate limit is spent: when it resets. */
export const RateLimited: Story = {
  args: { source: fakeRepoSource({ failWith: "GitHub's rate limit is used up. It resets at 14:05." }) },
};

/** Closed, with a repository, a branch and an issue chosen. */
export const ChosenWithIssue: Story = {
  args: {
    open: false,
    repo: 'octo/notes-app',
    branch: null,
  },
  render: (args) => html`
    <div style="display: flex; justify-content: flex-end; align-items: flex-start; min-height: 4rem">
      <rc-repo-selector
        .source=${args.source}
        .repo=${args.repo}
        .issue=${{ number: 42, title: 'Search misses notes with accents', body: null, htmlUrl: 'https://github.com/octo/notes-app/issues/42' }}
      ></rc-repo-selector>
    </div>
  `,
};

export const RepositoriesDark: Story = { ...dark };

export const BranchPickDarkPhone: Story = { ...darkPhone, play: BranchPick.play };

export const RepositoriesPhone: Story = { ...phone };

export const SignedOutDarkPhone: Story = { ...darkPhone, args: SignedOut.args };
