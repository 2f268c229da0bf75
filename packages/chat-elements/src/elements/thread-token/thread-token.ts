import { consume } from '@lit/context';
import { LitElement, html, nothing } from 'lit';
import { state } from 'lit/decorators.js';
import { describeError } from '../../client/errors.js';
import { clientContext, type ClientContextValue } from '../../context/client-context.js';
import { threadContext, type ThreadContextValue } from '../../context/thread-context.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { threadTokenStyles } from './thread-token.styles.js';

/**
 * @summary The agent picker's help for running your own agent: "Copy a thread token" mints a token
 * for the open thread (`POST /api/threads/:threadId/agent-tokens`), copies it to the clipboard and
 * shows it this once, with how to use it (docs/agent-protocol.md). Takes the client and the thread
 * from `<remote-chat>`'s context; renders nothing without them.
 *
 * @csspart base - The help's `<details>`.
 * @csspart copy - The "Copy a thread token" button.
 * @csspart token - The token, shown once, read-only.
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
      <details class="help" part="base">
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
          ${this._error ? html`<span class="error" role="alert">${this._error}</span>` : nothing}
        </div>
      </details>
    `;
  }
}
