import { z } from 'zod';
import { ConfigError } from '../gateway/gateway-config.js';

/** GitHub through the BFF: the OAuth app (or GitHub App) and where GitHub is. */
export interface GitHubConfig {
  /** The OAuth app's (or GitHub App's) client id. */
  clientId: string;
  /** Its client secret: used for the code exchange only, never logged. */
  clientSecret: string;
  /** The web host: sign-in, pull request links, and where `clone` clones from. @default 'https://github.com' */
  webUrl: string;
  /** The REST API (GitHub Enterprise Server: `https://HOST/api/v3`). @default 'https://api.github.com' */
  apiUrl: string;
  /** Repositories larger than this fail the `clone` step before cloning. @default 1024 */
  maxRepoMb: number;
}

/** The environment variables of each setting. */
export const GITHUB_ENV = {
  clientId: 'REMOTE_CHAT_GITHUB_CLIENT_ID',
  clientSecret: 'REMOTE_CHAT_GITHUB_CLIENT_SECRET',
  webUrl: 'REMOTE_CHAT_GITHUB_URL',
  apiUrl: 'REMOTE_CHAT_GITHUB_API_URL',
  maxRepoMb: 'REMOTE_CHAT_GITHUB_MAX_REPO_MB',
} as const;

const HttpUrlSchema = z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, ''));

const GitHubConfigSchema = z.object({
  clientId: z.string().trim().min(1).max(200),
  clientSecret: z.string().trim().min(1).max(500),
  webUrl: HttpUrlSchema.default('https://github.com'),
  apiUrl: HttpUrlSchema.default('https://api.github.com'),
  maxRepoMb: z.coerce.number().positive().max(1_000_000).default(1024),
});

/**
 * GitHub's settings from the environment, or undefined when no client id is set (GitHub sign-in
 * off; a repository can still be cloned if it is public, from `REMOTE_CHAT_GITHUB_URL`). A wrong
 * value throws a ConfigError naming its variable.
 */
export function loadGitHubConfig(env: NodeJS.ProcessEnv): GitHubConfig | undefined {
  const raw = Object.fromEntries(
    Object.entries(GITHUB_ENV).flatMap(([key, name]) => (env[name]?.trim() ? [[key, env[name]]] : [])),
  );
  if (raw.clientId === undefined && raw.clientSecret === undefined) return undefined;
  const parsed = GitHubConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = GITHUB_ENV[issue.path[0] as keyof typeof GITHUB_ENV] ?? 'GitHub setting';
    throw new ConfigError(`${name}: ${issue.message}`);
  }
  return parsed.data;
}
