import type { GitHubIssue } from '@remote-chat/protocol';

export interface RepoChangeDetail {
  /** `owner/name`, or null when the user cleared the choice. */
  readonly repo: string | null;
  /** The branch to check out; null for the repository's default branch. */
  readonly branch: string | null;
  /** The open issue of `repo` a new thread starts from, if the user picked one. */
  readonly issue?: GitHubIssue | null;
}

/** The user picked a repository (and branch), or cleared the choice. */
export class RcRepoChangeEvent extends Event {
  static readonly eventName = 'rc-repo-change';
  readonly detail: RepoChangeDetail;

  constructor(detail: RepoChangeDetail) {
    super(RcRepoChangeEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'rc-repo-change': RcRepoChangeEvent;
  }
}
