import { RemoteChatError } from '../errors.js';
import type { CloneSource } from '../providers/provider.js';
import type { GitHubApi } from './github-api.js';

/**
 * What the `clone` step asks GitHub before cloning: that the repository is there for this token,
 * no larger than the limit (from the API's size, so nothing is downloaded first), and that the
 * branch still exists. Throws an error whose message says what to do.
 */
export function cloneCheck(api: GitHubApi, maxRepoKb: number): (source: CloneSource) => Promise<void> {
  return async (source) => {
    const fail = (error: unknown): never => {
      const known = error instanceof RemoteChatError ? error : null;
      if (known?.code === 'not_found')
        throw new Error(
          `No access to ${source.repo}: it does not exist, or your GitHub account cannot see it. Sign in to GitHub with an account that can, or pick another repository.`,
        );
      throw new Error(`Cannot clone ${source.repo}: ${known?.message ?? String(error)}`);
    };
    const repo = await api.repo(source.token, source.repo).catch(fail);
    if (repo.sizeKb > maxRepoKb) {
      const mb = (kb: number) => `${Number((kb / 1024).toFixed(kb < 10 * 1024 ? 1 : 0))} MB`;
      throw new Error(
        `${source.repo} is too large to clone here: about ${mb(repo.sizeKb)}, and this server clones repositories up to ${mb(maxRepoKb)} (REMOTE_CHAT_GITHUB_MAX_REPO_MB).`,
      );
    }
    if (source.branch && !(await api.hasBranch(source.token, source.repo, source.branch).catch(fail)))
      throw new Error(
        `Branch ${source.branch} is gone from ${source.repo} (deleted or renamed): pick another branch, or the default (${repo.defaultBranch}).`,
      );
  };
}
