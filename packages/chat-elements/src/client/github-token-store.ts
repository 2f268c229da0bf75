import type { GitHubTokenMessage } from '@remote-chat/protocol';
import { keep, readKept } from '../util/storage.js';

/** A GitHub token as this browser keeps it. */
export interface KeptGitHubToken {
  token: string;
  /** When it expires (GitHub App tokens); null when it does not. */
  expiresAt: string | null;
}

/**
 * The user's GitHub token, kept in this browser's IndexedDB (idb-keyval, the elements' own
 * `remote-chat` database) and nowhere else: one per BFF origin, so that two chat servers on one
 * page never share one. The BFF sees it only in the requests that need it.
 */
export class GitHubTokenStore {
  private readonly key: string;

  constructor(bffUrl: string) {
    this.key = `github-token:${bffUrl}`;
  }

  /** The kept token, or undefined (none, or it has expired: then it is forgotten). */
  async read(): Promise<string | undefined> {
    return (await this.status()).token;
  }

  /**
   * The kept token; without one, whether it was there but had expired (a GitHub App token after
   * its hours), so that the sign-in can say so. An expired token is forgotten as it is found.
   */
  async status(): Promise<{ token: string; expired?: never } | { token?: never; expired: boolean }> {
    const kept = await readKept<KeptGitHubToken>(this.key);
    if (!kept || typeof kept.token !== 'string') return { expired: false };
    if (kept.expiresAt && Date.parse(kept.expiresAt) <= Date.now()) {
      await this.forget();
      return { expired: true };
    }
    return { token: kept.token };
  }

  /** Keeps the token the sign-in popup sent. */
  async save(message: GitHubTokenMessage): Promise<void> {
    const kept: KeptGitHubToken = { token: message.token, expiresAt: message.expiresAt };
    await keep(this.key, kept);
  }

  /** Forgets it: sign-out, or GitHub no longer takes it. */
  async forget(): Promise<void> {
    await keep(this.key, undefined);
  }
}
