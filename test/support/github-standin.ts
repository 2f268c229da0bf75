import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A repository as the stand-in's API lists it. */
export interface StandinRepo {
  /** `owner/name`: the owner is the user or one of `orgs`. */
  fullName: string;
  private?: boolean;
  /** @default the first of `branches` */
  defaultBranch?: string;
  /** @default ['main'] */
  branches?: string[];
  /** @default 120 (KB) */
  sizeKb?: number;
  description?: string | null;
  /** Issues and pull requests mixed, as GitHub's issues endpoint lists them. */
  issues?: Array<{ number: number; title: string; body?: string | null; pullRequest?: boolean; closed?: boolean }>;
}

export interface GitHubStandinOptions {
  clientId: string;
  clientSecret: string;
  user?: { login: string; name: string | null };
  orgs?: string[];
  repos: StandinRepo[];
  /** Requests a token may make per window. @default 5000 */
  rateLimit?: number;
  /** `/login/oauth/authorize` shows a page with an Authorize link instead of redirecting. @default false */
  authorizePage?: boolean;
  /**
   * A GitHub App's user-to-server tokens: the code exchange also answers `expires_in` (seconds)
   * and a refresh token, as GitHub does for an app with expiring tokens. @default an OAuth app's (none)
   */
  tokenExpiresIn?: number;
}

/** What `/login/oauth/authorize` was asked, for tests. */
export interface AuthorizeRequest {
  clientId: string | null;
  redirectUri: string | null;
  scope: string | null;
  state: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
}

export interface GitHubStandin {
  /** The web host (`REMOTE_CHAT_GITHUB_URL`). */
  url: string;
  /** The REST API (`REMOTE_CHAT_GITHUB_API_URL`), at `/api/v3` as on GitHub Enterprise Server. */
  apiUrl: string;
  authorizeRequests: AuthorizeRequest[];
  /** Every access token issued so far. */
  tokens: string[];
  /** Every request's method, path and query (never a body), for secrets checks. */
  requests: string[];
  /** A token the API takes without an OAuth dance. */
  issueToken(): string;
  /** Makes a token unknown (revoked). */
  revoke(token: string): void;
  /** Whether the token may read and push to `fullName` (for the git server). */
  allows(token: string, fullName: string): boolean;
  /** The token's next requests are refused for its rate limit, until `resetAt`. */
  exhaustRateLimit(token: string): void;
  /** When an exhausted limit resets (epoch seconds, as `x-ratelimit-reset`). */
  resetAt: number;
  close(): Promise<void>;
}

const PER_PAGE_MAX = 100;

/**
 * GitHub on loopback: the documented OAuth web flow (`/login/oauth/authorize`, which approves at
 * once and redirects back with `code` and `state`; `/login/oauth/access_token`, which checks the
 * client, the code, the redirect URI and the PKCE verifier) and the REST endpoints Remote Chat
 * uses, under `/api/v3`: user, the user's repositories and organisations, repository search,
 * repositories, branches, issues (pull requests mixed in) and issue search, with `Link` pagination,
 * rate-limit headers and GitHub's error bodies (401 Bad credentials, 404 Not Found, 403 rate limit).
 */
export async function startGitHubStandin(options: GitHubStandinOptions): Promise<GitHubStandin> {
  const user = options.user ?? { login: 'octo', name: 'Octo Cat' };
  const orgs = options.orgs ?? [];
  const limit = options.rateLimit ?? 5000;
  const repos = new Map(options.repos.map((repo) => [repo.fullName.toLowerCase(), repo]));
  const codes = new Map<string, { redirectUri: string | null; challenge: string | null; method: string | null }>();
  const tokens = new Map<string, { used: number }>();
  const authorizeRequests: AuthorizeRequest[] = [];
  const requests: string[] = [];
  const resetAt = Math.floor(Date.now() / 1000) + 3600;
  let base = '';

  const newToken = () => {
    const token = `gho_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
    tokens.set(token, { used: 0 });
    return token;
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if ((req.headers['content-type'] ?? '').includes('json')) return JSON.parse(text || '{}') as Record<string, string>;
    return Object.fromEntries(new URLSearchParams(text));
  }

  function authorize(url: URL, res: ServerResponse): void {
    const q = (name: string) => url.searchParams.get(name);
    authorizeRequests.push({
      clientId: q('client_id'),
      redirectUri: q('redirect_uri'),
      scope: q('scope'),
      state: q('state'),
      codeChallenge: q('code_challenge'),
      codeChallengeMethod: q('code_challenge_method'),
    });
    if (q('client_id') !== options.clientId || !q('redirect_uri')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    const code = randomBytes(10).toString('hex');
    codes.set(code, {
      redirectUri: q('redirect_uri'),
      challenge: q('code_challenge'),
      method: q('code_challenge_method'),
    });
    const back = new URL(q('redirect_uri')!);
    back.searchParams.set('code', code);
    if (q('state') !== null) back.searchParams.set('state', q('state')!);
    if (options.authorizePage) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Authorize</title><a id="authorize" href="${back.href}">Authorize</a>`);
      return;
    }
    res.writeHead(302, { location: back.href }).end();
  }

  async function accessToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const fail = (error: string, description: string) =>
      json(res, 200, { error, error_description: description, error_uri: 'https://docs.github.com/apps' });
    if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret)
      return fail('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    const grant = body.code ? codes.get(body.code) : undefined;
    if (!grant) return fail('bad_verification_code', 'The code passed is incorrect or expired.');
    codes.delete(body.code!);
    if (body.redirect_uri && body.redirect_uri !== grant.redirectUri)
      return fail(
        'redirect_uri_mismatch',
        'The redirect_uri MUST match the registered callback URL for this application.',
      );
    if (grant.challenge) {
      const verifier = body.code_verifier ?? '';
      const made = createHash('sha256').update(verifier).digest('base64url');
      if (grant.method !== 'S256' || made !== grant.challenge)
        return fail('invalid_grant', 'The code_verifier does not match the code_challenge.');
    }
    const expiring = options.tokenExpiresIn !== undefined && {
      expires_in: options.tokenExpiresIn,
      refresh_token: `ghr_${randomBytes(20).toString('hex')}`,
      refresh_token_expires_in: 15_811_200,
    };
    json(res, 200, { access_token: newToken(), token_type: 'bearer', scope: 'repo,read:org', ...expiring });
  }

  function repoJson(repo: StandinRepo) {
    const [owner] = repo.fullName.split('/');
    const branches = repo.branches ?? ['main'];
    return {
      id: Math.abs(hash(repo.fullName)),
      name: repo.fullName.split('/')[1],
      full_name: repo.fullName,
      owner: { login: owner, type: owner === user.login ? 'User' : 'Organization' },
      private: repo.private ?? false,
      description: repo.description ?? null,
      default_branch: repo.defaultBranch ?? branches[0],
      size: repo.sizeKb ?? 120,
      pushed_at: new Date(Date.UTC(2026, 0, 1) + (Math.abs(hash(repo.fullName)) % 1_000_000) * 1000).toISOString(),
      html_url: `${base}/${repo.fullName}`,
      clone_url: `${base}/${repo.fullName}.git`,
    };
  }

  /** One page of `items` with GitHub's `Link` header. */
  function page<T>(
    url: URL,
    items: T[],
    res: ServerResponse,
    headers: Record<string, string>,
    wrap?: (page: T[]) => unknown,
  ) {
    const perPage = Math.min(PER_PAGE_MAX, Number(url.searchParams.get('per_page') ?? 30) || 30);
    const number = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((number - 1) * perPage, number * perPage);
    const link = (n: number, rel: string) => {
      const next = new URL(url.href, base);
      next.searchParams.set('page', String(n));
      next.searchParams.set('per_page', String(perPage));
      return `<${base}${next.pathname}${next.search}>; rel="${rel}"`;
    };
    const links = [
      ...(number < last ? [link(number + 1, 'next'), link(last, 'last')] : []),
      ...(number > 1 ? [link(1, 'first'), link(number - 1, 'prev')] : []),
    ];
    json(res, 200, wrap ? wrap(slice) : slice, { ...headers, ...(links.length > 0 && { link: links.join(', ') }) });
  }

  function api(req: IncomingMessage, url: URL, res: ServerResponse) {
    const header = req.headers.authorization ?? '';
    const token = header.replace(/^(token|bearer)\s+/i, '');
    const account = tokens.get(token);
    const path = url.pathname.slice('/api/v3'.length);
    if (header === '') {
      // Anonymous, as GitHub: public repositories only; a private one is not found.
      const anonymous = /^\/repos\/([^/]+\/[^/]+)(\/.*)?$/.exec(path);
      const repo = anonymous ? repos.get(anonymous[1]!.toLowerCase()) : undefined;
      if (!anonymous) return json(res, 401, { message: 'Requires authentication' });
      if (!repo || repo.private) return json(res, 404, { message: 'Not Found' });
    } else if (!account) {
      return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    const used = account ? ++account.used : 0;
    const exhausted = used > limit;
    const rate = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - used)),
      'x-ratelimit-reset': String(resetAt),
      'x-ratelimit-used': String(Math.min(used, limit)),
      'x-ratelimit-resource': url.pathname.includes('/search/') ? 'search' : 'core',
    };
    if (exhausted)
      return json(
        res,
        403,
        {
          message: 'API rate limit exceeded for user ID 1.',
          documentation_url: 'https://docs.github.com/rest/rate-limit',
        },
        rate,
      );
    const visible = [...repos.values()];
    const notFound = () =>
      json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }, rate);
    if (path === '/user')
      return json(
        res,
        200,
        { login: user.login, id: 1, name: user.name, avatar_url: `${base}/avatars/${user.login}` },
        rate,
      );
    if (path === '/user/orgs')
      return page(
        url,
        orgs.map((login, i) => ({ login, id: 100 + i })),
        res,
        rate,
      );
    if (path === '/user/repos') {
      const sorted = [...visible].sort((a, b) => repoJson(b).pushed_at.localeCompare(repoJson(a).pushed_at));
      return page(url, sorted.map(repoJson), res, rate);
    }
    if (path === '/search/repositories') {
      const { text, qualifiers } = searchQuery(url.searchParams.get('q') ?? '');
      const owners = [...(qualifiers.get('user') ?? []), ...(qualifiers.get('org') ?? [])].map((o) => o.toLowerCase());
      const found = visible
        .filter((repo) => owners.length === 0 || owners.includes(repo.fullName.split('/')[0]!.toLowerCase()))
        .filter((repo) => repo.fullName.split('/')[1]!.toLowerCase().includes(text.toLowerCase()))
        .map(repoJson);
      return page(url, found, res, rate, (items) => ({ total_count: found.length, incomplete_results: false, items }));
    }
    if (path === '/search/issues') {
      const { text, qualifiers } = searchQuery(url.searchParams.get('q') ?? '');
      const repo = repos.get((qualifiers.get('repo')?.[0] ?? '').toLowerCase());
      if (!repo) return json(res, 422, { message: 'Validation Failed' }, rate);
      const found = issuesOf(repo)
        .filter((issue) => !(qualifiers.get('is') ?? []).includes('issue') || !issue.pull_request)
        .filter((issue) => issue.title.toLowerCase().includes(text.toLowerCase()));
      return page(url, found, res, rate, (items) => ({ total_count: found.length, incomplete_results: false, items }));
    }
    const repoMatch = /^\/repos\/([^/]+\/[^/]+)(\/.*)?$/.exec(path);
    const repo = repoMatch ? repos.get(repoMatch[1]!.toLowerCase()) : undefined;
    if (!repoMatch || !repo) return notFound();
    const rest = repoMatch[2] ?? '';
    if (rest === '') return json(res, 200, repoJson(repo), rate);
    const branches = repo.branches ?? ['main'];
    if (rest === '/branches')
      return page(
        url,
        branches.map((name) => ({ name, commit: { sha: hex(name) }, protected: false })),
        res,
        rate,
      );
    const branch = /^\/branches\/(.+)$/.exec(rest);
    if (branch) {
      const name = decodeURIComponent(branch[1]!);
      return branches.includes(name)
        ? json(res, 200, { name, commit: { sha: hex(name) }, protected: false }, rate)
        : notFound();
    }
    if (rest === '/issues') return page(url, issuesOf(repo), res, rate);
    return notFound();
  }

  function issuesOf(repo: StandinRepo) {
    return (repo.issues ?? [])
      .filter((issue) => !issue.closed)
      .sort((a, b) => b.number - a.number)
      .map((issue) => ({
        number: issue.number,
        title: issue.title,
        body: issue.body ?? null,
        state: 'open',
        html_url: `${base}/${repo.fullName}/${issue.pullRequest ? 'pull' : 'issues'}/${issue.number}`,
        ...(issue.pullRequest && {
          pull_request: { url: `${base}/api/v3/repos/${repo.fullName}/pulls/${issue.number}` },
        }),
      }));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') return authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      void accessToken(req, res).catch(() => json(res, 400, { error: 'bad_request' }));
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/api/v3/')) return api(req, url, res);
    json(res, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    apiUrl: `${base}/api/v3`,
    authorizeRequests,
    get tokens() {
      return [...tokens.keys()];
    },
    requests,
    issueToken: newToken,
    revoke: (token) => void tokens.delete(token),
    allows: (token, fullName) => tokens.has(token) && repos.has(fullName.toLowerCase()),
    exhaustRateLimit(token) {
      const account = tokens.get(token);
      if (account) account.used = limit;
    },
    resetAt,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `q` of GitHub's search: free text and `name:value` qualifiers. */
function searchQuery(q: string): { text: string; qualifiers: Map<string, string[]> } {
  const qualifiers = new Map<string, string[]>();
  const words: string[] = [];
  for (const word of q.split(/\s+/).filter(Boolean)) {
    const match = /^([a-z]+):(.+)$/.exec(word);
    if (match) qualifiers.set(match[1]!, [...(qualifiers.get(match[1]!) ?? []), match[2]!]);
    else words.push(word);
  }
  return { text: words.join(' '), qualifiers };
}

function hash(text: string): number {
  return createHash('sha1').update(text).digest().readInt32BE(0);
}

function hex(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
