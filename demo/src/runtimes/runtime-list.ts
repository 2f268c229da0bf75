import { Task } from '@lit/task';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { ConfigResponse, Runtime, RuntimeStatus } from '@remote-chat/protocol';
import {
  RemoteChatClient,
  SnapshotListController,
  formatDateTime,
  formatDuration,
  formatRelativeTime,
  idleStopText,
  runtimeStatusLabel,
  sharedStyles,
  statusDotClass,
  statusDotStyles,
  themeStyles,
} from '@remote-chat/elements';
import { accountStyles } from '../account/account.styles.js';
import { ConfirmDialog } from '../confirm-dialog.js';
import { runtimeListStyles } from './runtime-list.styles.js';

/** How often the ages and idle times are redrawn. */
const REDRAW_EVERY_MS = 30_000;
/** Statuses in which a runtime can be idle: up, or paused with its files kept. */
const IDLE_STATUSES: ReadonlySet<RuntimeStatus> = new Set(['ready', 'offline', 'paused']);

/**
 * The repository a runtime holds, as `owner/name@branch`, or a machine's git remote or folder (a
 * sandbox's folder is always its `workspace`, which says nothing).
 */
function repositoryOf(runtime: Runtime): string | null {
  if (runtime.repo) return runtime.branch ? `${runtime.repo}@${runtime.branch}` : runtime.repo;
  return runtime.kind === 'machine' ? (runtime.gitRemote ?? runtime.project) : null;
}

/** "under a minute", "5 min", "2 h 10 min": how long ago, to the minute. */
function idleFor(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  return ms < 60_000 ? 'under a minute' : formatDuration(Math.floor(ms / 60_000) * 60_000);
}

function time(iso: string, now: number) {
  return html`<time datetime=${iso} title=${formatDateTime(iso)}>${formatRelativeTime(iso, now)}</time>`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * @summary The Runtimes page: every runtime of the signed-in person, newest first, with its
 * provider, status (dot and words), repository, age, last activity and idle time, kept live from
 * the `runtimes` topic, and when an idle sandbox will stop; each can be renamed, and deleted
 * after a confirmation (its sandbox torn down, its threads deleted), with progress while the
 * server works and the error if it fails; a stopped sandbox can be started again in its
 * workspace. Talks to the
 * BFF of this page's origin with the owner's session.
 */
export class PortalRuntimes extends LitElement {
  static override styles = [themeStyles, sharedStyles, statusDotStyles, accountStyles, runtimeListStyles];

  private readonly configTask = new Task(this, {
    task: async ([client], { signal }) => client.getConfig({ signal }),
    args: () => [this.client] as const,
  });
  private readonly list = new SnapshotListController<'runtimes'>(this, {
    onError: (message) => (this._listError = message),
  });
  private redraw: ReturnType<typeof setInterval> | undefined;
  /** Where focus goes after the next render: the list's heading, once a deleted row is gone. */
  private focusListAfterRender = false;
  private readonly deletion = new ConfirmDialog<Runtime>(this, {
    id: 'delete',
    action: (runtime) => this.client.deleteRuntime(runtime.id),
    done: (runtime) => {
      this.list.remove(runtime.id);
      this._announcement = `Deleted “${runtime.name}”.`;
      // The button that opened the dialog is gone with its row.
      this.focusListAfterRender = true;
    },
    failure: 'Could not delete the runtime',
  });

  @query('dialog.rename-dialog') private renameDialog!: HTMLDialogElement;
  @query('#list-title') private listTitle!: HTMLElement;

  @state() private _listError = '';
  /** The runtime the rename dialog renames. */
  @state() private _renaming: Runtime | undefined;
  @state() private _renameBusy = false;
  @state() private _renameError = '';
  /** Stopped runtimes being started again, and why the last try failed, by id. */
  @state() private _starting: ReadonlySet<string> = new Set();
  @state() private _startErrors: Readonly<Record<string, string>> = {};
  /** Said by the live region: what just happened. */
  @state() private _announcement = '';
  /** The time the ages are drawn against. */
  @state() private _now = Date.now();

  /** The client for the BFF; one for this page's origin, with its session cookie, by default. */
  @property({ attribute: false }) client = new RemoteChatClient();

  override connectedCallback(): void {
    super.connectedCallback();
    this.redraw = setInterval(() => (this._now = Date.now()), REDRAW_EVERY_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.redraw);
  }

  override willUpdate(): void {
    // The list is followed once the config says someone is signed in.
    const signedIn = Boolean(this.configTask.value?.user);
    this.list.follow(this.client, signedIn ? 'runtimes' : undefined);
  }

  override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (this.focusListAfterRender) this.listTitle?.focus();
    this.focusListAfterRender = false;
  }

  private askRename(runtime: Runtime): void {
    this._renaming = runtime;
    this._renameError = '';
    this.renameDialog.showModal();
  }

  private async onRename(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const runtime = this._renaming;
    if (!runtime || this._renameBusy) return;
    const input = (event.currentTarget as HTMLFormElement).querySelector('input')!;
    this._renameBusy = true;
    this._renameError = '';
    try {
      // The BFF trims it and says what is wrong with it (empty, too long).
      const renamed = await this.client.renameRuntime(runtime.id, input.value);
      this.list.upsert(renamed);
      this._announcement = `Renamed “${runtime.name}” to “${renamed.name}”.`;
      this.renameDialog.close();
    } catch (error) {
      this._renameError = `Could not rename the runtime: ${describe(error)}`;
    } finally {
      this._renameBusy = false;
    }
  }

  private async startAgain(runtime: Runtime): Promise<void> {
    if (this._starting.has(runtime.id)) return;
    this._starting = new Set([...this._starting, runtime.id]);
    const { [runtime.id]: _, ...errors } = this._startErrors;
    this._startErrors = errors;
    try {
      this.list.upsert(await this.client.startRuntime(runtime.id));
      this._announcement = `Starting “${runtime.name}” again.`;
    } catch (error) {
      this._startErrors = { ...this._startErrors, [runtime.id]: `Could not start it again: ${describe(error)}` };
    } finally {
      this._starting = new Set([...this._starting].filter((id) => id !== runtime.id));
    }
  }

  private providerLabel(runtime: Runtime, config: ConfigResponse): string {
    if (runtime.kind === 'machine') return runtime.machine ? `Your machine · ${runtime.machine.name}` : 'Your machine';
    return config.providers.find((p) => p.id === runtime.provider)?.label ?? runtime.provider;
  }

  private renderRuntime(runtime: Runtime, config: ConfigResponse) {
    const nameId = `runtime-${runtime.id}`;
    const repository = repositoryOf(runtime);
    const activity = runtime.lastActivityAt;
    const none = html`<span class="muted" aria-label="none">—</span>`;
    const starting = this._starting.has(runtime.id);
    const startError = this._startErrors[runtime.id];
    const idleStop = idleStopText(runtime, config, this._now);
    return html`
      <li class="runtime" aria-labelledby=${nameId}>
        <div class="runtime-head">
          <h4 class="runtime-name" id=${nameId}>${runtime.name}</h4>
          <span class="status">
            <span class="status-dot ${statusDotClass(runtime.status)}" aria-hidden="true"></span>
            ${runtimeStatusLabel(runtime.status)}
          </span>
          <span class="id"><span class="visually-hidden">Id </span>${runtime.id}</span>
        </div>
        <dl class="facts">
          <div><dt>Provider</dt><dd>${this.providerLabel(runtime, config)}</dd></div>
          <div><dt>Repository</dt><dd class="repository">${repository ?? none}</dd></div>
          <div><dt>Created</dt><dd>${time(runtime.createdAt, this._now)}</dd></div>
          <div><dt>Last activity</dt><dd>${activity ? time(activity, this._now) : none}</dd></div>
          <div>
            <dt>Idle</dt>
            <dd>${activity && IDLE_STATUSES.has(runtime.status) ? idleFor(activity, this._now) : none}</dd>
          </div>
        </dl>
        <div class="actions">
          ${
            runtime.status === 'stopped' && runtime.kind === 'sandbox'
              ? html`<button
                  class="button primary start-again"
                  type="button"
                  aria-disabled=${starting ? 'true' : 'false'}
                  @click=${() => void this.startAgain(runtime)}
                >
                  ${starting ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}
                  Start again<span class="visually-hidden"> “${runtime.name}”</span>
                </button>`
              : nothing
          }
          <button class="button rename" type="button" @click=${() => this.askRename(runtime)}>
            Rename<span class="visually-hidden"> “${runtime.name}”</span>
          </button>
          <button
            class="button danger delete"
            type="button"
            aria-disabled=${runtime.status === 'stopping' ? 'true' : 'false'}
            @click=${() => runtime.status !== 'stopping' && this.deletion.ask(runtime)}
          >
            ${runtime.status === 'stopping' ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}
            Delete<span class="visually-hidden"> “${runtime.name}”</span>
          </button>
        </div>
        ${idleStop ? html`<p class="idle-stop">${idleStop}</p>` : nothing}
        ${startError ? html`<p class="alert start-error" role="alert">${startError}</p>` : nothing}
      </li>
    `;
  }

  private renderList(config: ConfigResponse) {
    if (this._listError) {
      return html`<div class="panel load-error"><p class="alert" role="alert">Could not list your runtimes: ${this._listError}</p></div>`;
    }
    if (!this.list.loaded) return this.renderLoading();
    const runtimes = this.list.items.toSorted((a, b) => b.createdAt.localeCompare(a.createdAt));
    return html`
      <section class="panel list" aria-labelledby="list-title">
        <h3 id="list-title" tabindex="-1">
          ${runtimes.length === 1 ? '1 runtime' : `${runtimes.length} runtimes`}, newest first
        </h3>
        ${
          runtimes.length === 0
            ? html`<div class="empty">
                <p>
                  No runtimes yet. A runtime is where your agents work: a sandbox this server starts for you, or your own
                  machine.
                </p>
                <p>
                  <a class="button primary" href="/">Start one in Chat</a>: pick <strong>New</strong>, choose where it runs and
                  press <strong>Create runtime</strong>. To use your own machine, run
                  <code>remote-chat-runtime connect</code> there with an API token from <a href="/account/">Account</a>.
                </p>
              </div>`
            : html`<ul class="runtimes" role="list">
                ${runtimes.map((runtime) => this.renderRuntime(runtime, config))}
              </ul>`
        }
      </section>
    `;
  }

  private renderLoading() {
    return html`<p class="status" role="status"><span class="spinner" aria-hidden="true"></span> Loading your runtimes…</p>`;
  }

  private renderDialog() {
    const runtime = this.deletion.subject;
    const what =
      runtime?.kind === 'machine'
        ? 'The machine is told to stop serving this folder, and its threads are deleted.'
        : 'Its sandbox is torn down, and its workspace, threads and log are deleted.';
    return this.deletion.render({
      title: `Delete “${runtime?.name ?? ''}”?`,
      body: `${what} This cannot be undone.`,
      confirm: 'Delete runtime',
    });
  }

  private renderRenameDialog() {
    const runtime = this._renaming;
    return html`
      <dialog
        class="rename-dialog"
        aria-labelledby="rename-title"
        @close=${() => {
          this._renaming = undefined;
          this._renameError = '';
        }}
      >
        <form method="dialog" @submit=${this.onRename}>
          <h3 id="rename-title">Rename “${runtime?.name ?? ''}”</h3>
          <label class="field">
            New name
            <input
              class="text-input"
              name="name"
              autocomplete="off"
              required
              maxlength="60"
              .value=${runtime?.name ?? ''}
              aria-describedby="rename-id"
            />
          </label>
          <p id="rename-id" class="muted">Id ${runtime?.id ?? ''}</p>
          ${this._renameError ? html`<p class="alert" role="alert">${this._renameError}</p>` : nothing}
          <div class="dialog-actions">
            <button class="button" type="button" @click=${() => this.renameDialog.close()}>Cancel</button>
            <button class="button primary" type="submit" aria-disabled=${this._renameBusy ? 'true' : 'false'}>
              ${this._renameBusy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Save
            </button>
          </div>
        </form>
      </dialog>
    `;
  }

  override render() {
    return html`
      <section class="base" part="base" aria-labelledby="title">
        <h2 id="title" class="visually-hidden">Your runtimes</h2>
        ${this.configTask.render({
          initial: () => this.renderLoading(),
          pending: () => this.renderLoading(),
          error: (error) =>
            html`<div class="panel load-error">
              <p class="alert" role="alert">Could not reach the server: ${describe(error)}</p>
              <button class="button" type="button" @click=${() => void this.configTask.run()}>Try again</button>
            </div>`,
          complete: (config) =>
            config.user
              ? this.renderList(config)
              : html`<div class="panel signed-out">
                  <h3>You're signed out</h3>
                  <p>
                    Open the sign-in link that <code>npm start</code> printed in its terminal (or run
                    <code>npx remote-chat-bff signin-link</code> for a new one), then come back to this page.
                  </p>
                </div>`,
        })}
        <p class="visually-hidden" role="status">${this._announcement}</p>
        ${this.renderDialog()} ${this.renderRenameDialog()}
      </section>
    `;
  }
}
