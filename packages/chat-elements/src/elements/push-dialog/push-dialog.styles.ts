import { css } from 'lit';

export const pushDialogStyles = css`
  :host {
    display: contents;
  }
  dialog {
    width: 26rem;
    max-width: calc(100vw - 2rem);
    padding: 1rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface-raised);
    color: var(--_text);
    box-shadow: 0 12px 32px rgb(0 0 0 / 0.25);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.35);
  }
  h2 {
    margin: 0 0 0.75rem;
    font-size: 1.05em;
  }
  label.field {
    display: grid;
    gap: 0.25rem;
    margin-bottom: 0.75rem;
    font-weight: 550;
  }
  .hint {
    color: var(--_muted);
    font-size: 0.85em;
    font-weight: 400;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    justify-content: flex-end;
    gap: 0.5rem;
  }
  .status {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  .done a {
    color: var(--_accent);
    font-weight: 600;
  }
  p {
    margin: 0 0 0.75rem;
  }
`;
