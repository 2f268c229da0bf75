import { consume } from '@lit/context';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { classMap } from 'lit/directives/class-map.js';
import { streamTopic, type Thread } from '@remote-chat/protocol';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { describeError } from '../../client/errors.js';
import { upsert } from '../../client/topic-frames.js';
import { clientContext } from '../../context/client-context.js';
import { runtimeContext, type RuntimeContextValue } from '../../context/runtime-context.js';
import { threadContext, type ThreadContextValue } from '../../context/thread-context.js';
import { SnapshotListController } from '../../controllers/snapshot-list-controller.js';
import { RcThreadCreateEvent } from '../../events/thread-create-event.js';
import { RcThreadRenameEvent } from '../../events/thread-rename-event.js';
import { RcThreadSelectEvent } from '../../events/thread-select-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { formatDateTime, formatRelativeTime } from '../../util/format.js';
import { isEmptyThread, sortByActivity } from '../../util/thread-order.js';
import { threadListStyles } from './thread-list.styles.js';

let nextId = 0;

/**
 * @summary A runtime's threads, most recently active first, with New thread, Rename, Archive and
 * Delete.
 *
 * A listbox: arrow keys, Home and End move through the threads, Enter or Space opens one, F2 (or
 * a double click, or the Rename button) renames the one under the cursor. Each thread is titled
 * from its first message until renamed. New thread reuses an empty thread (no messages yet)
 * rather than making another. Archived threads are hidden behind "Show archived"; Delete asks
 * first. With a `client` and a `runtime-id` it lists the threads live and creates, renames,
 * archives and deletes them itself; or set `threads` and handle the events.
 *
 * @fires rc-thread-select - {@link RcThreadSelectEvent} `{ thread, fresh }` when the user opens a
 *   thread, and after New thread (`fresh: true`) created one or reused an empty one.
 * @fires rc-thread-create - {@link RcThreadCreateEvent} `{ runtimeId }` (cancelable) when the
 *   user presses New thread; cancel it to create the thread yourself.
 * @fires rc-thread-rename - {@link RcThreadRenameEvent} `{ thread, title }` (cancelable) when the
 *   user renames a thread; cancel it to rename the thread yourself.
 *
 * @csspart base - The wrapper.
 * @csspart new-button - The New thread button.
 * @csspart rename-button - The Rename button.
 * @csspart rename-form - The form that renames a thread.
 * @csspart listbox - The list of threads.
 * @csspart option - One thread.
 *
 * @cssprop --rc-color-accent-soft - Background of the open thread.
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default).
 */
export class RcThreadList extends LitElement {
  static override styles = [themeStyles, sharedStyles, threadListStyles];

  private readonly uid = `rc-thread-list-${nextId++}`;
  /** The keyboard moved the active option: bring it into view once. */
  private revealActive = false;
  private clock: ReturnType<typeof setInterval> | undefined;

  private readonly threadsList = new SnapshotListController<`threads:${string}`>(this, {
    onChange: (threads) => {
      this.threads = threads;
      this._error = '';
    },
    onError: (message) => (this._error = message),
  });

  @state() private _active = 0;
  @state() private _creating = false;
  @state() private _error = '';
  /** The thread being renamed, and the title typed so far. */
  @state() private _renaming: Thread | null = null;
  @state() private _renameText = '';
  @state() private _renameBusy = false;
  /** Whether archived threads are listed. */
  @state() private _showArchived = false;
  /** The thread whose deletion waits for the user's yes. */
  @state() private _deleting: Thread | null = null;
  /** A request to archive, unarchive or delete is on its way. */
  @state() private _busy = false;

  @consume({ context: runtimeContext, subscribe: true })
  @state()
  private _runtime: RuntimeContextValue;

  @consume({ context: threadContext, subscribe: true })
  @state()
  private _thread: ThreadContextValue;

  /** The client to list threads through and to create them with. Provided by `<remote-chat>`. */
  @consume({ context: clientContext, subscribe: true })
  @property({ attribute: false })
  client: RemoteChatClient | undefined;

  /** The runtime whose threads are listed. */
  @property({ attribute: 'runtime-id' }) runtimeId = '';

  /** The threads to list. Kept up to date by the list itself when it has a `client`. */
  @property({ attribute: false }) threads: Thread[] = [];

  /** The id of the open thread. */
  @property({ reflect: true }) value = '';

  override connectedCallback(): void {
    super.connectedCallback();
    // Keeps "3 minutes ago" true.
    this.clock = setInterval(() => this.requestUpdate(), 60_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.clock);
  }

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('_runtime')) this.runtimeId = this._runtime?.id ?? '';
    if (changed.has('_thread')) this.value = this._thread?.id ?? '';
    if (changed.has('client') || changed.has('runtimeId')) {
      if (this.following) {
        this._error = '';
        this.threads = [];
      }
      this.threadsList.follow(this.client, this.following ? streamTopic.threads(this.runtimeId) : undefined);
    }
  }

  override updated(): void {
    if (!this.revealActive) return;
    this.revealActive = false;
    this.renderRoot.querySelector(`#${this.uid}-option-${this._active}`)?.scrollIntoView({ block: 'nearest' });
  }

  /** Whether the list follows a runtime's threads live, rather than showing `threads` as set. */
  private get following(): boolean {
    return Boolean(this.client && this.runtimeId);
  }

  /** Puts a created or renamed thread in the list: the live one when following, else `threads`. */
  private putThread(thread: Thread): void {
    if (this.following) this.threadsList.upsert(thread);
    else this.threads = upsert(this.threads, thread);
  }

  /** The threads listed: most recently active first, archived ones only when asked for. */
  private get sortedThreads(): Thread[] {
    return sortByActivity(this.threads.filter((t) => this._showArchived || !t.archivedAt));
  }

  private get archivedCount(): number {
    return this.threads.filter((t) => t.archivedAt).length;
  }

  /** The thread the Rename, Archive and Delete buttons act on: the open one, else the one under the cursor. */
  private get current(): Thread | undefined {
    const list = this.sortedThreads;
    return list.find((t) => t.id === this.value) ?? list[this._active];
  }

  private open(thread: Thread, fresh = false): void {
    if (thread.id === this.value && !fresh) return;
    this.value = thread.id;
    this.dispatchEvent(new RcThreadSelectEvent({ thread, ...(fresh && { fresh }) }));
  }

  private onFocus(): void {
    const index = this.sortedThreads.findIndex((t) => t.id === this.value);
    this._active = Math.max(0, index);
  }

  private onKeyDown(event: KeyboardEvent): void {
    const list = this.sortedThreads;
    const last = list.length - 1;
    switch (event.key) {
      case 'ArrowDown':
        this._active = Math.min(last, this._active + 1);
        break;
      case 'ArrowUp':
        this._active = Math.max(0, this._active - 1);
        break;
      case 'Home':
        this._active = 0;
        break;
      case 'End':
        this._active = Math.max(0, last);
        break;
      case 'Enter':
      case ' ': {
        const thread = list[this._active];
        if (thread) this.open(thread);
        break;
      }
      case 'F2': {
        const thread = list[this._active];
        if (thread) this.startRename(thread);
        break;
      }
      default:
        return;
    }
    event.preventDefault();
    this.revealActive = true;
  }

  private async create(): Promise<void> {
    if (!this.runtimeId || this._creating) return;
    this._error = '';
    // An empty thread is there already: open it rather than make another.
    const empty = sortByActivity(this.threads).find(isEmptyThread);
    if (empty) {
      this._active = Math.max(0, this.sortedThreads.indexOf(empty));
      this.open(empty, true);
      return;
    }
    if (!this.dispatchEvent(new RcThreadCreateEvent({ runtimeId: this.runtimeId }))) return;
    if (!this.client) return;
    this._creating = true;
    try {
      const thread = await this.client.createThread(this.runtimeId);
      this.putThread(thread);
      this._active = 0;
      this.open(thread, true);
    } catch (error) {
      this._error = `Could not create a thread: ${describeError(error)}`;
    } finally {
      this._creating = false;
    }
  }

  private startRename(thread: Thread): void {
    this._renaming = thread;
    this._renameText = thread.title;
    this._error = '';
    void this.updateComplete.then(() => {
      const input = this.renderRoot.querySelector<HTMLInputElement>('.rename-form input');
      input?.focus();
      input?.select();
    });
  }

  private endRename(): void {
    this._renaming = null;
    this._renameBusy = false;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('.listbox')?.focus());
  }

  private async rename(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const thread = this._renaming;
    const title = this._renameText.trim().slice(0, 200);
    if (!thread || this._renameBusy) return;
    if (!title || title === thread.title) return this.endRename();
    if (!this.dispatchEvent(new RcThreadRenameEvent({ thread, title })) || !this.client) {
      this.putThread({ ...thread, title });
      return this.endRename();
    }
    this._renameBusy = true;
    try {
      this.putThread(await this.client.renameThread(thread.id, title));
      this.endRename();
    } catch (error) {
      this._renameBusy = false;
      this._error = `Could not rename the thread: ${describeError(error)}`;
    }
  }

  /** Archives `thread`, or brings it back from the archive. */
  private async setArchived(thread: Thread, archived: boolean): Promise<void> {
    if (this._busy) return;
    this._error = '';
    if (!this.client || !this.following) {
      this.putThread({ ...thread, archivedAt: archived ? new Date().toISOString() : null });
      return;
    }
    this._busy = true;
    try {
      this.putThread(await this.client.updateThread(thread.id, { archived }));
    } catch (error) {
      this._error = `Could not ${archived ? 'archive' : 'unarchive'} the thread: ${describeError(error)}`;
    } finally {
      this._busy = false;
    }
  }

  private startDelete(thread: Thread): void {
    this._deleting = thread;
    this._error = '';
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>('.confirm-delete .cancel-button')?.focus(),
    );
  }

  private endDelete(): void {
    this._deleting = null;
    void this.updateComplete.then(() => this.focus());
  }

  private async confirmDelete(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const thread = this._deleting;
    if (!thread || this._busy) return;
    this._error = '';
    if (this.client && this.following) {
      this._busy = true;
      try {
        await this.client.deleteThread(thread.id);
      } catch (error) {
        this._error = `Could not delete the thread: ${describeError(error)}`;
        return;
      } finally {
        this._busy = false;
      }
      this.threadsList.remove(thread.id);
    } else {
      this.threads = this.threads.filter((t) => t.id !== thread.id);
    }
    this.endDelete();
  }

  /** Moves focus to the thread list (or to New thread when there is none). */
  override focus(options?: FocusOptions): void {
    this.renderRoot.querySelector<HTMLElement>('.listbox, .new-button')?.focus(options);
  }

  private renderRename(thread: Thread) {
    return html`
      <form class="rename-form" part="rename-form" @submit=${this.rename} @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.endRename()}>
        <label class="visually-hidden" for="${this.uid}-rename">New title for “${thread.title}”</label>
        <input
          id="${this.uid}-rename"
          maxlength="200"
          .value=${this._renameText}
          @input=${(e: InputEvent) => (this._renameText = (e.target as HTMLInputElement).value)}
          ?disabled=${this._renameBusy}
        />
        <div class="rename-actions">
          <button class="button primary" type="submit" aria-disabled=${this._renameBusy ? 'true' : 'false'}>Save</button>
          <button class="button quiet" type="button" @click=${this.endRename}>Cancel</button>
        </div>
      </form>
    `;
  }

  private renderConfirmDelete(thread: Thread) {
    return html`
      <form
        class="confirm-delete"
        part="confirm-delete"
        aria-label="Delete thread"
        @submit=${this.confirmDelete}
        @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.endDelete()}
      >
        <p>${`Delete “${thread.title}” and its whole conversation? This cannot be undone.`}</p>
        <div class="rename-actions">
          <button class="button danger" type="submit" aria-disabled=${this._busy ? 'true' : 'false'}>Delete</button>
          <button class="button quiet cancel-button" type="button" @click=${this.endDelete}>Cancel</button>
        </div>
      </form>
    `;
  }

  private renderActions() {
    const thread = this.current;
    const archivedCount = this.archivedCount;
    return html`
      <div class="actions" part="actions">
        <button
          class="button quiet rename-button"
          part="rename-button"
          type="button"
          title="Rename the thread (F2)"
          ?disabled=${!thread}
          @click=${() => thread && this.startRename(thread)}
        >
          Rename
        </button>
        <button
          class="button quiet archive-button"
          part="archive-button"
          type="button"
          ?disabled=${!thread}
          aria-disabled=${this._busy ? 'true' : 'false'}
          @click=${() => thread && void this.setArchived(thread, !thread.archivedAt)}
        >
          ${thread?.archivedAt ? 'Unarchive' : 'Archive'}
        </button>
        <button
          class="button quiet delete-button"
          part="delete-button"
          type="button"
          ?disabled=${!thread}
          @click=${() => thread && this.startDelete(thread)}
        >
          Delete
        </button>
      </div>
      <div class="caption">
        <span>Recent activity first</span>
        ${
          archivedCount || this._showArchived
            ? html`<label class="show-archived">
                <input
                  type="checkbox"
                  part="show-archived"
                  .checked=${this._showArchived}
                  @change=${(e: Event) => (this._showArchived = (e.target as HTMLInputElement).checked)}
                />
                ${`Show archived (${archivedCount})`}
              </label>`
            : nothing
        }
      </div>
    `;
  }

  private renderList() {
    const list = this.sortedThreads;
    if (!this.runtimeId) {
      return html`<p class="notice">No runtime picked: pick or create one above to see its threads.</p>`;
    }
    if (this.client && !this.threadsList.loaded && !this._error) {
      return html`<p class="notice" role="status">Loading threads…</p>`;
    }
    if (list.length === 0) {
      return html`<p class="notice">
        ${this.archivedCount ? 'Every thread is archived.' : 'No threads yet.'} Press <strong>New</strong> to start one.
      </p>`;
    }
    const now = Date.now();
    return html`
      <ul
        class="listbox"
        part="listbox"
        role="listbox"
        aria-label="Threads"
        tabindex="0"
        aria-activedescendant="${this.uid}-option-${Math.min(this._active, list.length - 1)}"
        @focus=${this.onFocus}
        @keydown=${this.onKeyDown}
      >
        ${list.map(
          (thread, index) => html`
            <li
              id="${this.uid}-option-${index}"
              class=${classMap({ option: true, active: index === this._active })}
              part="option"
              role="option"
              aria-selected=${thread.id === this.value ? 'true' : 'false'}
              @click=${() => {
                this._active = index;
                this.open(thread);
              }}
              @dblclick=${() => this.startRename(thread)}
            >
              <span class="title">${thread.title}</span>
              ${thread.archivedAt ? html`<span class="archived-tag">Archived</span>` : nothing}
              <time class="time" datetime=${thread.updatedAt} title=${formatDateTime(thread.updatedAt)}>
                ${formatRelativeTime(thread.updatedAt, now)}
              </time>
            </li>
          `,
        )}
      </ul>
    `;
  }

  override render() {
    return html`
      <div class="base" part="base">
        <div class="header">
          <h2 class="heading" id="${this.uid}-heading">Threads</h2>
          <button
            class="button new-button"
            part="new-button"
            type="button"
            ?disabled=${!this.runtimeId}
            aria-disabled=${this._creating ? 'true' : 'false'}
            @click=${this.create}
          >
            ${this._creating ? html`<span class="spinner" aria-hidden="true"></span>` : html`<span aria-hidden="true">+</span>`}
            New<span class="visually-hidden"> thread</span>
          </button>
        </div>
        ${this.runtimeId ? this.renderActions() : nothing}
        ${this._error ? html`<p class="alert" role="alert">${this._error}</p>` : nothing}
        ${this._renaming ? this.renderRename(this._renaming) : nothing}
        ${this._deleting ? this.renderConfirmDelete(this._deleting) : nothing} ${this.renderList()}
      </div>
    `;
  }
}
