import { html, nothing, type LitElement, type TemplateResult } from 'lit';
import { ChatClientError } from '@remote-chat/elements';

export interface ConfirmDialogOptions<T> {
  /** Names the dialog's parts: `{id}-dialog` (its class), `{id}-title`, `{id}-body`. */
  id: string;
  /** What the confirm button does to the subject, e.g. delete it on the server. */
  action: (subject: T) => Promise<void>;
  /** After the action succeeded (or found the subject already gone): update the page, say what happened. */
  done: (subject: T) => void;
  /** Begins the error shown in the dialog when the action fails: "Could not delete the runtime". */
  failure: string;
}

/** What the dialog says. */
export interface ConfirmDialogContent {
  title: string;
  body: TemplateResult | string;
  /** The confirm button's words: "Delete runtime". */
  confirm: string;
}

/**
 * A modal that asks before something that cannot be undone (deleting a runtime, revoking a
 * token), for the portal's pages: `ask(subject)` opens it, Cancel or Escape closes it, confirm
 * runs `action` with a spinner while it works and keeps the dialog open with the error if it
 * fails. A subject the server no longer has (`not_found`: gone elsewhere meanwhile) counts as
 * done. The host renders it (`render`), which it asks to update when its state changes, and
 * styles it (`dialog`, `.dialog-actions`, the shared buttons).
 *
 * ```ts
 * private readonly revoke = new ConfirmDialog<ApiToken>(this, {
 *   id: 'revoke',
 *   action: (token) => this.client.revokeApiToken(token.id),
 *   done: (token) => { … },
 *   failure: 'Could not revoke the token',
 * });
 * ```
 */
export class ConfirmDialog<T> {
  readonly #host: LitElement;
  readonly #options: ConfirmDialogOptions<T>;
  #subject: T | undefined;
  #busy = false;
  #error = '';

  constructor(host: LitElement, options: ConfirmDialogOptions<T>) {
    this.#host = host;
    this.#options = options;
  }

  /** What the open dialog asks about. */
  get subject(): T | undefined {
    return this.#subject;
  }

  /** Opens the dialog about `subject`. */
  ask(subject: T): void {
    this.#subject = subject;
    this.#error = '';
    this.#host.requestUpdate();
    this.#dialog()?.showModal();
  }

  close(): void {
    this.#dialog()?.close();
  }

  #dialog(): HTMLDialogElement | null {
    return this.#host.renderRoot.querySelector<HTMLDialogElement>(`dialog.${this.#options.id}-dialog`);
  }

  async #confirm(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const subject = this.#subject;
    if (subject === undefined || this.#busy) return;
    this.#busy = true;
    this.#error = '';
    this.#host.requestUpdate();
    try {
      await this.#options.action(subject);
    } catch (error) {
      if (!(error instanceof ChatClientError && error.code === 'not_found')) {
        this.#error = `${this.#options.failure}: ${error instanceof Error ? error.message : String(error)}`;
        this.#busy = false;
        this.#host.requestUpdate();
        return;
      }
    }
    this.#busy = false;
    this.close();
    this.#options.done(subject);
  }

  #closed(): void {
    this.#subject = undefined;
    this.#error = '';
    this.#host.requestUpdate();
  }

  render({ title, body, confirm }: ConfirmDialogContent): TemplateResult {
    const { id } = this.#options;
    const busy = this.#busy;
    return html`
      <dialog
        class=${`${id}-dialog`}
        aria-labelledby=${`${id}-title`}
        aria-describedby=${`${id}-body`}
        @close=${() => this.#closed()}
      >
        <form method="dialog" @submit=${(event: SubmitEvent) => this.#confirm(event)}>
          <h3 id=${`${id}-title`}>${title}</h3>
          <p id=${`${id}-body`}>${body}</p>
          ${this.#error ? html`<p class="alert" role="alert">${this.#error}</p>` : nothing}
          <div class="dialog-actions">
            <button class="button" type="button" autofocus @click=${() => this.close()}>Cancel</button>
            <button class="button danger-solid" type="submit" aria-disabled=${busy ? 'true' : 'false'}>
              ${busy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} ${confirm}
            </button>
          </div>
        </form>
      </dialog>
    `;
  }
}
