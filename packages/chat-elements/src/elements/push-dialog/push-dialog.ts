import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { PushResponse } from '@remote-chat/protocol';
import { ChatClientError, describeError } from '../../client/errors.js';
import type { RestApi } from '../../client/rest-api.js';
import { RcPushCloseEvent } from '../../events/push-close-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { httpUrl } from '../../util/format.js';
import { rateLimitMessage } from '../repo-selector/github-repo-source.js';
import type { RepoSource } from '../repo-selector/repo-source.js';
import { pushDialogStyles } from './push-dialog.styles.js';

let nextId = 0;

/** `remote-chat/<the thread's title as a slug>`: the branch a push suggests. */
export function suggestedBranch(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return `remote-chat/${slug || 'work'}`;
}

/** A branch name git and the protocol take (checked loosely, as the BFF does; git checks the rest). */
function branchProblem(name: string): string {
  if (!name) return 'Name the branch.';
  if (
    !/^(?!-)[A-Za-z0-9._/-]{1,255}$/.test(name) ||
    name.includes('..') ||
    name.endsWith('/') ||
    name.endsWith('.lock')
  )
    return 'Use letters, digits, ".", "_", "-" and "/" (not at the start or the end).';
  return '';
}

/**
 * @summary Pushes a thread's workspace to a new branch of its repository ("Push to branch…"):
 * asks for the branch (suggesting `remote-chat/<thread-slug>`) and an optional commit message,
 * pushes through the BFF with the user's GitHub token, shows progress, then a link to open a
 * pull request. An expired or revoked GitHub sign-in is forgotten and offered again.
 *
 * @fires rc-push-close - {@link RcPushCloseEvent} `{ result }` when the user closes the dialog
 *   (Cancel, Close or Escape), with the push made, if any.
 *
 * @csspart dialog - The modal dialog.
 * @csspart pull-request - The "Open a pull request" link.
 *
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default).
 */
export class RcPushDialog extends LitElement {
  static override styles = [themeStyles, sharedStyles, pushDialogStyles];

  private readonly uid = `rc-push-dialog-${nextId++}`;

  @query('dialog') private _dialog!: HTMLDialogElement | null;

  @state() private _branch = '';
  @state() private _message = '';
  @state() private _pushing = false;
  @state() private _error = '';
  @state() private _signedOut = false;
  @state() private _result: PushResponse | undefined;

  /** The client the push goes through. */
  @property({ attribute: false }) client: RestApi | undefined;

  /** Where the GitHub token comes from (and the sign-in, when it expired). */
  @property({ attribute: false }) source: RepoSource | undefined;

  /** The thread whose runtime pushes. */
  @property({ attribute: 'thread-id' }) threadId = '';

  /** The thread's title: the suggested branch is made from it. */
  @property({ attribute: 'thread-title' }) threadTitle = '';

  /** Whether the dialog is open. */
  @property({ type: Boolean, reflect: true }) open = false;

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('open') && this.open) {
      this._branch = suggestedBranch(this.threadTitle);
      this._message = '';
      this._error = '';
      this._result = undefined;
      this._signedOut = false;
    }
  }

  override updated(changed: PropertyValues): void {
    const dialog = this._dialog;
    if (!changed.has('open') || !dialog) return;
    if (this.open && !dialog.open) dialog.showModal();
    if (!this.open && dialog.open) dialog.close();
  }

  private close(): void {
    this.open = false;
    this.dispatchEvent(new RcPushCloseEvent({ result: this._result ?? null }));
  }

  private async push(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this._pushing) return;
    const problem = branchProblem(this._branch);
    if (problem) {
      this._error = problem;
      return;
    }
    const { client, source, threadId } = this;
    if (!client || !source) return;
    this._error = '';
    this._pushing = true;
    try {
      const token = await source.token?.();
      if (!token) {
        this._signedOut = true;
        this._error = 'Sign in to GitHub to push.';
        return;
      }
      const message = this._message.trim();
      this._result = await client.pushThread(threadId, { branch: this._branch, token, ...(message && { message }) });
    } catch (error) {
      if (error instanceof ChatClientError && error.code === 'github_unauthorized') {
        await source.signOut?.();
        this._signedOut = true;
        this._error = 'Your GitHub sign-in expired or was revoked. Sign in again.';
      } else if (error instanceof ChatClientError && error.code === 'github_rate_limited') {
        this._error = rateLimitMessage(error.data);
      } else {
        this._error = `The push failed: ${describeError(error)}`;
      }
    } finally {
      this._pushing = false;
    }
  }

  private async signIn(): Promise<void> {
    try {
      await this.source?.signIn();
      this._signedOut = false;
      this._error = '';
    } catch (error) {
      this._error = describeError(error);
    }
  }

  private renderForm() {
    return html`
      <form @submit=${this.push}>
        <label class="field">
          Branch
          <input
            class="text-input"
            name="branch"
            autocomplete="off"
            spellcheck="false"
            .value=${this._branch}
            ?disabled=${this._pushing}
            aria-describedby="${this.uid}-branch-hint"
            @input=${(e: InputEvent) => (this._branch = (e.target as HTMLInputElement).value.trim())}
          />
          <span class="hint" id="${this.uid}-branch-hint">A new branch: the workspace is committed if it changed, then pushed.</span>
        </label>
        <label class="field">
          Commit message <span class="hint">(optional)</span>
          <input
            class="text-input"
            name="message"
            autocomplete="off"
            .value=${this._message}
            ?disabled=${this._pushing}
            @input=${(e: InputEvent) => (this._message = (e.target as HTMLInputElement).value)}
          />
        </label>
        ${this._error ? html`<p class="alert" role="alert">${this._error}</p>` : nothing}
        ${this._pushing ? html`<p class="status" role="status"><span class="spinner" aria-hidden="true"></span> Pushing to ${this._branch}…</p>` : nothing}
        <div class="actions">
          <button class="button" type="button" @click=${this.close}>Cancel</button>
          ${
            this._signedOut
              ? html`<button class="button primary" type="button" @click=${this.signIn}>Sign in with GitHub</button>`
              : html`<button class="button primary" type="submit" aria-disabled=${this._pushing ? 'true' : 'false'}>Push</button>`
          }
        </div>
      </form>
    `;
  }

  private renderDone(result: PushResponse) {
    return html`
      <p class="done" role="status">
        Pushed <code>${result.commit.slice(0, 7)}</code> to <strong>${result.branch}</strong>.
        <a part="pull-request" href=${httpUrl(result.pullRequestUrl) ?? nothing} target="_blank" rel="noopener noreferrer">Open a pull request</a>
      </p>
      <div class="actions"><button class="button" type="button" @click=${this.close}>Close</button></div>
    `;
  }

  override render() {
    return html`
      <dialog part="dialog" aria-labelledby="${this.uid}-title" @close=${() => this.open && this.close()}>
        <h2 id="${this.uid}-title">Push to branch</h2>
        ${this._result ? this.renderDone(this._result) : this.renderForm()}
      </dialog>
    `;
  }
}
