import { consume } from '@lit/context';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { classMap } from 'lit/directives/class-map.js';
import {
  LIMITS,
  type ConfigResponse,
  type CreateRuntimeRequest,
  type Runtime,
  type RuntimeStatus,
} from '@remote-chat/protocol';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { ChatClientError, describeError } from '../../client/errors.js';
import { clientContext } from '../../context/client-context.js';
import { configContext, type ConfigContextValue } from '../../context/config-context.js';
import { runtimeContext, type RuntimeContextValue } from '../../context/runtime-context.js';
import { SnapshotListController } from '../../controllers/snapshot-list-controller.js';
import { RcRuntimeCreateEvent } from '../../events/runtime-create-event.js';
import { RcRuntimeDeleteEvent } from '../../events/runtime-delete-event.js';
import { RcRuntimeRenameEvent } from '../../events/runtime-rename-event.js';
import { RcRuntimeSelectEvent } from '../../events/runtime-select-event.js';
import { sharedStyles, statusDotStyles, themeStyles } from '../../styles/theme.js';
import { formatDateTime, formatRelativeTime, runtimeStatusLabel, statusDotClass } from '../../util/format.js';
import { runtimePickerStyles } from './runtime-picker.styles.js';

/** A provider as `GET /api/config` lists it. */
export type ProviderInfo = ConfigResponse['providers'][number];

/** Whether the picker lists existing runtimes or offers to make a new one. */
export type RuntimePickerMode = 'existing' | 'new';

let nextId = 0;

/** Statuses of runtimes that take no work until started again: listed after the others, under Stopped. */
const ENDED: ReadonlySet<RuntimeStatus> = new Set(['stopping', 'stopped', 'failed']);

/** Where a runtime runs and what it holds: "process · octo/app@main", "ada-laptop · git@…". */
function runtimeDetails(runtime: Runtime): string {
  if (runtime.kind === 'machine') {
    const parts = [runtime.machine?.name, runtime.gitRemote ?? runtime.project];
    return parts.filter(Boolean).join(' · ');
  }
  const repo = runtime.repo ? `${runtime.repo}${runtime.branch ? `@${runtime.branch}` : ''}` : 'no repository';
  return `${runtime.provider} · ${repo}`;
}

/**
 * @summary Picks the runtime to chat with: an existing one from a drop-down, or a new one from a
 * provider.
 *
 * Existing lists the runtimes, the ones that can work first and the stopped and failed ones after
 * them under "Stopped", newest first in each, each with its name, its bound repository (or its
 * machine and git remote), its kind (a sandbox, or the user's own machine), its id and age, and a
 * status dot: green ready, amber starting or offline, a hollow ring paused, grey stopped, red
 * failed. Each can be renamed (its ✎ button, or F2 on the highlighted one) and deleted (its ×
 * button, or Delete), after a confirmation. On a phone the list spans the picker's width, so it
 * never runs past the screen. New lists the providers.
 *
 * Give it a `client` (or put it inside `<remote-chat>`) and it lists the user's runtimes live and
 * creates new ones itself; or set `runtimes` and `providers` and handle the events.
 *
 * @fires rc-runtime-select - {@link RcRuntimeSelectEvent} `{ runtime }` when the user picks a
 *   runtime, and after a runtime they asked for was created.
 * @fires rc-runtime-create - {@link RcRuntimeCreateEvent} `{ request }` (cancelable) when the user
 *   presses Create; cancel it to create the runtime yourself.
 * @fires rc-runtime-delete - {@link RcRuntimeDeleteEvent} `{ runtime }` (cancelable) when the user
 *   confirms a delete; cancel it to delete the runtime yourself.
 * @fires rc-runtime-rename - {@link RcRuntimeRenameEvent} `{ runtime, name }` (cancelable) when the
 *   user saves a new name; cancel it to rename the runtime yourself.
 *
 * @csspart base - The wrapper of all controls.
 * @csspart mode - The Existing / New radio group.
 * @csspart combobox - The button that opens the runtime list.
 * @csspart listbox - The runtime list.
 * @csspart providers - The provider radio group.
 * @csspart create-button - The Create runtime button.
 * @csspart delete-confirm - The confirmation a delete asks for.
 * @csspart rename-form - The form a rename opens.
 *
 * @cssprop --rc-color-ok - Status dot of a ready runtime.
 * @cssprop --rc-color-warn - Status dot of a starting or offline runtime.
 * @cssprop --rc-color-accent - Ring of a paused runtime.
 * @cssprop --rc-color-idle - Status dot of a stopped runtime.
 * @cssprop --rc-color-danger - Status dot of a failed runtime.
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default).
 */
export class RcRuntimePicker extends LitElement {
  static override styles = [themeStyles, sharedStyles, statusDotStyles, runtimePickerStyles];

  private readonly uid = `rc-runtime-picker-${nextId++}`;

  private readonly runtimesList = new SnapshotListController<'runtimes'>(this, {
    onChange: (runtimes) => (this.runtimes = runtimes),
  });

  @state() private _open = false;
  @state() private _active = 0;
  @state() private _provider: string | undefined;
  @state() private _creating = false;
  @state() private _createError = '';
  /** The runtime the delete confirmation asks about. */
  @state() private _deleting: Runtime | undefined;
  @state() private _deleteBusy = false;
  @state() private _deleteError = '';
  /** The runtime the rename form renames. */
  @state() private _renaming: Runtime | undefined;
  @state() private _renameBusy = false;
  @state() private _renameError = '';
  @state() private _now = Date.now();

  @consume({ context: configContext, subscribe: true })
  @state()
  private _config: ConfigContextValue;

  @consume({ context: runtimeContext, subscribe: true })
  @state()
  private _selectedRuntime: RuntimeContextValue;

  /** The client to list runtimes through and to create them with. Provided by `<remote-chat>`. */
  @consume({ context: clientContext, subscribe: true })
  @property({ attribute: false })
  client: RemoteChatClient | undefined;

  /** The runtimes to list. Kept up to date by the picker itself when it has a `client`. */
  @property({ attribute: false }) runtimes: Runtime[] = [];

  /** The providers New offers. Taken from the config when inside `<remote-chat>`. */
  @property({ attribute: false }) providers: ProviderInfo[] = [];

  /** The id of the selected runtime. */
  @property({ reflect: true }) value = '';

  /** Which list shows: `existing` runtimes or `new` (providers). */
  @property({ reflect: true }) mode: RuntimePickerMode = 'existing';

  /** The repository a new runtime clones, as `owner/name`. */
  @property() repo: string | null = null;

  /** The branch a new runtime checks out; the default branch when null. */
  @property() branch: string | null = null;

  /**
   * Gets the user's GitHub token for the clone of `repo` (sent once with the creation, never
   * stored by the BFF); a public repository needs none.
   */
  @property({ attribute: false }) githubToken: (() => Promise<string | undefined>) | undefined;

  /** The default agent of a new runtime's threads; the BFF's default when null. */
  @property() agent: string | null = null;

  /** Disables every control. */
  @property({ type: Boolean, reflect: true }) disabled = false;

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('_config') && this._config) this.providers = this._config.providers;
    if (changed.has('_selectedRuntime')) this.value = this._selectedRuntime?.id ?? '';
    if (changed.has('client')) this.runtimesList.follow(this.client, this.client ? 'runtimes' : undefined);
    if (changed.has('providers') && !this.providers.some((p) => p.id === this._provider)) {
      this._provider = this.providers[0]?.id;
    }
  }

  override updated(changed: PropertyValues): void {
    if (this._open) {
      this.renderRoot.querySelector(`#${this.uid}-option-${this._active}`)?.scrollIntoView({ block: 'nearest' });
    }
    // The confirmation takes focus (on Cancel) when it opens, and gives it back when it closes;
    // so does the rename form (on its name, selected).
    if (changed.has('_deleting') && (this._deleting || changed.get('_deleting')))
      this.renderRoot.querySelector<HTMLElement>(this._deleting ? '.confirm .button' : '.combo-button')?.focus();
    if (changed.has('_renaming') && (this._renaming || changed.get('_renaming'))) {
      const input = this.renderRoot.querySelector<HTMLInputElement>('.rename input');
      if (input) input.select();
      else this.renderRoot.querySelector<HTMLElement>('.combo-button')?.focus();
    }
  }

  /** The runtimes that can work, newest first, then the stopped and failed ones, newest first. */
  private get sortedRuntimes(): Runtime[] {
    return this.runtimes.toSorted(
      (a, b) => Number(ENDED.has(a.status)) - Number(ENDED.has(b.status)) || b.createdAt.localeCompare(a.createdAt),
    );
  }

  private setMode(mode: RuntimePickerMode): void {
    this.mode = mode;
    this._open = false;
    this._createError = '';
  }

  private openList(): void {
    const list = this.sortedRuntimes;
    const selected = list.findIndex((r) => r.id === this.value);
    this._active = Math.max(0, selected);
    this._now = Date.now();
    this._open = true;
  }

  private choose(runtime: Runtime): void {
    this._open = false;
    if (runtime.id === this.value) return;
    this.value = runtime.id;
    this.dispatchEvent(new RcRuntimeSelectEvent({ runtime }));
  }

  private onComboKeyDown(event: KeyboardEvent): void {
    const list = this.sortedRuntimes;
    const last = list.length - 1;
    switch (event.key) {
      case 'ArrowDown':
        if (!this._open) this.openList();
        else this._active = Math.min(last, this._active + 1);
        break;
      case 'ArrowUp':
        if (!this._open) this.openList();
        else this._active = Math.max(0, this._active - 1);
        break;
      case 'Home':
        if (!this._open) return;
        this._active = 0;
        break;
      case 'End':
        if (!this._open) return;
        this._active = Math.max(0, last);
        break;
      case 'Enter':
      case ' ': {
        const runtime = list[this._active];
        if (this._open && runtime) this.choose(runtime);
        else if (!this._open) this.openList();
        else this._open = false;
        break;
      }
      case 'Escape':
        if (!this._open) return;
        this._open = false;
        break;
      case 'Delete': {
        const runtime = list[this._active];
        if (!this._open || !runtime) return;
        this.askDelete(runtime);
        break;
      }
      case 'F2': {
        const runtime = list[this._active];
        if (!this._open || !runtime) return;
        this.askRename(runtime);
        break;
      }
      case 'Tab':
        this._open = false;
        return;
      default:
        return;
    }
    event.preventDefault();
  }

  private onComboFocusOut(event: FocusEvent): void {
    const to = event.relatedTarget;
    if (!(to instanceof Node) || !this.renderRoot.contains(to)) this._open = false;
  }

  private askDelete(runtime: Runtime): void {
    this._open = false;
    this._renaming = undefined;
    this._deleteError = '';
    this._deleting = runtime;
  }

  private askRename(runtime: Runtime): void {
    this._open = false;
    this._deleting = undefined;
    this._renameError = '';
    this._renaming = runtime;
  }

  private async saveRename(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const runtime = this._renaming;
    if (!runtime || this._renameBusy) return;
    const input = (event.currentTarget as HTMLFormElement).querySelector('input')!;
    // As the BFF checks it (RuntimeNameSchema), without zod in the browser bundle.
    const name = input.value.trim();
    if (!name || name.length > LIMITS.maxRuntimeNameChars) {
      this._renameError = `A name is 1 to ${LIMITS.maxRuntimeNameChars} characters.`;
      return;
    }
    // Cancelled, or no client: the host renames it.
    if (!this.dispatchEvent(new RcRuntimeRenameEvent({ runtime, name })) || !this.client) {
      this._renaming = undefined;
      return;
    }
    this._renameBusy = true;
    this._renameError = '';
    try {
      this.runtimesList.upsert(await this.client.renameRuntime(runtime.id, name));
      this._renaming = undefined;
    } catch (error) {
      this._renameError = describeError(error);
    } finally {
      this._renameBusy = false;
    }
  }

  private async confirmDelete(): Promise<void> {
    const runtime = this._deleting;
    if (!runtime || this._deleteBusy) return;
    // Cancelled, or no client: the host deletes it.
    if (!this.dispatchEvent(new RcRuntimeDeleteEvent({ runtime })) || !this.client) {
      this._deleting = undefined;
      return;
    }
    this._deleteBusy = true;
    try {
      await this.client.deleteRuntime(runtime.id);
    } catch (error) {
      // Already gone is as good as deleted.
      if (!(error instanceof ChatClientError && error.code === 'not_found')) {
        this._deleteError = describeError(error);
        return;
      }
    } finally {
      this._deleteBusy = false;
    }
    this.runtimesList.remove(runtime.id);
    this._deleting = undefined;
  }

  private async create(): Promise<void> {
    if (this._creating || !this._provider) return;
    const request: CreateRuntimeRequest = { provider: this._provider };
    if (this.repo) request.repo = this.repo;
    if (this.repo && this.branch) request.branch = this.branch;
    if (this.agent) request.agent = this.agent;
    this._createError = '';
    if (!this.dispatchEvent(new RcRuntimeCreateEvent({ request }))) return;
    if (!this.client) return;
    this._creating = true;
    try {
      // Only now, after the event: the token is in no event detail.
      const githubToken = this.repo ? await this.githubToken?.() : undefined;
      const runtime = await this.client.createRuntime(githubToken ? { ...request, githubToken } : request);
      this.runtimesList.upsert(runtime);
      this.value = runtime.id;
      this.mode = 'existing';
      this.dispatchEvent(new RcRuntimeSelectEvent({ runtime }));
    } catch (error) {
      this._createError = describeError(error);
    } finally {
      this._creating = false;
    }
  }

  /** Opens the runtime list (Existing) or moves focus to the provider choice (New). */
  override focus(options?: FocusOptions): void {
    const target = this.renderRoot.querySelector<HTMLElement>(
      this.mode === 'existing' ? '.combo-button' : '.providers input:checked, .create-button',
    );
    (target ?? this.renderRoot.querySelector<HTMLElement>('.mode input:checked'))?.focus(options);
  }

  private renderMode() {
    return html`
      <fieldset class="mode choices" part="mode" ?disabled=${this.disabled}>
        <legend class="visually-hidden">How to run</legend>
        ${(['existing', 'new'] as const).map(
          (mode) => html`
            <label class="choice">
              <input
                type="radio"
                name="${this.uid}-mode"
                value=${mode}
                .checked=${this.mode === mode}
                @change=${() => this.setMode(mode)}
              />
              <span>${mode === 'existing' ? 'Existing' : 'New'}</span>
            </label>
          `,
        )}
      </fieldset>
    `;
  }

  private renderRuntimeSummary(runtime: Runtime) {
    return html`
      <span class="status-dot ${statusDotClass(runtime.status)}" aria-hidden="true"></span>
      <span class="combo-value" title=${runtimeDetails(runtime)}>${runtime.name}</span>
      <span class="visually-hidden">, ${runtimeStatusLabel(runtime.status)}, ${runtimeDetails(runtime)}</span>
    `;
  }

  private renderExisting() {
    const list = this.sortedRuntimes;
    const selected = list.find((r) => r.id === this.value);
    const listId = `${this.uid}-list`;
    const loading = Boolean(this.client) && !this.runtimesList.loaded;
    return html`
      <div class="combo" @focusout=${this.onComboFocusOut}>
        <button
          class="combo-button"
          part="combobox"
          type="button"
          role="combobox"
          aria-label="Runtime"
          aria-haspopup="listbox"
          aria-controls=${listId}
          aria-expanded=${this._open ? 'true' : 'false'}
          aria-activedescendant=${this._open && list.length ? `${this.uid}-option-${this._active}` : nothing}
          ?disabled=${this.disabled}
          @click=${() => (this._open ? (this._open = false) : this.openList())}
          @keydown=${this.onComboKeyDown}
        >
          ${
            selected
              ? this.renderRuntimeSummary(selected)
              : html`<span class="combo-value muted">
                ${loading ? 'Loading runtimes…' : list.length ? 'Choose a runtime' : 'No runtimes yet'}
              </span>`
          }
          <span class="chevron" aria-hidden="true"></span>
        </button>
        <ul
          id=${listId}
          class="listbox"
          part="listbox"
          role="listbox"
          aria-label="Runtimes"
          aria-describedby="${this.uid}-delete-hint"
          ?hidden=${!this._open}
        >
          ${
            list.length === 0
              ? html`<li class="empty" role="presentation">
                ${loading ? 'Loading runtimes…' : 'No runtimes yet. Choose New to create one.'}
              </li>`
              : list.map(
                  (runtime, index) => html`
                  ${
                    // The first stopped or failed one opens their group.
                    ENDED.has(runtime.status) && (index === 0 || !ENDED.has(list[index - 1]!.status))
                      ? html`<li class="group-label" role="presentation">Stopped</li>`
                      : nothing
                  }
                  <li
                    id="${this.uid}-option-${index}"
                    class=${classMap({ option: true, active: index === this._active })}
                    role="option"
                    aria-selected=${runtime.id === this.value ? 'true' : 'false'}
                    @mousedown=${(e: Event) => e.preventDefault()}
                    @mousemove=${() => (this._active = index)}
                    @click=${() => this.choose(runtime)}
                  >
                    <span class="status-dot ${statusDotClass(runtime.status)}" aria-hidden="true"></span>
                    <span class="option-name">${runtime.name}</span>
                    <span class="option-status">${runtimeStatusLabel(runtime.status)}</span>
                    <span class="option-meta"
                      ><span class="kind ${runtime.kind}">${runtime.kind === 'machine' ? 'Local machine' : 'Sandbox'}</span>
                      ${runtimeDetails(runtime)}</span
                    >
                    <span class="option-id" title=${formatDateTime(runtime.createdAt)}
                      >${runtime.id} · created ${formatRelativeTime(runtime.createdAt, this._now)}</span
                    >
                    <span
                      class="option-rename"
                      aria-hidden="true"
                      title="Rename ${runtime.name}"
                      @click=${(e: Event) => {
                        e.stopPropagation();
                        this.askRename(runtime);
                      }}
                      >✎</span
                    >
                    <span
                      class="option-delete"
                      aria-hidden="true"
                      title="Delete ${runtime.name}"
                      @click=${(e: Event) => {
                        e.stopPropagation();
                        this.askDelete(runtime);
                      }}
                      >×</span
                    >
                  </li>
                `,
                )
          }
        </ul>
        <span id="${this.uid}-delete-hint" hidden>F2: rename the runtime. Delete key: delete it.</span>
      </div>
      ${this._deleting ? this.renderConfirm(this._deleting) : nothing}
      ${this._renaming ? this.renderRename(this._renaming) : nothing}
    `;
  }

  private renderConfirm(runtime: Runtime) {
    const id = `${this.uid}-confirm`;
    return html`
      <div
        class="confirm"
        part="delete-confirm"
        role="alertdialog"
        aria-labelledby=${id}
        aria-describedby="${id}-body"
        @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && !this._deleteBusy && ((this._deleting = undefined))}
      >
        <strong id=${id}>Delete “${runtime.name}”?</strong>
        <span id="${id}-body">It is torn down and its threads deleted.</span>
        <button class="button" type="button" ?disabled=${this._deleteBusy} @click=${() => (this._deleting = undefined)}>
          Cancel
        </button>
        <button class="button danger" type="button" aria-disabled=${this._deleteBusy} @click=${this.confirmDelete}>
          ${this._deleteBusy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Delete
        </button>
        ${this._deleteError ? html`<p class="alert" role="alert">Could not delete it: ${this._deleteError}</p>` : nothing}
      </div>
    `;
  }

  private renderRename(runtime: Runtime) {
    const id = `${this.uid}-rename`;
    return html`
      <form
        class="rename"
        part="rename-form"
        aria-labelledby="${id}-label"
        @submit=${this.saveRename}
        @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && !this._renameBusy && ((this._renaming = undefined))}
      >
        <label id="${id}-label" for="${id}-name">Rename “${runtime.name}”</label>
        <input
          id="${id}-name"
          class="text-input"
          name="name"
          autocomplete="off"
          maxlength=${LIMITS.maxRuntimeNameChars}
          .value=${runtime.name}
          aria-describedby="${id}-id"
          aria-invalid=${this._renameError ? 'true' : 'false'}
        />
        <span id="${id}-id" class="rename-id">${runtime.id}</span>
        <button class="button" type="button" ?disabled=${this._renameBusy} @click=${() => (this._renaming = undefined)}>
          Cancel
        </button>
        <button class="button primary" type="submit" aria-disabled=${this._renameBusy ? 'true' : 'false'}>
          ${this._renameBusy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Save
        </button>
        ${this._renameError ? html`<p class="alert" role="alert">Could not rename it: ${this._renameError}</p>` : nothing}
      </form>
    `;
  }

  private renderNew() {
    const provider = this.providers.find((p) => p.id === this._provider);
    const describedBy = `${this.uid}-provider-description`;
    if (this.providers.length === 0) {
      return html`<p class="muted">This server offers no way to make a runtime.</p>`;
    }
    return html`
      <fieldset class="providers choices" part="providers" ?disabled=${this.disabled || this._creating}>
        <legend class="visually-hidden">Provider</legend>
        ${this.providers.map(
          (p) => html`
            <label class="choice" title=${p.description}>
              <input
                type="radio"
                name="${this.uid}-provider"
                value=${p.id}
                aria-describedby=${p.id === this._provider ? describedBy : nothing}
                .checked=${p.id === this._provider}
                @change=${() => (this._provider = p.id)}
              />
              <span>${p.label}</span>
            </label>
          `,
        )}
      </fieldset>
      <span id=${describedBy} class="visually-hidden">${provider?.description ?? ''}</span>
      <button
        class="button primary create-button"
        part="create-button"
        type="button"
        aria-disabled=${this._creating || !provider ? 'true' : 'false'}
        ?disabled=${this.disabled}
        @click=${this.create}
      >
        ${this._creating ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Create runtime
      </button>
      ${
        this._createError
          ? html`<p class="alert create-error" role="alert">Could not create the runtime: ${this._createError}</p>`
          : nothing
      }
    `;
  }

  override render() {
    return html`
      <div class="base" part="base" aria-busy=${this._creating ? 'true' : 'false'}>
        ${this.renderMode()} ${this.mode === 'existing' ? this.renderExisting() : this.renderNew()}
      </div>
    `;
  }
}
