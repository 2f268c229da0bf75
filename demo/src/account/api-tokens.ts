import { Task } from '@lit/task';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import type { ApiToken, CreatedApiToken } from '@remote-chat/protocol';
import { RemoteChatClient, ChatClientError, sharedStyles, themeStyles } from '@remote-chat/elements';
import { ConfirmDialog } from '../confirm-dialog.js';
import { accountStyles } from './account.styles.js';
import { apiTokensStyles } from './api-tokens.styles.js';

/** The expiry choices of the create form, in days; empty for a token that does not expire. */
const EXPIRY_CHOICES = [
  { days: '7', label: '7 days' },
  { days: '30', label: '30 days' },
  { days: '90', label: '90 days' },
  { days: '365', label: '1 year' },
  { days: '', label: 'Never' },
] as const;
const DEFAULT_EXPIRY_DAYS = '90';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * @summary Account → API tokens: create a named token with an optional expiry, whose secret is
 * shown once with a copy button; list each token's name, creation, last use and expiry; revoke
 * one after a confirmation. Talks to the BFF of this page's origin with the owner's session.
 *
 * API tokens are for servers and machines: a host site's backend mints client tokens for its
 * users with one, and `remote-chat-runtime connect` connects a machine with one.
 */
export class PortalApiTokens extends LitElement {
  static override styles = [themeStyles, sharedStyles, accountStyles, apiTokensStyles];

  private readonly listTask = new Task(this, {
    task: async ([client], { signal }) => client.listApiTokens({ signal }),
    args: () => [this.client] as const,
    onComplete: (tokens) => (this._tokens = tokens),
  });
  /** Where focus goes after the next render: a heading that stands for what just changed. */
  private focusAfterRender: 'created' | 'list' | 'name' | undefined;
  private readonly revocation = new ConfirmDialog<ApiToken>(this, {
    id: 'revoke',
    action: (token) => this.client.revokeApiToken(token.id),
    done: (token) => {
      this._tokens = this._tokens.filter((t) => t.id !== token.id);
      if (this._created?.id === token.id) this._created = undefined;
      this._announcement = `Revoked the token “${token.name}”.`;
      // The button that opened the dialog is gone with its row.
      this.focusAfterRender = 'list';
    },
    failure: 'Could not revoke the token',
  });

  @query('#name') private nameInput!: HTMLInputElement;
  @query('#expiry') private expirySelect!: HTMLSelectElement;
  @query('#created-title') private createdTitle!: HTMLElement;
  @query('#list-title') private listTitle!: HTMLElement;

  @state() private _tokens: ApiToken[] = [];
  /** The token just created, with its secret, until the person says they stored it. */
  @state() private _created: CreatedApiToken | undefined;
  @state() private _creating = false;
  @state() private _createError = '';
  @state() private _copy: '' | 'copied' | 'failed' = '';
  /** Said by the live region: what just happened. */
  @state() private _announcement = '';

  /** The client for the BFF; one for this page's origin, with its session cookie, by default. */
  @property({ attribute: false }) client = new RemoteChatClient();

  override updated(changed: PropertyValues): void {
    super.updated(changed);
    const target = this.focusAfterRender;
    this.focusAfterRender = undefined;
    if (target === 'created') this.createdTitle?.focus();
    else if (target === 'list') this.listTitle?.focus();
    else if (target === 'name') this.nameInput?.focus();
  }

  private async onCreate(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (this._creating) return;
    const name = this.nameInput.value.trim();
    if (!name) {
      this._createError = 'Give the token a name, such as the server or machine that will use it.';
      this.nameInput.focus();
      return;
    }
    const days = this.expirySelect.value;
    this._creating = true;
    this._createError = '';
    try {
      const created = await this.client.createApiToken({ name, ...(days && { expiresInDays: Number(days) }) });
      const { token: _secret, ...listed } = created;
      this._tokens = [listed, ...this._tokens.filter((t) => t.id !== listed.id)];
      this._created = created;
      this._copy = '';
      this.nameInput.value = '';
      this.expirySelect.value = DEFAULT_EXPIRY_DAYS;
      this._announcement = `Created the token “${created.name}”. Copy it now: it is shown only once.`;
      this.focusAfterRender = 'created';
    } catch (error) {
      this._createError = `Could not create the token: ${describe(error)}`;
    } finally {
      this._creating = false;
    }
  }

  private async onCopy(): Promise<void> {
    if (!this._created) return;
    try {
      await navigator.clipboard.writeText(this._created.token);
      this._copy = 'copied';
    } catch {
      // No clipboard (permissions, an insecure origin): the field is selected for a manual copy.
      this._copy = 'failed';
      const field = this.renderRoot.querySelector<HTMLInputElement>('#secret');
      field?.focus();
      field?.select();
    }
  }

  private onCreatedDone(): void {
    this._created = undefined;
    this._copy = '';
    this._announcement = '';
    this.focusAfterRender = 'name';
  }

  private renderCreateForm() {
    return html`
      <form class="panel create" aria-labelledby="create-title" @submit=${this.onCreate} novalidate>
        <h3 id="create-title">Create a token</h3>
        <div class="fields">
          <div class="field grow">
            <label for="name">Name</label>
            <input
              id="name"
              name="name"
              type="text"
              maxlength="100"
              autocomplete="off"
              required
              placeholder="e.g. acme.example backend"
              aria-describedby="name-hint"
              aria-invalid=${this._createError && !this.nameInput?.value.trim() ? 'true' : 'false'}
            />
            <span id="name-hint" class="hint">Say what will use it, so you know what to revoke later.</span>
          </div>
          <div class="field">
            <label for="expiry">Expires after</label>
            <select id="expiry" name="expiry">
              ${EXPIRY_CHOICES.map(
                (choice) =>
                  html`<option value=${choice.days} ?selected=${choice.days === DEFAULT_EXPIRY_DAYS}>${choice.label}</option>`,
              )}
            </select>
          </div>
          <button class="button primary" type="submit" aria-disabled=${this._creating ? 'true' : 'false'}>
            ${this._creating ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Create token
          </button>
        </div>
        ${this._createError ? html`<p class="alert" role="alert">${this._createError}</p>` : nothing}
      </form>
    `;
  }

  private renderCreated(created: CreatedApiToken) {
    return html`
      <section class="panel created" aria-labelledby="created-title">
        <h3 id="created-title" tabindex="-1">Copy your new token now</h3>
        <p class="warning">
          <strong>This is the only time it is shown.</strong> Remote Chat keeps only a hash of it. Store it where the server or
          machine that uses it keeps its secrets; if you lose it, revoke it and create another. Anyone who has it can act as
          you.
        </p>
        <label for="secret">The token “${created.name}”</label>
        <div class="secret-row">
          <input
            id="secret"
            class="secret"
            type="text"
            readonly
            spellcheck="false"
            autocomplete="off"
            .value=${created.token}
            @focus=${(event: FocusEvent) => (event.target as HTMLInputElement).select()}
          />
          <button class="button" type="button" @click=${this.onCopy}>Copy</button>
        </div>
        <p class="copy-status" role="status">
          ${
            this._copy === 'copied'
              ? 'Copied to the clipboard.'
              : this._copy === 'failed'
                ? 'Could not copy; the token is selected: copy it with your keyboard.'
                : ''
          }
        </p>
        <button class="button" type="button" @click=${this.onCreatedDone}>I have stored it</button>
      </section>
    `;
  }

  private renderToken(token: ApiToken) {
    const nameId = `token-${token.id}`;
    const expired = token.expiresAt !== null && Date.parse(token.expiresAt) <= Date.now();
    return html`
      <li class="token" aria-labelledby=${nameId}>
        <div class="token-main">
          <h4 class="token-name" id=${nameId}>${token.name}</h4>
          <dl class="token-facts">
            <div><dt>Created</dt><dd>${time(token.createdAt, dateTimeFormat)}</dd></div>
            <div>
              <dt>Last used</dt>
              <dd>${token.lastUsedAt ? time(token.lastUsedAt, dateTimeFormat) : html`<span class="muted">Never</span>`}</dd>
            </div>
            <div>
              <dt>Expires</dt>
              <dd class=${expired ? 'expired' : ''}>
                ${
                  token.expiresAt === null
                    ? html`<span class="muted">Never</span>`
                    : expired
                      ? html`Expired ${time(token.expiresAt, dateFormat)}`
                      : time(token.expiresAt, dateFormat)
                }
              </dd>
            </div>
          </dl>
        </div>
        <button class="button danger" type="button" @click=${() => this.revocation.ask(token)}>
          Revoke<span class="visually-hidden"> “${token.name}”</span>
        </button>
      </li>
    `;
  }

  private renderList() {
    return html`
      <section class="panel list" aria-labelledby="list-title">
        <h3 id="list-title" tabindex="-1">Your tokens</h3>
        ${
          this._tokens.length === 0
            ? html`<p class="empty">No API tokens yet. Create one above for a server that embeds the chat, or for a machine you connect.</p>`
            : html`<ul class="tokens" role="list">
              ${this._tokens.map((token) => this.renderToken(token))}
            </ul>`
        }
      </section>
    `;
  }

  private renderLoading() {
    return html`<p class="status" role="status"><span class="spinner" aria-hidden="true"></span> Loading your tokens…</p>`;
  }

  private renderDialog() {
    return this.revocation.render({
      title: `Revoke “${this.revocation.subject?.name ?? ''}”?`,
      body:
        'Whatever uses it stops working at once: a server can no longer mint client tokens with it, the client tokens it ' +
        'minted are refused, and a machine can no longer connect with it. This cannot be undone.',
      confirm: 'Revoke token',
    });
  }

  override render() {
    return html`
      <section class="base" part="base" aria-labelledby="title">
        <h2 id="title">API tokens</h2>
        <p class="intro">
          An API token lets a server or a machine act as you. A site that embeds the chat gives one to its backend, which trades it
          for short-lived client tokens for its own users (<code>POST /api/client-tokens</code>); <code>remote-chat-runtime
          connect</code> connects your machine with one. Treat them like passwords.
        </p>
        ${this.listTask.render({
          initial: () => this.renderLoading(),
          pending: () => this.renderLoading(),
          error: (error) =>
            error instanceof ChatClientError && error.code === 'unauthorized'
              ? html`<div class="panel signed-out">
                  <h3>You're signed out</h3>
                  <p>
                    Open the sign-in link that <code>npm start</code> printed in its terminal (or run
                    <code>npx remote-chat-bff signin-link</code> for a new one), then come back to this page.
                  </p>
                </div>`
              : html`<div class="panel load-error">
                  <p class="alert" role="alert">Could not load your tokens: ${describe(error)}</p>
                  <button class="button" type="button" @click=${() => void this.listTask.run()}>Try again</button>
                </div>`,
          complete: () => html`
            ${this.renderCreateForm()} ${this._created ? this.renderCreated(this._created) : nothing} ${this.renderList()}
          `,
        })}
        <p class="visually-hidden" role="status">${this._announcement}</p>
        ${this.renderDialog()}
      </section>
    `;
  }
}

function time(iso: string, format: Intl.DateTimeFormat) {
  return html`<time datetime=${iso}>${format.format(new Date(iso))}</time>`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
