import { LitElement, html, nothing } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { Runtime } from '@remote-chat/protocol';
import { describeError } from '../../client/errors.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { RcThreadMoveEvent } from '../../events/thread-move-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { threadMoveStyles } from './thread-move.styles.js';

/** The chooser's value for "a new runtime like this one". */
const NEW_RUNTIME = '';
/** How long a new runtime may take to be ready before the chooser gives up waiting. */
const READY_TIMEOUT_MS = 180_000;

/**
 * @summary "Continue on another runtime…": moves a thread off a runtime that cannot take work
 * (stopped, failed, offline) onto another of the user's runtimes.
 *
 * The button opens a chooser of the user's runtimes that can take work (ready or paused) and "A
 * new runtime like this one" (same provider, repository, branch and agent; the move waits until it
 * is ready). Continue moves the thread (`POST /api/threads/:id/move`): it keeps its id and events,
 * and the new runtime is handed the conversation; files of the old workspace stay behind. Escape
 * or Cancel closes the chooser. `<rc-composer>` shows it under its stopped notice.
 *
 * @fires rc-thread-move - {@link RcThreadMoveEvent} `{ threadId, runtimeId }` (cancelable) when
 *   the user continues; cancel it to move the thread yourself (`<remote-chat>` does, and follows it).
 *
 * @csspart open-button - "Continue on another runtime…".
 * @csspart chooser - The runtime drop-down with Continue and Cancel.
 */
export class RcThreadMove extends LitElement {
  static override styles = [themeStyles, sharedStyles, threadMoveStyles];

  /** Stops a wait for a new runtime when the element goes away. */
  private abort: AbortController | undefined;

  @query('select') private _select!: HTMLSelectElement | null;
  @query('.open-button') private _openButton!: HTMLButtonElement | null;

  /** The runtimes offered, once the chooser is open; undefined while closed. */
  @state() private _choices: Runtime[] | undefined;
  /** What the chooser is doing now, for its status line; empty when idle. */
  @state() private _busy = '';
  @state() private _error = '';

  /** The client the runtimes are read and the thread moved through. */
  @property({ attribute: false }) client: RemoteChatClient | undefined;

  /** The thread to move. */
  @property({ attribute: 'thread-id' }) threadId = '';

  /** The runtime the thread is on now (a new one is made like it). */
  @property({ attribute: false }) runtime: Runtime | undefined;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
  }

  private async open(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this._error = '';
    this._busy = 'Reading your runtimes…';
    try {
      const runtimes = await client.listRuntimes();
      this._choices = runtimes.filter(
        (r) => r.id !== this.runtime?.id && (r.status === 'ready' || r.status === 'paused'),
      );
      this._busy = '';
      await this.updateComplete;
      this._select?.focus();
    } catch (error) {
      this._busy = '';
      this._error = `Could not read your runtimes: ${describeError(error)}`;
    }
  }

  private async close(): Promise<void> {
    this.abort?.abort();
    this._choices = undefined;
    this._busy = '';
    await this.updateComplete;
    this._openButton?.focus();
  }

  private async onSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const client = this.client;
    const choice = this._select?.value ?? NEW_RUNTIME;
    if (!client || this._busy) return;
    this._error = '';
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      let target = choice;
      if (choice === NEW_RUNTIME) {
        const like = this.runtime;
        if (!like) return;
        this._busy = 'Starting a new runtime…';
        const made = await client.createRuntime({
          provider: like.provider,
          ...(like.repo && { repo: like.repo }),
          ...(like.branch && { branch: like.branch }),
          agent: like.agent,
        });
        await readyRuntime(client, made.id, abort.signal);
        target = made.id;
      }
      this._busy = 'Moving the thread…';
      // The host (`<remote-chat>`) may move it itself, to follow it to its new runtime.
      if (this.dispatchEvent(new RcThreadMoveEvent({ threadId: this.threadId, runtimeId: target })))
        await client.moveThread(this.threadId, target, { signal: abort.signal });
      this._choices = undefined;
      this._busy = '';
    } catch (error) {
      this._busy = '';
      if (!abort.signal.aborted) this._error = `Could not move the thread: ${describeError(error)}`;
    }
  }

  private renderChooser(choices: Runtime[]) {
    return html`<form
      class="chooser"
      part="chooser"
      aria-label="Continue on another runtime"
      @submit=${this.onSubmit}
      @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && void this.close()}
    >
      <label>
        Continue on
        <select class="compact-select" ?disabled=${Boolean(this._busy)}>
          ${choices.map((r, index) => html`<option value=${r.id} ?selected=${index === 0}>${r.name}</option>`)}
          <option value=${NEW_RUNTIME}>A new runtime like this one</option>
        </select>
      </label>
      <button class="button primary" type="submit" aria-disabled=${this._busy ? 'true' : 'false'}>Continue</button>
      <button class="button quiet" type="button" @click=${() => void this.close()}>Cancel</button>
    </form>`;
  }

  override render() {
    const choices = this._choices;
    return html`
      ${
        choices
          ? this.renderChooser(choices)
          : html`<button
              class="button open-button"
              part="open-button"
              type="button"
              aria-disabled=${this._busy ? 'true' : 'false'}
              @click=${() => void this.open()}
            >
              Continue on another runtime…
            </button>`
      }
      <p class="muted" role="status">
        ${this._busy ? html`<span class="spinner" aria-hidden="true"></span> ${this._busy}` : nothing}
      </p>
      ${this._error ? html`<p class="alert" role="alert">${this._error}</p>` : nothing}
    `;
  }
}

/** Resolves once the runtime is ready (or paused), following the `runtimes` topic; rejects if it fails. */
function readyRuntime(client: RemoteChatClient, runtimeId: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error) => {
      stop();
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      if (error) reject(error);
      else resolve();
    };
    const aborted = () => finish(new Error('cancelled'));
    const timer = setTimeout(() => finish(new Error('the new runtime did not become ready in time')), READY_TIMEOUT_MS);
    const check = (runtime: Runtime | undefined) => {
      if (runtime?.status === 'ready' || runtime?.status === 'paused') finish();
      else if (runtime?.status === 'failed' || runtime?.status === 'stopped')
        finish(new Error('the new runtime failed to start; see its sandbox log'));
    };
    signal.addEventListener('abort', aborted, { once: true });
    const stop = client.subscribe('runtimes', 0, (frame) => {
      if (frame.type === 'runtimes') check(frame.runtimes.find((r) => r.id === runtimeId));
      else if (frame.type === 'runtime' && frame.runtime.id === runtimeId) check(frame.runtime);
    });
  });
}
