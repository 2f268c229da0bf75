import type { GitHubBranchPage, GitHubIssuePage, GitHubRepoPage } from '@remote-chat/protocol';
import { ChatClientError } from '../../client/errors.js';
import { signInWithPopup, type GitHubSignInOptions } from '../../client/github-sign-in.js';
import { GitHubTokenStore } from '../../client/github-token-store.js';
import type { RestApi } from '../../client/rest-api.js';
import {
  GITHUB_SIGN_IN_EXPIRED,
  GitHubSignedOutError,
  type RepoPageOptions,
  type RepoSource,
  type SignInOptions,
} from './repo-source.js';

export interface GitHubRepoSourceOptions {
  /** Opens the sign-in window. @default window.open */
  open?: GitHubSignInOptions['open'];
  /** The page origin the BFF posts the token to. @default location.origin */
  origin?: string;
}

/**
 * The repo selector's GitHub, through the BFF: the token from the popup sign-in kept in this
 * browser (`GitHubTokenStore`) and sent with each request. A `github_unauthorized` answer
 * forgets it and rejects with {@link GitHubSignedOutError}; a spent rate limit says when it resets.
 */
export class GitHubRepoSource implements RepoSource {
  readonly key: string;
  private readonly tokens: GitHubTokenStore;

  constructor(
    private readonly client: RestApi,
    private readonly options: GitHubRepoSourceOptions = {},
  ) {
    this.key = client.bffUrl;
    this.tokens = new GitHubTokenStore(client.bffUrl);
  }

  /** The kept token, or undefined when signed out. For creating a runtime and pushing. */
  token(): Promise<string | undefined> {
    return this.tokens.read();
  }

  /** Whether a token is kept; rejects with {@link GitHubSignedOutError} when it has just expired. */
  async isSignedIn(): Promise<boolean> {
    return (await this.keptToken()) !== undefined;
  }

  async signIn(options: SignInOptions = {}): Promise<void> {
    const message = await signInWithPopup({
      url: this.client.githubSignInUrl(this.options.origin),
      bffOrigin: new URL(this.client.bffUrl).origin,
      ...(options.onBlocked && { onBlocked: options.onBlocked }),
      ...(options.signal && { signal: options.signal }),
      ...(this.options.open && { open: this.options.open }),
    });
    await this.tokens.save(message);
  }

  signOut(): Promise<void> {
    return this.tokens.forget();
  }

  listRepos({ query = '', page = 1, signal }: RepoPageOptions): Promise<GitHubRepoPage> {
    return this.withToken((token) => this.client.listGitHubRepos(token, { q: query, page, signal }));
  }

  listBranches(repo: string, { page = 1, signal }: RepoPageOptions): Promise<GitHubBranchPage> {
    return this.withToken((token) => this.client.listGitHubBranches(token, repo, { page, signal }));
  }

  listIssues(repo: string, { query = '', page = 1, signal }: RepoPageOptions): Promise<GitHubIssuePage> {
    return this.withToken((token) => this.client.listGitHubIssues(token, repo, { q: query, page, signal }));
  }

  /** Runs a request with the kept token, and turns GitHub's refusals into what the user can do. */
  async withToken<T>(request: (token: string) => Promise<T>): Promise<T> {
    const token = await this.keptToken();
    if (!token) throw new GitHubSignedOutError('Sign in to GitHub first.');
    try {
      return await request(token);
    } catch (error) {
      throw await this.explain(error);
    }
  }

  /** The kept token, or undefined; a token that expired is a {@link GitHubSignedOutError} that says so. */
  private async keptToken(): Promise<string | undefined> {
    const kept = await this.tokens.status();
    if (kept.expired) throw new GitHubSignedOutError(GITHUB_SIGN_IN_EXPIRED);
    return kept.token;
  }

  private async explain(error: unknown): Promise<unknown> {
    if (!(error instanceof ChatClientError)) return error;
    if (error.code === 'github_unauthorized') {
      await this.tokens.forget();
      return new GitHubSignedOutError();
    }
    if (error.code === 'github_rate_limited') return new Error(rateLimitMessage(error.data));
    return error;
  }
}

/** "GitHub's rate limit is used up. It resets at 14:05." */
export function rateLimitMessage(data: unknown): string {
  const resetAt =
    typeof data === 'object' && data !== null && 'resetAt' in data && typeof data.resetAt === 'string'
      ? new Date(data.resetAt)
      : undefined;
  const when =
    resetAt && !Number.isNaN(resetAt.getTime())
      ? ` It resets at ${resetAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}.`
      : ' Try again in a while.';
  return `GitHub's rate limit is used up.${when}`;
}
