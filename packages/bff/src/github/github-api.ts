import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/core';
import type { GitHubBranchPage, GitHubIssuePage, GitHubRepo, GitHubRepoPage, GitHubUser } from '@remote-chat/protocol';
import { RemoteChatError } from '../errors.js';
import type { GitHubConfig } from './github-config.js';

/** Repositories, branches and issues per page. */
const REPOS_PER_PAGE = 30;
const BRANCHES_PER_PAGE = 100;
const ISSUES_PER_PAGE = 30;
/** How long a token's login and organisations are reused for searches (memory only, keyed by a hash). */
const ACCOUNT_TTL_MS = 5 * 60_000;
const ACCOUNT_CACHE_MAX = 1000;

/** What a failed GitHub call looks like (octokit's RequestError, or a fetch failure it wrapped). */
interface GitHubFailure {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | number | undefined> } | undefined;
}

/**
 * A failed GitHub call as one of our errors: 401 → github_unauthorized (sign in again), a
 * rate limit → github_rate_limited with `data.resetAt`, 404 → not_found, 5xx and network
 * failures → github_unavailable. Never carries the token (octokit redacts it in its errors, and
 * only the status, message and rate headers are read here).
 */
export function gitHubError(error: unknown, what = 'GitHub'): RemoteChatError {
  if (error instanceof RemoteChatError) return error;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as GitHubFailure;
  // octokit reports a request that got no answer (refused, reset, DNS) as status 500 without a
  // response: that is a network failure, not GitHub's 500.
  const status = failure.response && typeof failure.status === 'number' ? failure.status : 0;
  const headers = failure.response?.headers ?? {};
  const remaining = headers['x-ratelimit-remaining'];
  const reset = Number(headers['x-ratelimit-reset']);
  const retryAfter = Number(headers['retry-after']);
  if ((status === 403 || status === 429) && (String(remaining) === '0' || Number.isFinite(retryAfter))) {
    const resetAt = new Date(
      Number.isFinite(retryAfter) && retryAfter > 0 ? Date.now() + retryAfter * 1000 : reset * 1000,
    );
    const when = Number.isNaN(resetAt.getTime()) ? 'later' : `after ${resetAt.toISOString()}`;
    return new RemoteChatError('github_rate_limited', `GitHub's rate limit is used up; try again ${when}.`, {
      resetAt: Number.isNaN(resetAt.getTime()) ? null : resetAt.toISOString(),
    });
  }
  if (status === 401)
    return new RemoteChatError(
      'github_unauthorized',
      'Your GitHub sign-in expired or was revoked: sign in to GitHub again.',
    );
  if (status === 403)
    return new RemoteChatError(
      'github_unauthorized',
      `GitHub refused ${what}: your sign-in may lack access (an organisation's approval or SSO). Sign in to GitHub again or ask the owner.`,
    );
  if (status === 404) return new RemoteChatError('not_found', `No such ${what}, or your GitHub account cannot see it.`);
  if (status === 422) return new RemoteChatError('bad_request', `GitHub could not take that query for ${what}.`);
  return new RemoteChatError(
    'github_unavailable',
    status >= 500
      ? `GitHub answered ${status} for ${what}; try again in a moment.`
      : 'GitHub cannot be reached from the server; try again in a moment.',
  );
}

/** The page number of a `Link` header's rel="next", or null. */
export function nextPage(link: string | undefined): number | null {
  const next = link?.split(',').find((part) => /rel="next"/.test(part));
  const page = next && /[?&]page=(\d+)/.exec(next)?.[1];
  return page ? Number(page) : null;
}

interface RawRepo {
  full_name: string;
  description: string | null;
  private: boolean;
  default_branch: string;
  size: number;
  pushed_at: string | null;
  html_url: string;
}

interface RawIssue {
  number: number;
  title: string;
  body?: string | null;
  html_url: string;
  pull_request?: unknown;
}

function toRepo(raw: RawRepo): GitHubRepo {
  return {
    fullName: raw.full_name,
    description: raw.description,
    private: raw.private,
    defaultBranch: raw.default_branch,
    sizeKb: Math.max(0, Math.round(raw.size ?? 0)),
    pushedAt: raw.pushed_at,
    htmlUrl: raw.html_url,
  };
}

/**
 * GitHub's REST API through octokit, with the user's token per call (never kept, except as a
 * hash keying their login and organisations for a few minutes). No retries underneath: the
 * person retries, or the browser does.
 */
export class GitHubApi {
  readonly #accounts = new Map<string, { login: string; orgs: string[]; until: number }>();

  constructor(private readonly config: GitHubConfig) {}

  #octokit(token: string): Octokit {
    return new Octokit({
      auth: token,
      baseUrl: this.config.apiUrl,
      userAgent: 'remote-chat',
      // Octokit's own deprecation notes would go to the console; there is nothing to tell there.
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  }

  async user(token: string): Promise<GitHubUser> {
    try {
      const { data } = await this.#octokit(token).request('GET /user');
      return { login: data.login, name: data.name ?? null, avatarUrl: data.avatar_url ?? null };
    } catch (error) {
      throw gitHubError(error, 'your GitHub account');
    }
  }

  /**
   * The user's and their organisations' repositories, most recently pushed first; with `q`, a
   * search of their names among the user's and their organisations' repositories.
   */
  async repos(token: string, q: string, page: number): Promise<GitHubRepoPage> {
    const octokit = this.#octokit(token);
    try {
      if (q === '') {
        const response = await octokit.request('GET /user/repos', {
          sort: 'pushed',
          affiliation: 'owner,collaborator,organization_member',
          per_page: REPOS_PER_PAGE,
          page,
        });
        return { repos: (response.data as RawRepo[]).map(toRepo), nextPage: nextPage(response.headers.link) };
      }
      const account = await this.#account(token, octokit);
      const owners = [`user:${account.login}`, ...account.orgs.map((org) => `org:${org}`)];
      const words = q.replace(/[^\p{L}\p{N}_.\- ]/gu, ' ').trim();
      const response = await octokit.request('GET /search/repositories', {
        q: `${words} in:name fork:true ${owners.join(' ')}`,
        per_page: REPOS_PER_PAGE,
        page,
      });
      return {
        repos: (response.data.items as RawRepo[]).map(toRepo),
        nextPage: nextPage(response.headers.link),
      };
    } catch (error) {
      throw gitHubError(error, 'the repository list');
    }
  }

  async repo(token: string | undefined, fullName: string): Promise<GitHubRepo> {
    const [owner = '', repo = ''] = fullName.split('/');
    try {
      const { data } = await this.#octokit(token ?? '').request('GET /repos/{owner}/{repo}', { owner, repo });
      return toRepo(data as RawRepo);
    } catch (error) {
      throw gitHubError(error, `repository ${fullName}`);
    }
  }

  async branches(token: string, fullName: string, page: number): Promise<GitHubBranchPage> {
    const [owner = '', repo = ''] = fullName.split('/');
    try {
      const response = await this.#octokit(token).request('GET /repos/{owner}/{repo}/branches', {
        owner,
        repo,
        per_page: BRANCHES_PER_PAGE,
        page,
      });
      return { branches: response.data.map((b) => b.name), nextPage: nextPage(response.headers.link) };
    } catch (error) {
      throw gitHubError(error, `repository ${fullName}`);
    }
  }

  /** Whether a branch exists (false when GitHub says 404). */
  async hasBranch(token: string | undefined, fullName: string, branch: string): Promise<boolean> {
    const [owner = '', repo = ''] = fullName.split('/');
    try {
      await this.#octokit(token ?? '').request('GET /repos/{owner}/{repo}/branches/{branch}', { owner, repo, branch });
      return true;
    } catch (error) {
      if ((error as GitHubFailure).status === 404) return false;
      throw gitHubError(error, `branch ${branch} of ${fullName}`);
    }
  }

  /** Open issues (pull requests left out), newest first; with `q`, those whose title or body match. */
  async issues(token: string, fullName: string, q: string, page: number): Promise<GitHubIssuePage> {
    const [owner = '', repo = ''] = fullName.split('/');
    const octokit = this.#octokit(token);
    try {
      const response =
        q === ''
          ? await octokit.request('GET /repos/{owner}/{repo}/issues', {
              owner,
              repo,
              state: 'open',
              per_page: ISSUES_PER_PAGE,
              page,
            })
          : await octokit.request('GET /search/issues', {
              q: `${q.replace(/[^\p{L}\p{N}_.\- ]/gu, ' ').trim()} repo:${fullName} is:issue is:open`,
              per_page: ISSUES_PER_PAGE,
              page,
            });
      const raw = (Array.isArray(response.data) ? response.data : response.data.items) as RawIssue[];
      return {
        issues: raw
          .filter((issue) => !issue.pull_request)
          .map((issue) => ({
            number: issue.number,
            title: issue.title,
            body: issue.body ?? null,
            htmlUrl: issue.html_url,
          })),
        nextPage: nextPage(response.headers.link),
      };
    } catch (error) {
      throw gitHubError(error, `issues of ${fullName}`);
    }
  }

  /** The token's login and organisations, for search qualifiers; kept briefly under a hash of the token. */
  async #account(token: string, octokit: Octokit): Promise<{ login: string; orgs: string[] }> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    const known = this.#accounts.get(key);
    if (known && known.until > now) return known;
    const [user, orgs] = await Promise.all([
      octokit.request('GET /user'),
      octokit.request('GET /user/orgs', { per_page: 100 }),
    ]);
    const account = { login: user.data.login, orgs: orgs.data.map((org) => org.login), until: now + ACCOUNT_TTL_MS };
    if (this.#accounts.size >= ACCOUNT_CACHE_MAX) this.#accounts.clear();
    this.#accounts.set(key, account);
    return account;
  }
}
