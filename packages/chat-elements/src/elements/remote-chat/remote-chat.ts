import { provide } from '@lit/context';
import { Task } from '@lit/task';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { classMap } from 'lit/directives/class-map.js';
import type { ConfigResponse, Runtime, Thread } from '@remote-chat/protocol';
import { CLOSE_CODES } from '@remote-chat/protocol';
import type { TokenProvider, TokenSource } from '../../client/bearer-token.js';
import { RcConnectionChangeEvent, type ConnectionStatus } from '../../client/connection-status.js';
import { describeError } from '../../client/errors.js';
import { RemoteChatClient } from '../../client/remote-chat-client.js';
import { clientContext } from '../../context/client-context.js';
import { configContext } from '../../context/config-context.js';
import { runtimeContext } from '../../context/runtime-context.js';
import { threadContext } from '../../context/thread-context.js';
import { SnapshotListController } from '../../controllers/snapshot-list-controller.js';
import type { RcRepoChangeEvent } from '../../events/repo-change-event.js';
import type { RcRuntimeSelectEvent } from '../../events/runtime-select-event.js';
import type { RcThreadSelectEvent } from '../../events/thread-select-event.js';
import { RcTokenExpiredEvent } from '../../events/token-expired-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import type { RepoSource } from '../repo-selector/repo-source.js';
import { remoteChatStyles } from './remote-chat.styles.js';
import { loadSelection, saveSelection } from './selection-store.js';

let nextId = 0;

/**
 * @summary The whole chat: pick or create a runtime, watch it start, open a thread and talk to
 * its agent. Composes the other elements and gives them a client, the config, the selected
 * runtime and thread through `@lit/context`.
 *
 * It remembers the selected runtime and thread for the tab, so a reload shows the same thread.
 * When a runtime it created becomes ready with no thread yet, it opens a new one.
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
 * @fires rc-token-expired - {@link RcTokenExpiredEvent} when the token lapsed: the provider failed,
 * or the BFF refused even a fresh token. The element shows why, with a Try again button; setting
 * `token` or `tokenProvider` again also retries.
 *
 * @csspart base - The grid of header, sidebar and main area.
 * @csspart header - The header with the runtime picker and the repository selector.
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
  private ownClient: RemoteChatClient | undefined;
  private watchedClient: RemoteChatClient | undefined;
  /** Runtimes a thread was opened for automatically, so that it happens once. */
  private readonly autoThreaded = new Set<string>();
  /** The selection as last saved, so that it is written only when it changes. */
  private remembered = '';

  private readonly configTask = new Task(this, {
    task: async ([client], { signal }) => (client ? client.getConfig({ signal }) : undefined),
    args: () => [this._client] as const,
    onComplete: (config) => (this._config = config),
  });

  private readonly runtimes = new SnapshotListController<'runtimes'>(this);
  /** The threads of the selected runtime. */
  private readonly threads = new SnapshotListController<`threads:${string}`>(this);

  @state() private _runtimeId = '';
  @state() private _threadId = '';
  @state() private _repo: string | null = null;
  @state() private _branch: string | null = null;
  @state() private _connection: ConnectionStatus = 'closed';
  @state() private _sidebarOpen = false;
  @state() private _autoThreadError = '';
  /** Why the token lapsed (`rc-token-expired`); empty while it works. */
  @state() private _tokenLapse = '';

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

  /** Where the repository selector gets GitHub repositories from. */
  @property({ attribute: false }) repoSource: RepoSource | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.useClient();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.watch(undefined);
    this.ownClient?.close();
    this.ownClient = undefined;
    this._client = undefined;
  }

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('client') || changed.has('bffUrl') || changed.has('token') || changed.has('tokenProvider'))
      this.useClient();
    if (changed.has('_client')) this.restoreSelection();

    const signedIn = Boolean(this._config?.user);
    this.runtimes.follow(this._client, signedIn ? 'runtimes' : undefined);
    // A remembered runtime that no longer exists is forgotten.
    if (this.runtimes.loaded && this._runtimeId && !this.runtimes.items.some((r) => r.id === this._runtimeId)) {
      this.selectRuntime('');
    }
    const runtime = this.runtimes.items.find((r) => r.id === this._runtimeId);
    if (runtime !== this._runtime) this._runtime = runtime;

    this.threads.follow(this._client, signedIn && this._runtimeId ? `threads:${this._runtimeId}` : undefined);
    if (this.threads.loaded && this._threadId && !this.threads.items.some((t) => t.id === this._threadId)) {
      this._threadId = '';
    }
    if (this.threads.loaded && !this._threadId) this.openNewestThread();
    const thread = this.threads.items.find((t) => t.id === this._threadId);
    if (thread !== this._thread) this._thread = thread;

    const selection = { runtimeId: this._runtimeId, threadId: this._threadId };
    const remembered = JSON.stringify(selection);
    if (remembered !== this.remembered) {
      this.remembered = remembered;
      saveSelection(this.storageKey, selection);
    }
  }

  private get storageKey(): string {
    return `remote-chat:${this._client?.bffUrl ?? ''}:selection`;
  }

  private useClient(): void {
    if (!this.isConnected) return;
    let client = this.client;
    if (!client) {
      const bffUrl = this.bffUrl || undefined;
      const token = this.tokenSource();
      if (!token && isCrossOrigin(bffUrl)) {
        // The BFF shares no cookies with other origins: wait for the host page's token.
        this.ownClient?.close();
        this.ownClient = undefined;
      } else if (!this.ownClient || (bffUrl && this.ownClient.bffUrl !== bffUrl.replace(/\/+$/, ''))) {
        this.ownClient?.close();
        this.ownClient = new RemoteChatClient({ ...(bffUrl && { bffUrl }), ...(token && { token }) });
      } else if (token !== this.ownClient.token) {
        this.ownClient.setToken(token);
        // A new token is the host's answer to a lapse: try with it at once.
        if (this._tokenLapse || !this._config?.user) this.retryAfterLapse();
      }
      client = this.ownClient;
    } else if (this.ownClient) {
      this.ownClient.close();
      this.ownClient = undefined;
    }
    if (client === this._client) return;
    this._client = client;
    this.watch(client);
  }

  private watch(client: RemoteChatClient | undefined): void {
    this.watchedClient?.removeEventListener(RcConnectionChangeEvent.eventName, this.onConnectionChange);
    this.watchedClient?.removeEventListener(RcTokenExpiredEvent.eventName, this.onTokenExpired);
    this.watchedClient = client;
    client?.addEventListener(RcConnectionChangeEvent.eventName, this.onConnectionChange);
    client?.addEventListener(RcTokenExpiredEvent.eventName, this.onTokenExpired);
    this._connection = client?.connectionStatus ?? 'closed';
    this._tokenLapse = '';
  }

  private tokenSource(): TokenSource | undefined {
    return this.tokenProvider ?? (this.token || undefined);
  }

  private readonly onTokenExpired = (event: Event): void => {
    if (!(event instanceof RcTokenExpiredEvent)) return;
    this._tokenLapse = event.detail.message;
    this.dispatchEvent(new RcTokenExpiredEvent(event.detail));
  };

  /** After a lapse: reconnects the stream and asks the BFF who we are again. */
  private retryAfterLapse(): void {
    this._tokenLapse = '';
    this._client?.reconnect();
    void this.configTask.run();
  }

  private readonly onConnectionChange = (event: Event): void => {
    if (!(event instanceof RcConnectionChangeEvent)) return;
    this._connection = event.detail.status;
    // The session ended: ask the BFF who we are, which shows the signed-out state.
    if (event.detail.closeCode === CLOSE_CODES.unauthorized) void this.configTask.run();
  };

  private restoreSelection(): void {
    const remembered = loadSelection(this.storageKey);
    this._runtimeId = remembered.runtimeId;
    this._threadId = remembered.threadId;
    this.remembered = JSON.stringify(remembered);
  }

  private selectRuntime(runtimeId: string): void {
    if (runtimeId === this._runtimeId) return;
    this._runtimeId = runtimeId;
    this._threadId = '';
    this._autoThreadError = '';
  }

  /**
   * With no thread open: the newest thread of the runtime, or, once the runtime is ready and has
   * none, a new one (once per runtime, so that a failure does not loop).
   */
  private openNewestThread(): void {
    const newest = this.threads.items.toSorted((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    if (newest) {
      this._threadId = newest.id;
      return;
    }
    const runtime = this.runtimes.items.find((r) => r.id === this._runtimeId);
    const client = this._client;
    if (!client || runtime?.status !== 'ready' || this.autoThreaded.has(runtime.id)) return;
    this.autoThreaded.add(runtime.id);
    void client.createThread(runtime.id).then(
      (thread) => {
        if (this._runtimeId !== thread.runtimeId) return;
        this.threads.upsert(thread);
        if (!this._threadId) this._threadId = thread.id;
      },
      (error: unknown) => (this._autoThreadError = `Could not open a thread: ${describeError(error)}`),
    );
  }

  private onRuntimeSelect(event: RcRuntimeSelectEvent): void {
    const { runtime } = event.detail;
    this.runtimes.upsert(runtime);
    this.selectRuntime(runtime.id);
  }

  private onThreadSelect(event: RcThreadSelectEvent): void {
    const { thread } = event.detail;
    if (thread.runtimeId === this._runtimeId) this.threads.upsert(thread);
    this._threadId = thread.id;
    // On a narrow screen the sidebar covers the chat: fold it once a thread is picked.
    this._sidebarOpen = false;
  }

  private onRepoChange(event: RcRepoChangeEvent): void {
    this._repo = event.detail.repo;
    this._branch = event.detail.branch;
  }

  private renderConnection() {
    const text =
      this._connection === 'reconnecting' ? 'Reconnecting…' : this._connection === 'connecting' ? 'Connecting…' : '';
    return html`<span class="connection" role="status"
      >${text ? html`<span class="spinner" aria-hidden="true"></span>${text}` : nothing}</span
    >`;
  }

  private renderTokenLapse() {
    return html`
      <div class="center" part="base">
        <h2>Your chat session has ended</h2>
        <p role="alert">${this._tokenLapse}</p>
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

  private toggleDrawer(open = !this._sidebarOpen): void {
    this._sidebarOpen = open;
    void this.updateComplete.then(() => {
      const target = open ? '.sidebar rc-thread-list' : '.sidebar-toggle';
      this.renderRoot.querySelector<HTMLElement>(target)?.focus();
    });
  }

  private renderChat() {
    const sidebarId = `${this.uid}-sidebar`;
    const runtimes = this.runtimes;
    return html`
      <div
        class=${classMap({ base: true, 'sidebar-open': this._sidebarOpen })}
        part="base"
        @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this._sidebarOpen && this.toggleDrawer(false)}
      >
        <div class="header" part="header">
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
            mode=${runtimes.loaded && runtimes.items.length === 0 ? 'new' : 'existing'}
            @rc-runtime-select=${this.onRuntimeSelect}
          ></rc-runtime-picker>
          <rc-repo-selector
            .source=${this.repoSource}
            .repo=${this._repo}
            .branch=${this._branch}
            @rc-repo-change=${this.onRepoChange}
          ></rc-repo-selector>
          ${this.renderConnection()}
        </div>
        <div class="scrim" aria-hidden="true" @click=${() => this.toggleDrawer(false)}></div>
        <aside id=${sidebarId} class="sidebar" part="sidebar" aria-label="Threads and sandbox log" tabindex="0">
          ${this._autoThreadError ? html`<p class="alert" role="alert">${this._autoThreadError}</p>` : nothing}
          <rc-thread-list @rc-thread-select=${this.onThreadSelect}></rc-thread-list>
          <rc-sandbox-log></rc-sandbox-log>
        </aside>
        <div class="main" part="main">
          <rc-chat></rc-chat>
        </div>
      </div>
    `;
  }

  override render() {
    if (this._tokenLapse) return this.renderTokenLapse();
    if (!this._client && this.isConnected && isCrossOrigin(this.bffUrl || undefined)) {
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

/** Whether the BFF is on another origin than the page, where only a token can sign in. */
function isCrossOrigin(bffUrl: string | undefined): boolean {
  if (!bffUrl || !globalThis.location) return false;
  try {
    return new URL(bffUrl, location.href).origin !== location.origin;
  } catch {
    return false;
  }
}
