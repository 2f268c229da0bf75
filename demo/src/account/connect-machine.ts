import { LitElement, css, html } from 'lit';
import { state } from 'lit/decorators.js';
import { machineConnectCommand, sharedStyles, themeStyles } from '@remote-chat/elements';
import { accountStyles } from './account.styles.js';

/**
 * @summary Account → Connect your machine: the commands that connect a machine to this server as
 * a runtime (the same ones the chat's welcome shows), ready to copy.
 */
export class PortalConnectMachine extends LitElement {
  static override styles = [
    themeStyles,
    sharedStyles,
    accountStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .command {
        max-width: 100%;
        margin: 0;
        padding: 0.6rem 0.75rem;
        overflow-x: auto;
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        background: var(--_surface);
        font-family: var(--_mono);
        font-size: 0.85em;
        white-space: pre;
      }
      .row {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        margin-top: 0.5rem;
      }
    `,
  ];

  @state() private _copy: '' | 'copied' | 'failed' = '';

  private get command(): string {
    return machineConnectCommand(location.origin);
  }

  private async onCopy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.command);
      this._copy = 'copied';
    } catch {
      // No clipboard (permissions, an insecure origin): the commands are selected for a manual copy.
      this._copy = 'failed';
      const pre = this.renderRoot.querySelector('pre');
      if (pre) getSelection()?.selectAllChildren(pre);
    }
  }

  override render() {
    return html`
      <section class="base" aria-labelledby="connect-title">
        <h2 id="connect-title">Connect your machine</h2>
        <p class="intro">
          Run the agent on your own computer, in a project folder, with your tools. Create an API token above, then run
          these in the folder (Node 20 or newer); the folder shows up in the chat's runtime menu.
        </p>
        <pre class="command" tabindex="0" aria-label="Commands that connect your machine"><code>${this.command}</code></pre>
        <div class="row">
          <button class="button copy-command" type="button" @click=${this.onCopy}>Copy commands</button>
          <span class="copy-status" role="status"
            >${
              this._copy === 'copied'
                ? 'Copied to the clipboard.'
                : this._copy === 'failed'
                  ? 'Could not copy; the commands are selected: copy them with your keyboard.'
                  : ''
            }</span
          >
        </div>
      </section>
    `;
  }
}
