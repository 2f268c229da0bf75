import type { ServerOptions } from '@remote-chat/bff';
import { onTestFinished } from 'vitest';
import { startTestBff, type TestBff } from './bff.js';
import { startGitHttpServer, type GitHttpServer, type GitRepoSpec } from './git-http-server.js';
import {
  startGitHubStandin,
  type GitHubStandin,
  type GitHubStandinOptions,
  type StandinRepo,
} from './github-standin.js';

export const CLIENT_ID = 'Iv1.standin0client';
export const CLIENT_SECRET = 'standin-client-secret-0123456789';

/** The private repository both stand-ins serve: three branches, issues with a pull request mixed in. */
export const APP_REPO = 'acme/app';
export const APP_BRANCHES: GitRepoSpec['branches'] = {
  main: { 'README.md': '# app\n' },
  feature: { 'feature.txt': 'feature work\n' },
  'release/1.0': { 'RELEASE.md': 'one point oh\n' },
};
export const APP_ISSUES: NonNullable<StandinRepo['issues']> = [
  { number: 7, title: 'Crash on start', body: 'It crashes when started without a config.' },
  { number: 8, title: 'Add dark mode', body: 'Please.', pullRequest: true },
  { number: 9, title: 'Typo in README', body: null },
];

/** GitHub (API and OAuth), a git server that checks its tokens, and a BFF configured for both. */
export interface GitHubWorld {
  github: GitHubStandin;
  git: GitHttpServer;
  bff: TestBff;
}

export async function startGitHubWorld(
  options: {
    /** More repositories for the API only (listing and search). */
    extraRepos?: StandinRepo[];
    standin?: Partial<GitHubStandinOptions>;
    bff?: Partial<ServerOptions>;
    maxRepoMb?: number;
  } = {},
): Promise<GitHubWorld> {
  const gitRepos: GitRepoSpec[] = [
    { fullName: APP_REPO, private: true, branches: APP_BRANCHES },
    { fullName: 'acme/public-lib', private: false, branches: { main: { 'lib.txt': 'shared\n' } } },
  ];
  const apiRepos: StandinRepo[] = [
    { fullName: APP_REPO, private: true, branches: Object.keys(APP_BRANCHES), sizeKb: 300, issues: APP_ISSUES },
    { fullName: 'acme/public-lib', private: false, branches: ['main'] },
    ...(options.extraRepos ?? []),
  ];
  const github = await startGitHubStandin({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    orgs: ['acme'],
    repos: apiRepos,
    ...options.standin,
  });
  onTestFinished(() => github.close());
  const git = await startGitHttpServer({ repos: gitRepos, allows: (token, repo) => github.allows(token, repo) });
  onTestFinished(() => git.close());
  const bff = await startTestBff({
    github: {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webUrl: github.url,
      apiUrl: github.apiUrl,
      maxRepoMb: options.maxRepoMb ?? 1024,
    },
    // The git server stands in for GitHub's git host.
    gitBaseUrl: git.url,
    ...options.bff,
  });
  return { github, git, bff };
}
