import { css } from 'lit';

// What the portal's page sections (Account, Runtimes) add to the elements' shared styles
// (buttons, alerts, the spinner, visually-hidden text; composed before this): headings, panels,
// the confirmation dialog, and the page's color-scheme, which the portal's theme choice sets.
export const accountStyles = css`
  :host {
    display: block;
    container-type: inline-size;
    color-scheme: inherit;
    --_on-danger: light-dark(#ffffff, #2a0a0c);
  }

  h2,
  h3,
  h4 {
    margin: 0;
    line-height: 1.25;
  }
  h2 {
    font-size: 1.2rem;
  }
  h3 {
    font-size: 1.05rem;
  }
  h3[tabindex='-1']:focus {
    outline: none;
  }
  h3[tabindex='-1']:focus-visible {
    outline: 2px solid var(--_focus);
  }
  code {
    font-family: var(--_mono);
    font-size: 0.9em;
    overflow-wrap: anywhere;
  }
  p {
    margin: 0;
  }
  .hint,
  .intro {
    color: var(--_muted);
  }
  .hint {
    font-size: 0.85em;
  }

  .base {
    display: grid;
    gap: 1.25rem;
  }

  .panel {
    display: grid;
    gap: 0.75rem;
    padding: 1rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
  }

  /* On the page's panels buttons sit flatter than in the chat, and a busy one says so. */
  .button {
    background: var(--_surface);
  }
  .button.danger {
    background: transparent;
  }
  .button[aria-disabled='true'] {
    cursor: progress;
    opacity: 0.7;
  }

  .status {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    color: var(--_muted);
  }

  .button.danger-solid {
    background: var(--_danger);
    border-color: var(--_danger);
    color: var(--_on-danger);
  }

  /* A confirmation before something that cannot be undone (revoke, delete). */
  dialog {
    max-width: min(32rem, calc(100vw - 2rem));
    padding: 1.25rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_text);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.45);
  }
  dialog form {
    display: grid;
    gap: 0.9rem;
  }
  .dialog-actions {
    display: flex;
    flex-wrap: wrap;
    justify-content: flex-end;
    gap: 0.5rem;
  }
`;
