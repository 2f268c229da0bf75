import { z } from 'zod';
import { BranchSchema, RepoSchema } from './resources.js';

/**
 * GitHub, through the BFF. The user's GitHub token lives in their browser (IndexedDB) and is sent
 * per request in the `X-GitHub-Token` header (or, for runtime creation and push, in the body);
 * the BFF uses it for that request only and never stores or logs it.
 */
export const GITHUB_TOKEN_HEADER = 'x-github-token';

/** A GitHub access token as the browser sends it (OAuth app or GitHub App user-to-server). */
export const GitHubTokenSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9_.-]+$/, 'not a GitHub token');

/**
 * What the OAuth popup posts to the page that opened it (`window.opener.postMessage`, to that
 * page's origin only), after `GET /api/github/oauth/callback` exchanged the code.
 */
export const GitHubTokenMessageSchema = z.object({
  type: z.literal('rc-github-token'),
  token: GitHubTokenSchema,
  /** When it expires (GitHub App tokens do; OAuth app tokens do not). */
  expiresAt: z.string().nullable(),
});
export type GitHubTokenMessage = z.infer<typeof GitHubTokenMessageSchema>;

/** The popup's message when sign-in failed or was refused. */
export const GitHubSignInErrorMessageSchema = z.object({
  type: z.literal('rc-github-error'),
  message: z.string().max(1000),
});
export type GitHubSignInErrorMessage = z.infer<typeof GitHubSignInErrorMessageSchema>;

/** `GET /api/github/user` */
export const GitHubUserSchema = z.object({
  login: z.string(),
  name: z.string().nullable(),
  avatarUrl: z.string().nullable(),
});
export type GitHubUser = z.infer<typeof GitHubUserSchema>;

/** A repository as the selector lists it. */
export const GitHubRepoSchema = z.object({
  /** `owner/name`. */
  fullName: RepoSchema,
  description: z.string().nullable(),
  private: z.boolean(),
  defaultBranch: BranchSchema,
  /** Its size as GitHub reports it, in KB. */
  sizeKb: z.number().int().nonnegative(),
  /** When it was last pushed to. */
  pushedAt: z.string().nullable(),
  htmlUrl: z.string(),
});
export type GitHubRepo = z.infer<typeof GitHubRepoSchema>;

/** `GET /api/github/repos?q=TEXT&page=N`: the user's and their organisations' repositories, best first. */
export const GitHubRepoQuerySchema = z.object({
  q: z.string().trim().max(200).default(''),
  page: z.coerce.number().int().min(1).max(1000).default(1),
});
export const GitHubRepoPageSchema = z.object({
  repos: z.array(GitHubRepoSchema),
  /** The next page to ask for, or null at the end. */
  nextPage: z.number().int().nullable(),
});
export type GitHubRepoPage = z.infer<typeof GitHubRepoPageSchema>;

/** `GET /api/github/repos/:owner/:repo/branches?page=N` */
export const GitHubBranchPageSchema = z.object({
  branches: z.array(BranchSchema),
  nextPage: z.number().int().nullable(),
});
export type GitHubBranchPage = z.infer<typeof GitHubBranchPageSchema>;

/** An open issue (not a pull request). */
export const GitHubIssueSchema = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullable(),
  htmlUrl: z.string(),
});
export type GitHubIssue = z.infer<typeof GitHubIssueSchema>;

/** `GET /api/github/repos/:owner/:repo/issues?q=TEXT&page=N`: open issues, newest first. */
export const GitHubIssuePageSchema = z.object({
  issues: z.array(GitHubIssueSchema),
  nextPage: z.number().int().nullable(),
});
export type GitHubIssuePage = z.infer<typeof GitHubIssuePageSchema>;

/** `POST /api/threads/:id/push`: the thread's runtime pushes its workspace to a new branch. */
export const PushRequestSchema = z.strictObject({
  branch: BranchSchema,
  token: GitHubTokenSchema,
  /** The commit message, when there are uncommitted changes. @default the thread's title */
  message: z.string().trim().min(1).max(2000).optional(),
});
export type PushRequest = z.infer<typeof PushRequestSchema>;

export const PushResponseSchema = z.object({
  branch: BranchSchema,
  /** The commit that was pushed. */
  commit: z.string(),
  /** Where to open a pull request for it. */
  pullRequestUrl: z.string(),
});
export type PushResponse = z.infer<typeof PushResponseSchema>;

/** The environment variable through which one git command gets the user's token (see `GIT_TOKEN_HELPER_ARGS`). */
export const GIT_TOKEN_ENV = 'REMOTE_CHAT_GIT_TOKEN';

/**
 * `git -c …` arguments (before the git subcommand) that make one git command authenticate with
 * the token in its own environment (`GIT_TOKEN_ENV`), as GitHub takes it: user `x-access-token`,
 * the token as password. The token is then never in argv, in a file or in `.git/config`; helpers
 * configured elsewhere are reset first, so none of them stores it. The BFF's clone and the
 * runtime's push both use these.
 */
export const GIT_TOKEN_HELPER_ARGS: readonly string[] = [
  '-c',
  'credential.helper=',
  '-c',
  `credential.helper=!f() { test "$1" = get && echo username=x-access-token && echo "password=$${GIT_TOKEN_ENV}"; }; f`,
];
