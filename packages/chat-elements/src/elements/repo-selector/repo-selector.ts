import { consume } from '@lit/context';
import { Task } from '@lit/task';
import { LitElement, html, nothing, svg, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { describeError } from '../../client/errors.js';
import { configContext, type ConfigContextValue } from '../../context/config-context.js';
import { RcRepoChangeEvent } from '../../events/repo-change-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { repoSelectorStyles } from './repo-selector.styles.js';
import type { RepoSource, RepoSummary } from './repo-source.js';

let nextId = 0;

const repoIcon = svg`<path d="M2 2.5A2.5 2.5 0 0 1 4.5 0h8.75a.75.75 0 0 1 .75.75v12.5a.75.75 0 0 1-.75.75h-2.5a.75.75 0 0 1 0-1.5h1.75v-2h-8a1 1 0 0 0-.71 1.71.75.75 0 0 1-1.06 1.06A2.49 2.49 0 0 1 2 11.5Zm10.5-1h-8a1 1 0 0 0-1 1v6.71A2.49 2.49 0 0 1 4.5 9h8ZM5 12.25a.25.25 0 0 1 .25-.25h3.5a.25.25 0 0 1 .25.25v3.25a.25.25 0 0 1-.4.2l-1.45-1.09a.25.25 0 0 0-.3 0L5.4 15.7a.25.25 0 0 1-.4-.2Z"/>`;

/**
 * @summary Picks the GitHub repository (and branch) a new runtime clones.
 *
 * It shows why it is unavailable when the BFF has no GitHub app configured (`disabled`, or
 * `github.enabled` false in the config), asks the user to sign in to GitHub, then lists the
 * repositories with a search box and offers the branches of the one picked. All GitHub access
 * goes through `source`.
 *
 * @fires rc-repo-change - {@link RcRepoChangeEvent} `{ repo, branch }` when the user picks a
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

  private readonly signedInTask = new Task(this, {
    task: async ([source, open], { signal }): Promise<boolean> =>
      open && source ? source.isSignedIn({ signal }) : false,
    args: () => [this.source, this.open && !this.unavailable] as const,
  });

  private readonly reposTask = new Task(this, {
    task: async ([source, signedIn, query], { signal }): Promise<RepoSummary[]> =>
      source && signedIn ? source.listRepos({ query, signal }) : [],
    args: () => [this.source, this.signedInTask.value === true && this.open, this._query] as const,
  });

  private readonly branchesTask = new Task(this, {
    task: async ([source, repo], { signal }): Promise<string[]> =>
      source && repo ? source.listBranches(repo, { signal }) : [],
    args: () => [this.source, this._pendingRepo?.fullName] as const,
  });

  @state() private _query = '';
  @state() private _pendingRepo: RepoSummary | null = null;
  @state() private _branch = '';
  @state() private _signingIn = false;
  @state() private _signInError = '';

  @consume({ context: configContext, subscribe: true })
  @state()
  private _config: ConfigContextValue;

  /** Where repositories and branches come from. Without one, the selector is unavailable. */
  @property({ attribute: false }) source: RepoSource | undefined;

  /** The chosen repository, `owner/name`. */
  @property() repo: string | null = null;

  /** The chosen branch; null for the default branch. */
  @property() branch: string | null = null;

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
  }

  override updated(changed: PropertyValues): void {
    if (changed.has('open')) {
      if (this.open) document.addEventListener('pointerdown', this.onDocumentPointerDown);
      else document.removeEventListener('pointerdown', this.onDocumentPointerDown);
    }
  }

  /** Why it can't be used, or an empty string when it can. */
  private get unavailableReason(): string {
    if (this.disabled) return this.reason || 'Choosing a repository is turned off here.';
    if (this._config && !this._config.github.enabled) {
      return "GitHub isn't set up on this server, so new runtimes start in an empty folder.";
    }
    if (!this.source) return "GitHub sign-in isn't available here, so new runtimes start in an empty folder.";
    return '';
  }

  private get unavailable(): boolean {
    return this.unavailableReason !== '';
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

  private async signIn(): Promise<void> {
    if (!this.source || this._signingIn) return;
    this._signingIn = true;
    this._signInError = '';
    try {
      await this.source.signIn();
      void this.signedInTask.run();
    } catch (error) {
      this._signInError = describeError(error);
    } finally {
      this._signingIn = false;
    }
  }

  private pickRepo(repo: RepoSummary): void {
    this._pendingRepo = repo;
    this._branch = repo.fullName === this.repo && this.branch ? this.branch : repo.defaultBranch;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('select, .back')?.focus());
  }

  private confirm(): void {
    const repo = this._pendingRepo;
    if (!repo) return;
    this.repo = repo.fullName;
    this.branch = this._branch && this._branch !== repo.defaultBranch ? this._branch : null;
    this._pendingRepo = null;
    this.open = false;
    this.dispatchEvent(new RcRepoChangeEvent({ repo: this.repo, branch: this.branch }));
    this.renderRoot.querySelector<HTMLElement>('.trigger')?.focus();
  }

  private clear(): void {
    this.repo = null;
    this.branch = null;
    this.open = false;
    this.dispatchEvent(new RcRepoChangeEvent({ repo: null, branch: null }));
    this.renderRoot.querySelector<HTMLElement>('.trigger')?.focus();
  }

  private toggle(): void {
    this.open = !this.open;
    if (this.open) {
      this._pendingRepo = null;
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
    if (this._pendingRepo) return this.renderBranches(this._pendingRepo);
    return this.signedInTask.render({
      pending: () =>
        html`<p class="status" role="status"><span class="spinner" aria-hidden="true"></span> Checking GitHub…</p>`,
      error: (error) => this.renderError(error, () => void this.signedInTask.run()),
      complete: (signedIn) => (signedIn ? this.renderRepos() : this.renderSignIn()),
    });
  }

  private renderSignIn() {
    return html`
      <h2>Sign in to GitHub</h2>
      <p class="explain">Sign in to pick a repository to clone. The token stays in this browser.</p>
      ${this._signInError ? html`<p class="alert" role="alert">${this._signInError}</p>` : nothing}
      <div class="actions">
        <button class="button primary" type="button" aria-disabled=${this._signingIn ? 'true' : 'false'} @click=${this.signIn}>
          ${this._signingIn ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Sign in with GitHub
        </button>
      </div>
    `;
  }

  private renderRepos() {
    return html`
      <label class="visually-hidden" for="${this.uid}-search">Search repositories</label>
      <input
        id="${this.uid}-search"
        class="search"
        type="search"
        placeholder="Search repositories"
        autocomplete="off"
        .value=${this._query}
        @input=${this.onSearchInput}
      />
      ${this.reposTask.render({
        pending: () =>
          html`<p class="status" role="status"><span class="spinner" aria-hidden="true"></span> Loading repositories…</p>`,
        error: (error) => this.renderError(error, () => void this.reposTask.run()),
        complete: (repos) =>
          repos.length === 0
            ? html`<p class="explain" role="status">${this._query ? `No repository matches “${this._query}”.` : 'No repositories.'}</p>`
            : html`
                <ul class="repos" aria-label="Repositories">
                  ${repos.map(
                    (repo) => html`
                      <li>
                        <button
                          class="repo"
                          type="button"
                          aria-current=${repo.fullName === this.repo ? 'true' : 'false'}
                          @click=${() => this.pickRepo(repo)}
                        >
                          <span class="repo-name">${repo.fullName}${repo.private ? html`<span class="badge">private</span>` : nothing}</span>
                          ${repo.description ? html`<span class="repo-description">${repo.description}</span>` : nothing}
                        </button>
                      </li>
                    `,
                  )}
                </ul>
              `,
      })}
      ${
        this.repo
          ? html`<div class="actions"><button class="button quiet" type="button" @click=${this.clear}>Use no repository</button></div>`
          : nothing
      }
    `;
  }

  private renderBranches(repo: RepoSummary) {
    return html`
      <h2>${repo.fullName}</h2>
      ${this.branchesTask.render({
        pending: () =>
          html`<p class="status" role="status"><span class="spinner" aria-hidden="true"></span> Loading branches…</p>`,
        error: (error) => this.renderError(error, () => void this.branchesTask.run()),
        complete: (branches) => html`
          <label class="field">
            Branch
            <select @change=${(e: Event) => (this._branch = (e.target as HTMLSelectElement).value)}>
              ${(branches.includes(repo.defaultBranch) ? branches : [repo.defaultBranch, ...branches]).map(
                (name) => html`<option value=${name} ?selected=${name === this._branch}>
                  ${name}${name === repo.defaultBranch ? ' (default)' : ''}
                </option>`,
              )}
            </select>
          </label>
        `,
      })}
      <div class="actions">
        <button class="button back" type="button" @click=${() => (this._pendingRepo = null)}>Back</button>
        <button class="button primary" type="button" @click=${this.confirm}>Use repository</button>
      </div>
    `;
  }

  private renderError(error: unknown, retry: () => void) {
    return html`
      <p class="alert" role="alert">${describeError(error)}</p>
      <div class="actions"><button class="button" type="button" @click=${retry}>Try again</button></div>
    `;
  }

  override render() {
    const reason = this.unavailableReason;
    const label = this.repo ? `${this.repo}${this.branch ? ` · ${this.branch}` : ''}` : 'Select repository';
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
