import { provide } from '@lit/context';
import { Task } from '@lit/task';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { classMap } from 'lit/directives/class-map.js';
import type { ConfigResponse, GitHubIssue, Runtime, Thread } from '@remote-chat/protocol';
import type { TokenProvider } from '../../client/bearer-token.js';
import { describeError } from '../../client/errors.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { clientContext } from '../../context/client-context.js';
import { configContext } from '../../context/config-context.js';
import { runtimeContext } from '../../context/runtime-context.js';
import { threadContext } from '../../context/thread-context.js';
import type { RcFirstChatEvent } from '../../events/first-chat-event.js';
import type { RcRepoChangeEvent } from '../../events/repo-change-event.js';
import type { RcRuntimeCreateEvent } from '../../events/runtime-create-event.js';
import type { RcRuntimeSelectEvent } from '../../events/runtime-select-event.js';
import type { RcThreadMoveEvent } from '../../events/thread-move-event.js';
import type { RcThreadSelectEvent } from '../../events/thread-select-event.js';
import { RcTokenExpiredEvent } from '../../events/token-expired-event.js';
import { loadGitHubElements } from '../../github-elements.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import type { RepoSource } from '../repo-selector/repo-source.js';
import { ClientController } from './client-controller.js';
import { remoteChatStyles } from './remote-chat.styles.js';
import { SelectionController } from './selection-controller.js';

let nextId = 0;

/**
 * @summary The whole chat: pick or create a runtime, watch it start, open a thread and talk to
 * its agent. Composes the other elements and gives them a client, the config, the selected
 * runtime and thread through `@lit/context`.
 *
 * It remembers the selected runtime and thread for the tab, so a reload shows the same thread.
 * With `url-state` it keeps them in the page's URL as well (`?runtime=…&thread=…`), so that a link
 * opens that thread wherever the user is signed in, and Back and Forward move between choices.
 * When a runtime it created becomes ready with no thread yet, it opens a new one.
 *
 * A user with no runtime yet gets a welcome that says what a runtime is and starts the first chat
 * in one click (a sandbox on the first sandbox provider); the keyboard has a "Skip to message box"
 * link ahead of the header.
 *
 * @example
 * ```html
 * <script type="module" src="https://chat.example.com/remote-chat.js"></script>
 * <remote-chat bff-url="https://chat.example.com"></remote-chat>
 * ```
 *
 * On a page of another origin than the BFF, the chat signs in with a client token that the host
 * site's backend gets for its user from the BFF's `POST /api/client-tokens`; the element waits
 * for one before it calls the BFF. Give it a `tokenProvider` that asks your backend, and the
 * element refreshes the token through it before it expires:
 *
 * ```js
 * document.querySelector('remote-chat').tokenProvider = async () => {
 *   const response = await fetch('/session/chat-token', { method: 'POST' });
 *   if (!response.ok) throw new Error(`chat token: ${response.status}`);
 *   return response.json(); // { token: 'rcc_…', expiresAt: '…' }
 * };
 * ```
 *
 * @fires rc-runtime-select - Bubbles up from the runtime picker.
 * @fires rc-thread-select - Bubbles up from the thread list.
 * @fires rc-thread-move - Bubbles up from the chat's "Continue on another runtime…"; the
 *   selection (and the URL) then follows the thread to its new runtime.
 * @fires rc-token-expired - {@link RcTokenExpiredEvent} when the token lapsed: the provider failed,
 * or the BFF refused even a fresh token. The element shows why, with a Try again button; setting
 * `token` or `tokenProvider` again also retries.
 *
 * @csspart base - The grid of header, sidebar and main area.
 * @csspart header - The header with the runtime picker, the repository selector and, on a thread
 *   whose runtime has a repository, "Push to branch…".
 * @csspart push-button - The "Push to branch…" button.
 * @csspart sidebar - The thread list and the sandbox log.
 * @csspart main - The chat.
 *
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default); `theme` sets it.
 * @cssprop --rc-color-bg - Background of the chat.
 * @cssprop --rc-color-surface - Background of the header and sidebar.
 * @cssprop --rc-color-text - Text colour.
 * @cssprop --rc-color-accent - Buttons, selection and links.
 * @cssprop --rc-font-family - Body font.
 * @cssprop --rc-radius - Corner radius.
 */
export class RemoteChatElement extends LitElement {
  static override styles = [themeStyles, sharedStyles, remoteChatStyles];

  private readonly uid = `remote-chat-${nextId++}`;

  private readonly clients = new ClientController(
    this,
    () => ({
      client: this.client,
      bffUrl: this.bffUrl || undefined,
      token: this.tokenProvider ?? (this.token || undefined),
    }),
    {
      onClient: (client) => (this._client = client),
      onTokenExpired: (event) => this.dispatchEvent(new RcTokenExpiredEvent(event.detail)),
      // The session ended: ask the BFF who we are, which shows the signed-out state.
      onSessionEnded: () => void this.configTask.run(),
      // A new token is the host's answer to a lapse: try with it at once.
      onTokenReplaced: () => {
        if (this.clients.tokenLapse || !this._config?.user) this.retryAfterLapse();
      },
    },
  );

  private readonly configTask = new Task(this, {
    task: async ([client], { signal }) => (client ? client.getConfig({ signal }) : undefined),
    args: () => [this._client] as const,
    onComplete: (config) => (this._config = config),
  });

  private readonly selection = new SelectionController(this);

  @state() private _repo: string | null = null;
  @state() private _branch: string | null = null;
  /** The issue the next new thread starts from. */
  @state() private _issue: GitHubIssue | null = null;
  /** The GitHub of this BFF, made (lazily) when it has GitHub and no `repoSource` was given. */
  @state() private _githubSource: RepoSource | undefined;
  @state() private _pushOpen = false;
  /** Whether the GitHub elements are defined (loaded when GitHub is on, or when first opened). */
  @state() private _githubElements = false;
  @state() private _githubLoadError = '';
  /** The issue of the runtime being created: its first thread starts from it. */
  private issueForCreate: { repo: string; issue: GitHubIssue } | undefined;
  /** The client `_githubSource` was made for. */
  private githubSourceClient: RemoteChatClient | undefined;
  @state() private _sidebarOpen = false;
  /** The one-click first chat: being made, and why it failed. */
  @state() private _starting = false;
  @state() private _startError = '';
  /** Why the last "Continue on another runtime…" failed. */
  @state() private _moveError = '';
  /** Whether `<rc-welcome>` is defined (its file is loaded for a user with no runtime yet). */
  @state() private _welcomeLoaded = false;
  /** Focus the message box once a thread is open (after the one-click first chat). */
  private focusWhenThread = false;

  @provide({ context: clientContext })
  @state()
  private _client: RemoteChatClient | undefined;

  @provide({ context: configContext })
  @state()
  private _config: ConfigResponse | undefined;

  @provide({ context: runtimeContext })
  @state()
  private _runtime: Runtime | undefined;

  @provide({ context: threadContext })
  @state()
  private _thread: Thread | undefined;

  /** The BFF's origin (and path prefix). The page's origin when empty. */
  @property({ attribute: 'bff-url' }) bffUrl = '';

  /**
   * Keep the selected runtime and thread in the page's URL (`?runtime=…&thread=…`, pushed to the
   * history when the user picks one): links to a thread work, and Back and Forward. Off by default,
   * as the page's URL is the host's; the portal turns it on.
   */
  @property({ type: Boolean, attribute: 'url-state' }) urlState = false;

  /** Forces `light` or `dark`; follows the system when unset. */
  @property({ reflect: true }) theme: 'light' | 'dark' | undefined;

  /**
   * A client token (`rcc_…`) from the host site's backend, for a page on another origin than the
   * BFF. It cannot be refreshed: prefer `tokenProvider`, or set a new one before it expires.
   */
  @property() token = '';

  /**
   * Gets a fresh client token from the host site's backend: `() => Promise<string>`, or
   * `() => Promise<{ token, expiresAt }>` (the BFF's answer passed through) so that it is
   * refreshed shortly before it expires. Called when the element needs a token, and once after
   * the BFF refused one. Takes precedence over `token`.
   */
  @property({ attribute: false }) tokenProvider: TokenProvider | undefined;

  /** A client to use instead of the one the element makes from `bff-url`. */
  @property({ attribute: false }) client: RemoteChatClient | undefined;

  /**
   * Where the repository selector gets GitHub repositories from. By default, when the BFF has
   * GitHub on, the BFF's (`GitHubRepoSource`: the token from a popup sign-in, kept in this
   * browser's IndexedDB per BFF).
   */
  @property({ attribute: false }) repoSource: RepoSource | undefined;

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('client') || changed.has('bffUrl') || changed.has('token') || changed.has('tokenProvider'))
      this.clients.update();
    this.selection.urlState = this.urlState;
    this.selection.sync(this._client, Boolean(this._config?.user));
    this.makeGitHubSource();
    if (this.selection.runtime !== this._runtime) this._runtime = this.selection.runtime;
    if (this.selection.thread !== this._thread) this._thread = this.selection.thread;
  }

  override updated(): void {
    if (this.focusWhenThread && this._thread) {
      this.focusWhenThread = false;
      void this.focusComposer();
    }
  }

  /** Where the repository selector, the runtime's clone and the push get GitHub from. */
  private get source(): RepoSource | undefined {
    return this.repoSource ?? this._githubSource;
  }

  /** With GitHub on the BFF and no `repoSource`: the BFF's GitHub, loaded when first needed. */
  private makeGitHubSource(): void {
    if (this._config?.github.enabled && !this._githubElements) void this.loadGitHub();
    const client = this._client;
    if (this.repoSource || !client || !this._config?.github.enabled || this.githubSourceClient === client) return;
    this.githubSourceClient = client;
    void import('../repo-selector/github-repo-source.js').then(({ GitHubRepoSource }) => {
      if (this.githubSourceClient === client) this._githubSource = new GitHubRepoSource(client);
    });
  }

  /** Defines the GitHub elements; false (with the reason shown) when their file could not be loaded. */
  private async loadGitHub(): Promise<boolean> {
    if (this._githubElements) return true;
    try {
      await loadGitHubElements();
      this._githubElements = true;
      this._githubLoadError = '';
      return true;
    } catch (error) {
      this._githubLoadError = `The GitHub part of the chat could not be loaded: ${describeError(error)}`;
      return false;
    }
  }

  /** The stand-in for the repository selector was pressed: load it, and open it. */
  private async openRepoSelector(): Promise<void> {
    if (!(await this.loadGitHub())) return;
    await this.updateComplete;
    const selector = this.renderRoot.querySelector('rc-repo-selector');
    if (selector) selector.open = true;
  }

  private async openPush(): Promise<void> {
    if (await this.loadGitHub()) this._pushOpen = true;
  }

  /** After a lapse: reconnects the stream and asks the BFF who we are again. */
  private retryAfterLapse(): void {
    this.clients.retry();
    void this.configTask.run();
  }

  private onRuntimeSelect(event: RcRuntimeSelectEvent): void {
    const { runtime } = event.detail;
    const first = this.issueForCreate;
    this.issueForCreate = undefined;
    if (first && runtime.repo === first.repo && runtime.status === 'starting') {
      this.selection.startFromIssue(runtime.id, first.repo, first.issue);
      this._issue = null;
    }
    this.selection.selectRuntime(runtime);
  }

  private onThreadSelect(event: RcThreadSelectEvent): void {
    this.selection.selectThread(event.detail.thread);
    // On a narrow screen the sidebar covers the chat: fold it once a thread is picked.
    this._sidebarOpen = false;
    // A new thread is for writing in: the message box gets the focus.
    if (event.detail.fresh) void this.focusComposer();
  }

  /**
   * "Continue on another runtime…": moves the thread here, since the chooser goes away as the old
   * runtime's list drops it; the picker, the list and the URL then follow it to its new runtime.
   */
  private async onThreadMove(event: RcThreadMoveEvent): Promise<void> {
    const client = this._client;
    if (!client) return;
    event.preventDefault();
    const { threadId, runtimeId } = event.detail;
    this._moveError = '';
    try {
      const [thread, runtime] = await Promise.all([
        client.moveThread(threadId, runtimeId),
        this.selection.runtimes.items.find((r) => r.id === runtimeId) ?? client.getRuntime(runtimeId),
      ]);
      this.selection.selectRuntime(runtime);
      this.selection.selectThread(thread);
      void this.focusComposer();
    } catch (error) {
      this._moveError = `Could not continue the thread on another runtime: ${describeError(error)}`;
    }
  }

  /** Moves focus to the chat's message box, once the chat shows the selected thread. */
  private async focusComposer(): Promise<void> {
    await this.updateComplete;
    const chat = this.renderRoot.querySelector('rc-chat');
    await chat?.updateComplete;
    chat?.focus();
  }

  private onRepoChange(event: RcRepoChangeEvent): void {
    const { repo, branch, issue = null } = event.detail;
    this._repo = repo;
    this._branch = branch;
    this._issue = issue;
    // An issue of the open runtime's repository starts a thread there now; otherwise the first
    // thread of the next runtime made with it.
    const runtime = this._runtime;
    if (repo && issue && runtime?.repo === repo && (runtime.status === 'ready' || runtime.status === 'paused')) {
      this._issue = null;
      void this.selection.openIssueThread(runtime, repo, issue);
    }
  }

  private onRuntimeCreate(event: RcRuntimeCreateEvent): void {
    const { repo } = event.detail.request;
    this.issueForCreate = repo && this._issue && repo === this._repo ? { repo, issue: this._issue } : undefined;
  }

  /** The welcome's one click: a sandbox runtime on `provider`, then its first thread. */
  private async startFirstChat(provider: string): Promise<void> {
    const client = this._client;
    if (!client || this._starting) return;
    this._starting = true;
    this._startError = '';
    try {
      const runtime = await client.createRuntime({ provider });
      this.focusWhenThread = true;
      this.selection.selectRuntime(runtime);
    } catch (error) {
      this._startError = `Could not start a sandbox: ${describeError(error)}`;
    } finally {
      this._starting = false;
    }
  }

  /** For a user with no runtime yet: the welcome (its file is loaded only for such a user). */
  private renderWelcome(config: ConfigResponse) {
    if (!this._welcomeLoaded) {
      void import('../welcome/define.js').then(() => (this._welcomeLoaded = true));
      return nothing;
    }
    return html`<rc-welcome
      .providers=${config.providers}
      bff-url=${this._client?.bffUrl ?? ''}
      ?busy=${this._starting}
      error=${this._startError}
      @rc-first-chat=${(event: RcFirstChatEvent) => void this.startFirstChat(event.detail.provider)}
    ></rc-welcome>`;
  }

  /** A link named a runtime or thread this user cannot see. */
  private renderNotFound() {
    const what = this.selection.notFound;
    if (!what) return nothing;
    return html`<p class="alert not-found" part="not-found" role="alert">
      ${
        what === 'runtime'
          ? 'The runtime in this link was not found: it was deleted, or it is not yours. Pick or create one in the menu above.'
          : 'The thread in this link was not found: it was deleted, or it is not yours. Pick another thread, or start a new one.'
      }
    </p>`;
  }

  private renderConnection() {
    const { connection } = this.clients;
    const text = connection === 'reconnecting' ? 'Reconnecting…' : connection === 'connecting' ? 'Connecting…' : '';
    return html`<span class="connection" role="status"
      >${text ? html`<span class="spinner" aria-hidden="true"></span>${text}` : nothing}</span
    >`;
  }

  private renderTokenLapse() {
    return html`
      <div class="center" part="base">
        <h2>Your chat session has ended</h2>
        <p role="alert">${this.clients.tokenLapse}</p>
        <p>This site signs you in to the chat. Sign in to the site again if you were signed out, then try again.</p>
        <div><button class="button" type="button" @click=${() => this.retryAfterLapse()}>Try again</button></div>
      </div>
    `;
  }

  private renderSignedOut(config: ConfigResponse) {
    const origin = this._client?.bffUrl ?? '';
    return html`
      <div class="center" part="base">
        <h2>You're signed out</h2>
        <p>
          Open the sign-in link that <code>npm start</code> printed in its terminal. It looks like
          <code>${origin}/auth/signin?token=…</code> and brings you back here, signed in.
        </p>
        ${config.providers.length === 0 ? nothing : html`<p>Then pick a runtime, or create one, and start chatting.</p>`}
        <div><button class="button" type="button" @click=${() => void this.configTask.run()}>Check again</button></div>
      </div>
    `;
  }

  private skipToComposer(event: Event): void {
    event.preventDefault();
    void this.focusComposer();
  }

  private toggleDrawer(open = !this._sidebarOpen): void {
    this._sidebarOpen = open;
    void this.updateComplete.then(() => {
      const target = open ? '.sidebar rc-thread-list' : '.sidebar-toggle';
      this.renderRoot.querySelector<HTMLElement>(target)?.focus();
    });
  }

  private renderChat() {
    const sidebarId = `${this.uid}-sidebar`;
    const { runtimes, autoThreadError } = this.selection;
    const source = this.source;
    const canPush = Boolean(source?.token && this._runtime?.repo && this._thread);
    return html`
      <div
        class=${classMap({ base: true, 'sidebar-open': this._sidebarOpen })}
        part="base"
        @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this._sidebarOpen && this.toggleDrawer(false)}
      >
        <a class="skip-link" href="#" @click=${this.skipToComposer}>Skip to message box</a>
        <div class="header" part="header" role="region" aria-label="Runtime">
          <button
            class="button quiet sidebar-toggle"
            type="button"
            aria-expanded=${this._sidebarOpen ? 'true' : 'false'}
            aria-controls=${sidebarId}
            aria-label="Threads and sandbox log"
            @click=${() => this.toggleDrawer()}
          >
            <span class="burger" aria-hidden="true"></span>
          </button>
          <rc-runtime-picker
            .repo=${this._repo}
            .branch=${this._branch}
            .githubToken=${source?.token ? () => source.token!() : undefined}
            mode=${runtimes.loaded && runtimes.items.length === 0 ? 'new' : 'existing'}
            @rc-runtime-create=${this.onRuntimeCreate}
            @rc-runtime-select=${this.onRuntimeSelect}
          ></rc-runtime-picker>
          ${
            this._githubElements
              ? html`<rc-repo-selector
                  .source=${source}
                  .repo=${this._repo}
                  .branch=${this._branch}
                  .issue=${this._issue}
                  @rc-repo-change=${this.onRepoChange}
                ></rc-repo-selector>`
              : html`<button class="button repo-stand-in" type="button" @click=${this.openRepoSelector}>
                  Select repository
                </button>`
          }
          ${
            canPush
              ? html`<button class="button push-button" part="push-button" type="button" @click=${this.openPush}>
                  Push to branch…
                </button>`
              : nothing
          }
          ${this.renderConnection()}
        </div>
        <div class="scrim" aria-hidden="true" @click=${() => this.toggleDrawer(false)}></div>
        <aside id=${sidebarId} class="sidebar" part="sidebar" aria-label="Threads and sandbox log" tabindex="0">
          ${autoThreadError ? html`<p class="alert" role="alert">${autoThreadError}</p>` : nothing}
          ${this._githubLoadError ? html`<p class="alert" role="alert">${this._githubLoadError}</p>` : nothing}
          <rc-thread-list @rc-thread-select=${this.onThreadSelect}></rc-thread-list>
          <rc-sandbox-log></rc-sandbox-log>
        </aside>
        <div class="main" part="main" role="region" aria-label="Chat">
          ${this.renderNotFound()}
          ${this._moveError ? html`<p class="alert not-found" role="alert">${this._moveError}</p>` : nothing}
          ${
            runtimes.loaded && runtimes.items.length === 0 && this._config
              ? this.renderWelcome(this._config)
              : html`<rc-chat @rc-thread-move=${this.onThreadMove}></rc-chat>`
          }
        </div>
        ${
          this._pushOpen
            ? html`<rc-push-dialog
                open
                .client=${this._client}
                .source=${source}
                thread-id=${this._thread?.id ?? ''}
                thread-title=${this._thread?.title ?? ''}
                @rc-push-close=${() => (this._pushOpen = false)}
              ></rc-push-dialog>`
            : nothing
        }
      </div>
    `;
  }

  override render() {
    if (this.clients.tokenLapse) return this.renderTokenLapse();
    if (this.clients.waitingForToken) {
      return html`<div class="center" role="status">
        <span class="status"><span class="spinner" aria-hidden="true"></span> Waiting for this site to sign you in…</span>
      </div>`;
    }
    return this.configTask.render({
      initial: () => nothing,
      pending: () => html`<div class="center" role="status">
        <span class="status"><span class="spinner" aria-hidden="true"></span> Connecting to the chat server…</span>
      </div>`,
      error: (error) => html`<div class="center">
        <h2>Can't reach the chat server</h2>
        <p role="alert">${describeError(error)}</p>
        <div><button class="button" type="button" @click=${() => void this.configTask.run()}>Try again</button></div>
      </div>`,
      complete: (config) => (!config ? nothing : config.user ? this.renderChat() : this.renderSignedOut(config)),
    });
  }
}
