import type { GitHubBranchPage, GitHubIssuePage, GitHubRepo, GitHubRepoPage } from '@remote-chat/protocol';

export type { GitHubIssue, GitHubRepo } from '@remote-chat/protocol';

/**
 * A repository as the repo selector lists it.
 * @deprecated The protocol's `GitHubRepo`.
 */
export type RepoSummary = GitHubRepo;

/** What `signIn` may be told. */
export interface SignInOptions {
  /** The browser blocked the sign-in popup: offer `url` as a link instead (the sign-in keeps waiting). */
  onBlocked?: (url: string) => void;
  signal?: AbortSignal;
}

/** A page of a list to read: the text searched for, and which page. */
export interface RepoPageOptions {
  /** @default "" */
  query?: string;
  /** From 1. @default 1 */
  page?: number;
  signal: AbortSignal;
}

/**
 * What the repo selector needs from GitHub: a small interface, so that the element can be shown
 * in every state with a fake, and so that the token handling lives elsewhere (in the browser,
 * never in the BFF's store). `GitHubRepoSource` is the one that goes through the BFF.
 *
 * A source whose sign-in no longer works (expired or revoked) rejects with a
 * {@link GitHubSignedOutError}: the selector goes back to its sign-in with the error's message.
 */
export interface RepoSource {
  /** Where recent choices are remembered: one list per key (the BFF's origin). @default "" */
  readonly key?: string;
  /**
   * Whether a GitHub account is connected in this browser. Rejects with a
   * {@link GitHubSignedOutError} when the sign-in was there but has expired, to say so.
   */
  isSignedIn(options: { signal: AbortSignal }): Promise<boolean>;
  /** Starts the GitHub sign-in. Resolves once signed in. */
  signIn(options?: SignInOptions): Promise<void>;
  /** Forgets the GitHub account in this browser. */
  signOut?(): Promise<void>;
  /** The token, for the clone of a new runtime and for a push; undefined when signed out. */
  token?(): Promise<string | undefined>;
  /** A page of the repositories the user can clone, best matches first. */
  listRepos(options: RepoPageOptions): Promise<GitHubRepoPage>;
  /** A page of a repository's branch names. */
  listBranches(repo: string, options: RepoPageOptions): Promise<GitHubBranchPage>;
  /** A page of a repository's open issues, newest first; absent where issues are not offered. */
  listIssues?(repo: string, options: RepoPageOptions): Promise<GitHubIssuePage>;
}

/** What the sign-in says when the kept token's time ran out (GitHub App tokens last hours). */
export const GITHUB_SIGN_IN_EXPIRED = 'Your GitHub sign-in expired. Sign in again.';

/** GitHub no longer takes the browser's token (expired or revoked), which has been forgotten. Local. */
export class GitHubSignedOutError extends Error {
  override readonly name = 'GitHubSignedOutError';

  constructor(message = 'Your GitHub sign-in expired or was revoked. Sign in again.') {
    super(message);
  }
}
