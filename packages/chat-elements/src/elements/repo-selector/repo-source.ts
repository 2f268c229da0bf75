/**
 * A repository as the repo selector lists it.
 *
 * The protocol has no GitHub routes yet; when it does, this becomes the type its schema infers.
 */
export interface RepoSummary {
  /** `owner/name`. */
  fullName: string;
  description: string | null;
  private: boolean;
  defaultBranch: string;
}

/**
 * What the repo selector needs from GitHub: a small interface, so that the element can be shown
 * in every state with a fake, and so that the token handling lives elsewhere (in the browser,
 * never in the BFF's store).
 */
export interface RepoSource {
  /** Whether a GitHub account is connected in this browser. */
  isSignedIn(options: { signal: AbortSignal }): Promise<boolean>;
  /** Starts the GitHub sign-in. Resolves once signed in (or never, if it navigates away). */
  signIn(): Promise<void>;
  /** Repositories the user can clone, best matches first. */
  listRepos(options: { query: string; signal: AbortSignal }): Promise<RepoSummary[]>;
  /** The branch names of one repository. */
  listBranches(repo: string, options: { signal: AbortSignal }): Promise<string[]>;
}
