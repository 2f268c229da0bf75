import { consume } from '@lit/context';
import type { AgentToken } from '@remote-chat/protocol';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { state } from 'lit/decorators.js';
import { describeError } from '../../client/errors.js';
import { clientContext, type ClientContextValue } from '../../context/client-context.js';
import { threadContext, type ThreadContextValue } from '../../context/thread-context.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { formatRelativeTime } from '../../util/format.js';
import { threadTokenStyles } from './thread-token.styles.js';

/**
 * @summary The agent picker's help for running your own agent: "Copy a thread token" mints a token
 * for the open thread (`POST /api/threads/:threadId/agent-tokens`), copies it to the clipboard and
 * shows it this once, with how to use it (docs/agent-protocol.md). Lists the thread's tokens (name,
 * when made, when last used) with Revoke (asked twice), which cuts their agent off at once. Takes
 * the client and the thread from `<remote-chat>`'s context; renders nothing without them.
 *
 * @csspart base - The help's `<details>`.
 * @csspart copy - The "Copy a thread token" button.
 * @csspart token - The token, shown once, read-only.
 * @csspart tokens - The list of the thread's tokens.
 * @csspart revoke - A token's Revoke button.
 */
export class RcThreadToken extends LitElement {
  static override styles = [themeStyles, sharedStyles, threadTokenStyles];

  @consume({ context: clientContext, subscribe: true })
  @state()
  private _client: ClientContextValue;

  @consume({ context: threadContext, subscribe: true })
  @state()
  private _thread: ThreadContextValue;

  /** The token just made, for the thread it answers; shown until another thread opens. */
  @state() private _made: { threadId: string; token: string; copied: boolean } | undefined;
  @state() private _error = '';
  @state() private _busy = false;
  /** The open thread's tokens, once the help was opened (undefined: not loaded). */
  @state() private _tokens: { threadId: string; list: AgentToken[] } | undefined;
  /** The token whose Revoke was pressed once and waits for the confirming press. */
  @state() private _confirming: string | undefined;
  private _open = false;

  protected override updated(changed: PropertyValues): void {
    // Another thread: its own tokens, fetched when the help is open.
    if (changed.has('_thread') && this._open && this._tokens?.threadId !== this._thread?.id) void this.loadTokens();
  }

  private onToggle(event: Event): void {
    this._open = (event.target as HTMLDetailsElement).open;
    if (this._open) void this.loadTokens();
  }

  private async loadTokens(): Promise<void> {
    const client = this._client;
    const thread = this._thread;
    if (!client || !thread) return;
    try {
      const list = await client.listAgentTokens(thread.id);
      if (this._thread?.id === thread.id) this._tokens = { threadId: thread.id, list };
    } catch (error) {
      this._error = describeError(error);
    }
  }

  private async revoke(token: AgentToken): Promise<void> {
    const client = this._client;
    if (!client) return;
    if (this._confirming !== token.id) {
      this._confirming = token.id;
      return;
    }
    this._confirming = undefined;
    this._error = '';
    try {
      await client.revokeAgentToken(token.threadId, token.id);
    } catch (error) {
      this._error = describeError(error);
    }
    await this.loadTokens();
  }

  private async copyToken(): Promise<void> {
    const client = this._client;
    const thread = this._thread;
    if (!client || !thread || this._busy) return;
    this._busy = true;
    this._error = '';
    try {
      const { token } = await client.createAgentToken(thread.id);
      let copied = false;
      try {
        await navigator.clipboard.writeText(token);
        copied = true;
      } catch {
        // No clipboard (an insecure page, a refused permission): the token is shown to copy by hand.
      }
      this._made = { threadId: thread.id, token, copied };
      void this.loadTokens();
    } catch (error) {
      this._error = describeError(error);
    } finally {
      this._busy = false;
    }
  }

  override render() {
    const thread = this._thread;
    if (!this._client || !thread) return nothing;
    const made = this._made?.threadId === thread.id ? this._made : undefined;
    return html`
      <details class="help" part="base" @toggle=${this.onToggle}>
        <summary>Run your own agent</summary>
        <div class="panel">
          <span>
            A thread token lets an agent process on any machine answer this thread
            (see the agent protocol). It is shown once; keep it secret.
          </span>
          <button class="button" part="copy" type="button" ?disabled=${this._busy} @click=${this.copyToken}>
            Copy a thread token
          </button>
          ${
            made
              ? html`<label>
                    ${made.copied ? 'Copied. ' : ''}Your token (shown once):
                    <input class="token" part="token" readonly .value=${made.token} @focus=${(e: FocusEvent) => (e.target as HTMLInputElement).select()} />
                  </label>
                  <span>Run <code>REMOTE_CHAT_THREAD_TOKEN=… python3 agent.py --bff ${this._client.bffUrl}</code> and pick its agent here.</span>`
              : nothing
          }
          ${this.renderTokens(thread.id)}
          ${this._error ? html`<span class="error" role="alert">${this._error}</span>` : nothing}
        </div>
      </details>
    `;
  }

  private renderTokens(threadId: string) {
    const tokens = this._tokens?.threadId === threadId ? this._tokens.list : undefined;
    if (!tokens?.length) return nothing;
    return html`<ul class="tokens" part="tokens" aria-label="This thread's tokens">
      ${tokens.map((token) => {
        const confirming = this._confirming === token.id;
        const used = token.lastUsedAt ? `last used ${formatRelativeTime(token.lastUsedAt)}` : 'never used';
        return html`<li>
          <span class="token-name">${token.name}</span>
          <span class="token-meta">made ${formatRelativeTime(token.createdAt)} · ${used}</span>
          <button
            class="button revoke ${confirming ? 'confirming' : ''}"
            part="revoke"
            type="button"
            aria-label=${confirming ? `Really revoke ${token.name}` : `Revoke ${token.name}`}
            @click=${() => this.revoke(token)}
            @blur=${() => {
              if (this._confirming === token.id) this._confirming = undefined;
            }}
          >
            ${confirming ? 'Revoke now' : 'Revoke'}
          </button>
        </li>`;
      })}
    </ul>`;
  }
}
