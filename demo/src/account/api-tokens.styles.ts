import { css } from 'lit';

// The elements' design tokens (themeStyles, composed first) give the palette; this page keeps
// only its own few and follows the page's color-scheme, which the portal's theme choice sets.
export const apiTokensStyles = css`
  :host {
    display: block;
    container-type: inline-size;
    color-scheme: inherit;
    /* Darker than the elements' warning colour: it sits on the pale warning panel. */
    --_warn: light-dark(#7a5200, #e0b03a);
    --_warn-soft: light-dark(#fff4d6, #33290f);
    --_on-danger: light-dark(#ffffff, #2a0a0c);
  }

  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }

  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
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
  .muted,
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

  .create,
  .created,
  .list,
  .signed-out,
  .load-error {
    display: grid;
    gap: 0.75rem;
    padding: 1rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
  }

  .fields {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-start;
    gap: 0.75rem 1rem;
  }
  .field {
    display: grid;
    gap: 0.3rem;
  }
  .field.grow {
    flex: 1 1 16rem;
  }
  .fields > .button {
    margin-top: 1.6rem;
  }
  label {
    font-weight: 600;
  }
  input,
  select {
    min-height: 2.25rem;
    padding: 0.35rem 0.6rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
  }
  input[aria-invalid='true'] {
    border-color: var(--_danger);
  }

  .button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.4em;
    min-height: 2.25rem;
    padding: 0.35rem 0.85rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
    font: inherit;
    font-weight: 550;
    cursor: pointer;
    white-space: nowrap;
  }
  .button:hover {
    border-color: var(--_muted);
  }
  .button[aria-disabled='true'] {
    cursor: progress;
    opacity: 0.7;
  }
  .button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_on-accent);
  }
  .button.danger {
    background: transparent;
    color: var(--_danger);
    border-color: currentColor;
  }
  .button.danger-solid {
    background: var(--_danger);
    border-color: var(--_danger);
    color: var(--_on-danger);
  }

  .alert {
    padding: 0.6rem 0.8rem;
    border: 1px solid var(--_danger);
    border-radius: var(--_radius);
    background: var(--_danger-soft);
  }

  .status {
    display: inline-flex;
    align-items: center;
    gap: 0.5rem;
    color: var(--_muted);
  }
  .spinner {
    display: inline-block;
    flex: none;
    width: 0.9em;
    height: 0.9em;
    border: 2px solid currentColor;
    border-right-color: transparent;
    border-radius: 50%;
    animation: spin 0.8s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation-duration: 2.4s;
    }
  }

  .created {
    border-color: var(--_warn);
    background: var(--_warn-soft);
  }
  .created .warning strong {
    color: var(--_warn);
  }
  .secret-row {
    display: flex;
    gap: 0.5rem;
  }
  .secret {
    flex: 1;
    min-width: 0;
    font-family: var(--_mono);
    font-size: 0.9em;
  }
  .copy-status:empty {
    display: none;
  }
  .created > .button {
    justify-self: start;
  }

  .tokens {
    display: grid;
    gap: 0.5rem;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .token {
    display: flex;
    align-items: center;
    gap: 0.75rem 1rem;
    padding: 0.75rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .token-main {
    display: grid;
    flex: 1;
    gap: 0.35rem;
    min-width: 0;
  }
  .token-name {
    font-size: 1rem;
    overflow-wrap: anywhere;
  }
  .token-facts {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem 1.5rem;
    margin: 0;
    font-size: 0.9em;
  }
  .token-facts div {
    display: flex;
    gap: 0.4rem;
  }
  .token-facts dt {
    color: var(--_muted);
  }
  .token-facts dd {
    margin: 0;
  }
  .token-facts dd.expired {
    color: var(--_danger);
  }
  .empty {
    color: var(--_muted);
  }

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

  /* Phone width: fields, rows and actions stack. */
  @container (max-width: 34rem) {
    .fields {
      display: grid;
    }
    .fields > .button {
      margin-top: 0;
    }
    .token {
      flex-direction: column;
      align-items: stretch;
    }
    .token-facts {
      display: grid;
      gap: 0.2rem;
    }
    .secret-row {
      flex-direction: column;
    }
    .create,
    .created,
    .list {
      padding: 0.75rem;
    }
  }
`;
