import { css } from 'lit';

/** "Continue on another runtime…" and its chooser. */
export const threadMoveStyles = css`
  :host {
    display: block;
  }
  .chooser {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem;
    margin-top: 0.4rem;
  }
  .chooser label {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.35rem;
  }
  select {
    min-height: 1.9rem;
    max-width: 100%;
    padding: 0.1rem 0.4rem;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) - 2px);
    background: var(--_surface-raised);
    color: var(--_text);
    font: inherit;
  }
  .open-button {
    margin-top: 0.4rem;
  }
  .alert {
    margin: 0.4rem 0 0;
  }
`;
