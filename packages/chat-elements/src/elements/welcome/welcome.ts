import { LitElement, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import type { ConfigResponse } from '@remote-chat/protocol';
import { RcFirstChatEvent } from '../../events/first-chat-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { machineConnectCommand } from '../../util/connect-command.js';
import { welcomeStyles } from './welcome.styles.js';

/**
 * @summary The first screen of a user with no runtime yet: what a runtime is, its two kinds (a
 * sandbox on the server, or the user's own machine, with the commands that connect it), and
 * "Start your first chat". `<remote-chat>` shows it, and loads it (in `remote-chat.js`, a file
 * beside it) only for such a user.
 *
 * @fires rc-first-chat - {@link RcFirstChatEvent} `{ provider }` when the user presses Start your
 *   first chat: the first sandbox provider of `providers`.
 *
 * @csspart base - The welcome.
 * @csspart start-button - Start your first chat.
 */
export class RcWelcome extends LitElement {
  static override styles = [themeStyles, sharedStyles, welcomeStyles];

  /** The BFF's providers (`GET /api/config`): the first sandbox one hosts the first chat. */
  @property({ attribute: false }) providers: ConfigResponse['providers'] = [];

  /** The BFF's URL, for the commands that connect a machine. */
  @property({ attribute: 'bff-url' }) bffUrl = '';

  /** The first chat is being started. */
  @property({ type: Boolean }) busy = false;

  /** Why the first chat could not start; empty when nothing went wrong. */
  @property() error = '';

  override render() {
    const sandbox = this.providers.find((p) => p.kind === 'sandbox');
    return html`
      <section class="base" part="base" aria-labelledby="welcome-title">
        <h2 id="welcome-title">Welcome to Remote Chat</h2>
        <p>
          You chat with an agent that works in a <strong>runtime</strong>: a workspace with a shell, where it runs
          commands and changes files. A runtime runs in one of two places:
        </p>
        <div class="modes">
          ${
            sandbox
              ? html`<div class="mode">
                  <h3>A sandbox here</h3>
                  <p>${sandbox.description}</p>
                  <button
                    class="button primary"
                    part="start-button"
                    type="button"
                    aria-disabled=${this.busy ? 'true' : 'false'}
                    @click=${() => this.busy || this.dispatchEvent(new RcFirstChatEvent({ provider: sandbox.id }))}
                  >
                    ${this.busy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Start your first chat
                  </button>
                  ${this.error ? html`<p class="alert" role="alert">${this.error}</p>` : nothing}
                </div>`
              : nothing
          }
          <div class="mode">
            <h3>Your own machine</h3>
            <p>
              The agent works in your project folder, with your tools. Create an API token on the Account page, then
              run this in the folder; it shows up in the runtime menu above.
            </p>
            <pre tabindex="0" aria-label="Commands that connect your machine"><code>${machineConnectCommand(
              this.bffUrl,
            )}</code></pre>
          </div>
        </div>
      </section>
    `;
  }
}
