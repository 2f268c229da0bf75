import {
  GitHubBranchPageSchema,
  GitHubIssuePageSchema,
  GitHubRepoPageSchema,
  type GitHubRepoPage,
} from '@remote-chat/protocol';
import { expect, test } from 'vitest';
import { startTestBff } from './support/bff.js';
import type { StandinRepo } from './support/github-standin.js';
import { APP_REPO, startGitHubWorld } from './support/github-world.js';

/** Thousands of repositories across the user and an organisation. */
const MANY: StandinRepo[] = Array.from({ length: 2500 }, (_, i) => ({
  fullName: `${i % 2 === 0 ? 'octo' : 'acme'}/project-${String(i).padStart(4, '0')}`,
  private: i % 3 === 0,
}));

test('lists thousands of repositories a page at a time, and searches them by name', async () => {
  const { github, bff } = await startGitHubWorld({ extraRepos: MANY });
  const token = github.issueToken();
  const get = async (path: string) => {
    const response = await bff.api(path, { headers: { 'x-github-token': token } });
    expect(response.status).toBe(200);
    return GitHubRepoPageSchema.parse(await response.json());
  };
  const first = await get('/api/github/repos');
  expect(first.repos).toHaveLength(30);
  expect(first.nextPage).toBe(2);
  const second = await get('/api/github/repos?page=2');
  expect(second.repos).toHaveLength(30);
  expect(second.repos.map((r) => r.fullName)).not.toContain(first.repos[0]!.fullName);
  const last = await get('/api/github/repos?page=84');
  expect(last.nextPage).toBeNull();
  expect(last.repos.length).toBe(2502 - 83 * 30);

  const found: GitHubRepoPage = await get('/api/github/repos?q=project-123');
  expect(found.repos.map((r) => r.fullName).sort()).toEqual(
    ['acme/project-1231', 'acme/project-1233', 'acme/project-1235', 'acme/project-1237', 'acme/project-1239']
      .concat(['octo/project-1230', 'octo/project-1232', 'octo/project-1234', 'octo/project-1236', 'octo/project-1238'])
      .sort(),
  );
  const app = (await get('/api/github/repos?q=app')).repos.find((r) => r.fullName === APP_REPO);
  expect(app).toMatchObject({ private: true, defaultBranch: 'main', sizeKb: 300 });
  // The search asked GitHub within the user's and their organisations' repositories.
  expect(github.requests.some((r) => r.startsWith('GET /api/v3/search/repositories') && r.includes('org%3Aacme'))).toBe(
    true,
  );
});

test('lists a repository’s branches and its open issues without pull requests', async () => {
  const { github, bff } = await startGitHubWorld();
  const headers = { 'x-github-token': github.issueToken() };
  const branches = GitHubBranchPageSchema.parse(
    await (await bff.api(`/api/github/repos/${APP_REPO}/branches`, { headers })).json(),
  );
  expect(branches).toEqual({ branches: ['main', 'feature', 'release/1.0'], nextPage: null });
  const issues = GitHubIssuePageSchema.parse(
    await (await bff.api(`/api/github/repos/${APP_REPO}/issues`, { headers })).json(),
  );
  expect(issues.issues.map((i) => i.number)).toEqual([9, 7]);
  expect(issues.issues[1]).toEqual({
    number: 7,
    title: 'Crash on start',
    body: 'It crashes when started without a config.',
    htmlUrl: `${github.url}/${APP_REPO}/issues/7`,
  });
  const searched = GitHubIssuePageSchema.parse(
    await (await bff.api(`/api/github/repos/${APP_REPO}/issues?q=crash`, { headers })).json(),
  );
  expect(searched.issues.map((i) => i.number)).toEqual([7]);
});

test('a revoked token, a missing one and a used-up rate limit get their own error codes', async () => {
  const { github, bff } = await startGitHubWorld();
  const token = github.issueToken();
  const missing = await bff.api('/api/github/repos');
  expect(missing.status).toBe(403);
  expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('github_unauthorized');

  github.revoke(token);
  const revoked = await bff.api('/api/github/user', { headers: { 'x-github-token': token } });
  expect(revoked.status).toBe(403);
  const body = (await revoked.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('github_unauthorized');
  expect(body.error.message).toMatch(/sign in to GitHub again/);

  const limited = github.issueToken();
  github.exhaustRateLimit(limited);
  const refused = await bff.api('/api/github/repos', { headers: { 'x-github-token': limited } });
  expect(refused.status).toBe(429);
  const error = ((await refused.json()) as { error: { code: string; data: { resetAt: string } } }).error;
  expect(error.code).toBe('github_rate_limited');
  expect(error.data.resetAt).toBe(new Date(github.resetAt * 1000).toISOString());

  const unknown = await bff.api('/api/github/repos/acme/nothing-here/branches', {
    headers: { 'x-github-token': github.issueToken() },
  });
  expect(unknown.status).toBe(404);
});

test('GitHub routes need a Remote Chat sign-in too, and say when GitHub cannot be reached', async () => {
  const { github, bff } = await startGitHubWorld();
  const anonymous = await fetch(`${bff.url}/api/github/user`, { headers: { 'x-github-token': github.issueToken() } });
  expect(anonymous.status).toBe(401);
  await github.close();
  const down = await bff.api('/api/github/user', { headers: { 'x-github-token': 'gho_whatever' } });
  expect(down.status).toBe(502);
  expect(((await down.json()) as { error: { code: string; message: string } }).error).toMatchObject({
    code: 'github_unavailable',
    message: 'GitHub cannot be reached from the server; try again in a moment.',
  });
});

test('without GitHub configured, config says so and its routes say how to set it up', async () => {
  const bff = await startTestBff();
  const config = (await (await bff.api('/api/config')).json()) as { github: unknown };
  expect(config.github).toEqual({ enabled: false });
  const repos = await bff.api('/api/github/repos', { headers: { 'x-github-token': 'gho_x' } });
  expect(repos.status).toBe(404);
  expect(((await repos.json()) as { error: { message: string } }).error.message).toMatch(
    /REMOTE_CHAT_GITHUB_CLIENT_ID/,
  );
});

test('a page on an allowed origin may send the GitHub token header', async () => {
  const { bff } = await startGitHubWorld({ bff: { allowedOrigins: ['https://host.example'] } });
  const preflight = await fetch(`${bff.url}/api/github/repos`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://host.example',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization, x-github-token',
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-github-token');
});
