import { consume } from '@lit/context';
import { LitElement, html, nothing, svg, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { GitHubIssue, GitHubRepo } from '@remote-chat/protocol';
import { describeError } from '../../client/errors.js';
import { configContext, type ConfigContextValue } from '../../context/config-context.js';
import { PagedListController } from '../../controllers/paged-list-controller.js';
import { RcRepoChangeEvent } from '../../events/repo-change-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { keep, readKept } from '../../util/storage.js';
import { repoSelectorStyles } from './repo-selector.styles.js';
import { GitHubSignedOutError, type RepoSource } from './repo-source.js';

let nextId = 0;

/** How many recent choices are remembered. */
const RECENT_LIMIT = 5;

/** A recent choice: the repository as it was listed, and the branch picked. */
interface RecentChoice {
  repo: GitHubRepo;
  branch: string | null;
}

const repoIcon = svg`<path d="M2 2.5A2.5 2.5 0 0 1 4.5 0h8.75a.75.75 0 0 1 .75.75v12.5a.75.75 0 0 1-.75.75h-2.5a.75.75 0 0 1 0-1.5h1.75v-2h-8a1 1 0 0 0-.71 1.71.75.75 0 0 1-1.06 1.06A2.49 2.49 0 0 1 2 11.5Zm10.5-1h-8a1 1 0 0 0-1 1v6.71A2.49 2.49 0 0 1 4.5 9h8ZM5 12.25a.25.25 0 0 1 .25-.25h3.5a.25.25 0 0 1 .25.25v3.25a.25.25 0 0 1-.4.2l-1.45-1.09a.25.25 0 0 0-.3 0L5.4 15.7a.25.25 0 0 1-.4-.2Z"/>`;

/** The sentence the selector shows where GitHub is not configured on the BFF. */
export const GITHUB_NOT_CONFIGURED =
  "GitHub isn't set up on this server, so new runtimes start in an empty folder. To set it up, register a GitHub OAuth app and start the server with REMOTE_CHAT_GITHUB_CLIENT_ID and REMOTE_CHAT_GITHUB_CLIENT_SECRET (see the README).";

/**
 * @summary Picks the GitHub repository (and branch, and optionally an open issue) a new runtime
 * clones.
 *
 * It shows why it is unavailable when the BFF has no GitHub app configured (`disabled`, or
 * `github.enabled` false in the config: then it says which settings switch it on), asks the user
 * to sign in to GitHub (a popup; a blocked popup is offered as a link), then lists the
 * repositories with a search box (as you type), a page at a time (more on scrolling to the end,
 * or with Load more), private ones marked and recent choices first; then the branches of the one
 * picked, its default preselected, and its open issues to start a thread from. All GitHub access
 * goes through `source`; a sign-in that expired or was revoked brings back the sign-in, saying so.
 *
 * @fires rc-repo-change - {@link RcRepoChangeEvent} `{ repo, branch, issue }` when the user picks a
 *   repository or clears the choice.
 *
 * @csspart base - The wrapper of the trigger and the panel.
 * @csspart trigger - The button that opens the panel.
 * @csspart panel - The panel with the sign-in, the list or the branch choice.
 *
 * @cssprop --rc-color-surface-raised - Background of the panel.
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default).
 */
export class RcRepoSelector extends LitElement {
  static override styles = [themeStyles, sharedStyles, repoSelectorStyles];

  private readonly uid = `rc-repo-selector-${nextId++}`;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private issueTimer: ReturnType<typeof setTimeout> | undefined;
  private signInAbort: AbortController | undefined;

  private readonly repos = new PagedListController<GitHubRepo>(this, async (query, page, signal) => {
    const result = await this.requireSource().listRepos({ query, page, signal });
    return { items: result.repos, nextPage: result.nextPage };
  });

  private readonly branches = new PagedListController<string>(this, async (repo, page, signal) => {
    const result = await this.requireSource().listBranches(repo, { page, signal });
    return { items: result.branches, nextPage: result.nextPage };
  });

  private readonly issues = new PagedListController<GitHubIssue>(this, async (key, page, signal) => {
    const [repo = '', query = ''] = JSON.parse(key) as [string, string];
    const source = this.requireSource();
    if (!source.listIssues) return { items: [], nextPage: null };
    const result = await source.listIssues(repo, { query, page, signal });
    return { items: result.issues, nextPage: result.nextPage };
  });

  /** Signed in to GitHub: undefined until the source answered. */
  @state() private _signedIn: boolean | undefined;
  @state() private _checkError = '';
  @state() private _query = '';
  @state() private _issueQuery = '';
  @state() private _pendingRepo: GitHubRepo | null = null;
  @state() private _branch = '';
  @state() private _pendingIssue: GitHubIssue | null = null;
  @state() private _signingIn = false;
  @state() private _signInError = '';
  /** The popup was blocked: the sign-in URL to offer as a link. */
  @state() private _blockedUrl = '';
  @state() private _recent: RecentChoice[] = [];

  @consume({ context: configContext, subscribe: true })
  @state()
  private _config: ConfigContextValue;

  /** Where repositories and branches come from. Without one, the selector is unavailable. */
  @property({ attribute: false }) source: RepoSource | undefined;

  /** The chosen repository, `owner/name`. */
  @property() repo: string | null = null;

  /** The chosen branch; null for the default branch. */
  @property() branch: string | null = null;

  /** The chosen issue a new thread starts from, if any. */
  @property({ attribute: false }) issue: GitHubIssue | null = null;

  /** Makes the selector unavailable, with `reason` saying why. */
  @property({ type: Boolean, reflect: true }) disabled = false;

  /** Why the selector is unavailable. */
  @property() reason = '';

  /** Whether the panel is open. */
  @property({ type: Boolean, reflect: true }) open = false;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('pointerdown', this.onDocumentPointerDown);
    clearTimeout(this.searchTimer);
    clearTimeout(this.issueTimer);
    this.signInAbort?.abort();
  }

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('source')) {
      this._signedIn = undefined;
      this.repos.reset();
      this.branches.reset();
      this.issues.reset();
      void this.readRecent();
    }
    if (!this.open || this.unavailable) return;
    if (this._signedIn === undefined && !this._checkError) void this.checkSignedIn();
    if (!this._signedIn) return;
    if (this._pendingRepo) {
      this.branches.load(this._pendingRepo.fullName);
      if (this.source?.listIssues) this.issues.load(JSON.stringify([this._pendingRepo.fullName, this._issueQuery]));
    } else {
      this.repos.load(this._query);
    }
  }

  override updated(changed: PropertyValues): void {
    if (changed.has('open')) {
      if (this.open) document.addEventListener('pointerdown', this.onDocumentPointerDown);
      else document.removeEventListener('pointerdown', this.onDocumentPointerDown);
    }
    // A list that lost its sign-in goes back to the sign-in, saying why.
    for (const list of [this.repos, this.branches, this.issues]) {
      if (list.error instanceof GitHubSignedOutError) this.signedOut(list.error.message);
    }
  }

  /** Why it can't be used, or an empty string when it can. */
  private get unavailableReason(): string {
    if (this.disabled) return this.reason || 'Choosing a repository is turned off here.';
    if (this._config && !this._config.github.enabled) return GITHUB_NOT_CONFIGURED;
    if (!this.source) return "GitHub sign-in isn't available here, so new runtimes start in an empty folder.";
    return '';
  }

  private get unavailable(): boolean {
    return this.unavailableReason !== '';
  }

  private requireSource(): RepoSource {
    if (!this.source) throw new Error('No GitHub here.');
    return this.source;
  }

  private async checkSignedIn(): Promise<void> {
    const source = this.source;
    if (!source) return;
    this._checkError = '';
    try {
      const signedIn = await source.isSignedIn({ signal: new AbortController().signal });
      if (source === this.source) this._signedIn = signedIn;
    } catch (error) {
      if (source !== this.source) return;
      // An expired sign-in is the sign-in again, saying why; anything else can be tried again.
      if (error instanceof GitHubSignedOutError) this.signedOut(error.message);
      else this._checkError = describeError(error);
    }
  }

  private signedOut(message: string): void {
    this._signedIn = false;
    this._signInError = message;
    this.repos.reset();
    this.branches.reset();
    this.issues.reset();
  }

  private get recentKey(): string {
    return `github-recent:${this.source?.key ?? ''}`;
  }

  private async readRecent(): Promise<void> {
    const key = this.recentKey;
    const kept = await readKept<RecentChoice[]>(key);
    if (key !== this.recentKey) return;
    this._recent = Array.isArray(kept) ? kept.filter((r) => typeof r?.repo?.fullName === 'string') : [];
  }

  private remember(choice: RecentChoice): void {
    const recent = [choice, ...this._recent.filter((r) => r.repo.fullName !== choice.repo.fullName)];
    this._recent = recent.slice(0, RECENT_LIMIT);
    void keep(this.recentKey, this._recent);
  }

  private readonly onDocumentPointerDown = (event: PointerEvent): void => {
    if (!event.composedPath().includes(this)) this.open = false;
  };

  private onKeyDown(event: KeyboardEvent): void {
    if (event.key !== 'Escape' || !this.open) return;
    event.stopPropagation();
    this.open = false;
    this.renderRoot.querySelector<HTMLElement>('.trigger')?.focus();
  }

  private onSearchInput(event: InputEvent): void {
    const value = (event.target as HTMLInputElement).value;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => (this._query = value.trim()), 250);
  }

  private onIssueSearchInput(event: InputEvent): void {
    const value = (event.target as HTMLInputElement).value;
    clearTimeout(this.issueTimer);
    this.issueTimer = setTimeout(() => (this._issueQuery = value.trim()), 250);
  }

  /** Reading on to the end of a list reads its next page. */
  private onListScroll(event: Event, list: PagedListController<unknown>): void {
    const box = event.currentTarget as HTMLElement;
    if (box.scrollTop + box.clientHeight >= box.scrollHeight - 48) list.more();
  }

  private async signIn(): Promise<void> {
    if (!this.source || this._signingIn) return;
    this._signingIn = true;
    this._signInError = '';
    this._blockedUrl = '';
    this.signInAbort?.abort();
    const abort = (this.signInAbort = new AbortController());
    try {
      await this.source.signIn({ signal: abort.signal, onBlocked: (url) => (this._blockedUrl = url) });
      this._signedIn = true;
      this._blockedUrl = '';
    } catch (error) {
      if (!abort.signal.aborted) this._signInError = describeError(error);
    } finally {
      if (this.signInAbort === abort) this._signingIn = false;
    }
  }

  private async signOut(): Promise<void> {
    await this.source?.signOut?.();
    this.signedOut('');
  }

  private pickRepo(repo: GitHubRepo, branch?: string | null): void {
    this._pendingRepo = repo;
    this._pendingIssue = repo.fullName === this.repo ? this.issue : null;
    this._issueQuery = '';
    this._branch = branch ?? (repo.fullName === this.repo && this.branch ? this.branch : repo.defaultBranch);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('select, .back')?.focus());
  }

  private confirm(): void {
    const repo = this._pendingRepo;
    if (!repo) return;
    this.repo = repo.fullName;
    this.branch = this._branch && this._branch !== repo.defaultBranch ? this._branch : null;
    this.issue = this._pendingIssue;
    this._pendingRepo = null;
    this.open = false;
    this.remember({ repo, branch: this.branch });
    this.dispatchEvent(new RcRepoChangeEvent({ repo: this.repo, branch: this.branch, issue: this.issue }));
    this.renderRoot.querySelector<HTMLElement>('.trigger')?.focus();
  }

  private clear(): void {
    this.repo = null;
    this.branch = null;
    this.issue = null;
    this.open = false;
    this.dispatchEvent(new RcRepoChangeEvent({ repo: null, branch: null, issue: null }));
    this.renderRoot.querySelector<HTMLElement>('.trigger')?.focus();
  }

  private toggle(): void {
    this.open = !this.open;
    if (this.open) {
      this._pendingRepo = null;
      if (this._checkError) this._checkError = '';
      // Into the panel: its first control, or the panel itself while it is still loading.
      void this.updateComplete.then(() => {
        const root = this.renderRoot;
        (
          root.querySelector<HTMLElement>('.panel input, .panel button:not([disabled])') ??
          root.querySelector<HTMLElement>('.panel')
        )?.focus();
      });
    }
  }

  private renderPanelContent() {
    const reason = this.unavailableReason;
    if (reason) return html`<p class="explain" id="${this.uid}-reason">${reason}</p>`;
    if (this._checkError) return this.renderError(this._checkError, () => void this.checkSignedIn());
    if (this._signedIn === undefined) return this.renderStatus('Checking GitHub…');
    if (!this._signedIn) return this.renderSignIn();
    if (this._pendingRepo) return this.renderBranches(this._pendingRepo);
    return this.renderRepos();
  }

  private renderStatus(text: string) {
    return html`<p class="status" role="status"><span class="spinner" aria-hidden="true"></span> ${text}</p>`;
  }

  private renderSignIn() {
    return html`
      <h2>Sign in to GitHub</h2>
      <p class="explain">Sign in to pick a repository to clone. The token stays in this browser.</p>
      ${this._signInError ? html`<p class="alert" role="alert">${this._signInError}</p>` : nothing}
      ${
        this._blockedUrl
          ? html`<p class="alert blocked" role="alert">
              Your browser blocked the sign-in window.
              <a href=${this._blockedUrl} target="rc-github-sign-in" rel="opener">Open GitHub sign-in</a>
            </p>`
          : nothing
      }
      <div class="actions">
        <button class="button primary" type="button" aria-disabled=${this._signingIn ? 'true' : 'false'} @click=${this.signIn}>
          ${this._signingIn ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Sign in with GitHub
        </button>
      </div>
    `;
  }

  private renderRepoButton(repo: GitHubRepo, branch?: string | null) {
    return html`
      <li>
        <button
          class="repo"
          type="button"
          aria-current=${repo.fullName === this.repo ? 'true' : 'false'}
          @click=${() => this.pickRepo(repo, branch)}
        >
          <span class="repo-name"
            >${repo.fullName}${branch ? html` <span class="muted">· ${branch}</span>` : nothing}${
              repo.private ? html`<span class="badge">private</span>` : nothing
            }</span
          >
          ${repo.description ? html`<span class="repo-description">${repo.description}</span>` : nothing}
        </button>
      </li>
    `;
  }

  /** The end of a paged list: loading, its error, or Load more. */
  private renderListEnd(list: PagedListController<unknown>, what: string) {
    if (list.loading) return this.renderStatus(`Loading ${what}…`);
    if (list.error) return this.renderError(describeError(list.error), () => list.retry());
    if (list.nextPage !== null) {
      return html`<div class="actions"><button class="button quiet more" type="button" @click=${() => list.more()}>
        Load more ${what}
      </button></div>`;
    }
    return nothing;
  }

  private renderRepos() {
    const recent = this._query ? [] : this._recent;
    const repos = this.repos;
    return html`
      <label class="visually-hidden" for="${this.uid}-search">Search repositories</label>
      <input
        id="${this.uid}-search"
        class="text-input search"
        type="search"
        placeholder="Search repositories"
        autocomplete="off"
        .value=${this._query}
        @input=${this.onSearchInput}
      />
      <div class="lists" @scroll=${(e: Event) => this.onListScroll(e, repos)}>
        ${
          recent.length
            ? html`<h3 class="list-title" id="${this.uid}-recent">Recent</h3>
              <ul class="repos" aria-labelledby="${this.uid}-recent">
                ${recent.map((r) => this.renderRepoButton(r.repo, r.branch))}
              </ul>
              <h3 class="list-title" id="${this.uid}-all">All repositories</h3>`
            : nothing
        }
        ${
          repos.loaded && repos.items.length === 0
            ? html`<p class="explain" role="status">${this._query ? `No repository matches “${this._query}”.` : 'No repositories.'}</p>`
            : html`<ul class="repos" aria-label="Repositories">${repos.items.map((repo) => this.renderRepoButton(repo))}</ul>`
        }
        ${this.renderListEnd(repos, 'repositories')}
      </div>
      <div class="actions">
        ${this.source?.signOut ? html`<button class="button quiet" type="button" @click=${this.signOut}>Sign out of GitHub</button>` : nothing}
        ${this.repo ? html`<button class="button quiet" type="button" @click=${this.clear}>Use no repository</button>` : nothing}
      </div>
    `;
  }

  private renderBranches(repo: GitHubRepo) {
    const names = this.branches.items.includes(repo.defaultBranch)
      ? this.branches.items
      : [repo.defaultBranch, ...this.branches.items];
    if (this._branch && !names.includes(this._branch)) names.push(this._branch);
    return html`
      <h2>${repo.fullName}${repo.private ? html`<span class="badge">private</span>` : nothing}</h2>
      <label class="field">
        Branch
        <select @change=${(e: Event) => (this._branch = (e.target as HTMLSelectElement).value)}>
          ${names.map(
            (name) => html`<option value=${name} ?selected=${name === this._branch}>
              ${name}${name === repo.defaultBranch ? ' (default)' : ''}
            </option>`,
          )}
        </select>
      </label>
      ${this.renderListEnd(this.branches, 'branches')}
      ${this.source?.listIssues ? this.renderIssues() : nothing}
      <div class="actions">
        <button class="button back" type="button" @click=${() => (this._pendingRepo = null)}>Back</button>
        <button class="button primary" type="button" @click=${this.confirm}>Use repository</button>
      </div>
    `;
  }

  private renderIssues() {
    const chosen = this._pendingIssue;
    const issues = this.issues;
    return html`
      <fieldset class="issues-field">
        <legend>Start from an issue <span class="muted">(optional)</span></legend>
        ${
          chosen
            ? html`<p class="chosen-issue">
                <span>${`#${chosen.number} ${chosen.title}`}</span>
                <button class="button quiet" type="button" @click=${() => (this._pendingIssue = null)}>No issue</button>
              </p>`
            : html`
              <label class="visually-hidden" for="${this.uid}-issue-search">Search open issues</label>
              <input
                id="${this.uid}-issue-search"
                class="text-input search"
                type="search"
                placeholder="Search open issues"
                autocomplete="off"
                .value=${this._issueQuery}
                @input=${this.onIssueSearchInput}
              />
              <div class="lists issues" @scroll=${(e: Event) => this.onListScroll(e, issues)}>
                ${
                  issues.loaded && issues.items.length === 0
                    ? html`<p class="explain" role="status">No open issues${this._issueQuery ? ` match “${this._issueQuery}”` : ''}.</p>`
                    : html`<ul class="repos" aria-label="Open issues">
                      ${issues.items.map(
                        (issue) => html`<li>
                          <button class="repo issue" type="button" @click=${() => (this._pendingIssue = issue)}>
                            <span class="repo-name">${`#${issue.number} ${issue.title}`}</span>
                          </button>
                        </li>`,
                      )}
                    </ul>`
                }
                ${this.renderListEnd(issues, 'issues')}
              </div>
            `
        }
      </fieldset>
    `;
  }

  private renderError(message: string, retry: () => void) {
    return html`
      <p class="alert" role="alert">${message}</p>
      <div class="actions"><button class="button" type="button" @click=${retry}>Try again</button></div>
    `;
  }

  override render() {
    const reason = this.unavailableReason;
    const label = this.repo
      ? `${this.repo}${this.branch ? ` · ${this.branch}` : ''}${this.issue ? ` · #${this.issue.number}` : ''}`
      : 'Select repository';
    return html`
      <div class="base" part="base" @keydown=${this.onKeyDown}>
      <button
        class="button trigger"
        part="trigger"
        type="button"
        aria-expanded=${this.open ? 'true' : 'false'}
        aria-controls="${this.uid}-panel"
        aria-disabled=${reason ? 'true' : 'false'}
        aria-describedby=${reason ? `${this.uid}-hint` : nothing}
        title=${reason || nothing}
        @click=${this.toggle}
      >
        <svg class="repo-icon" viewBox="0 0 16 16" aria-hidden="true">${repoIcon}</svg>
        <span class="trigger-label">${label}</span>
      </button>
      ${reason ? html`<span id="${this.uid}-hint" hidden>${reason}</span>` : nothing}
      <div id="${this.uid}-panel" class="panel" part="panel" tabindex="-1" ?hidden=${!this.open}>
        ${this.open ? this.renderPanelContent() : nothing}
      </div>
      </div>
    `;
  }
}
