import { css } from 'lit';

export const composerStyles = css`
  :host {
    display: block;
  }

  .composer,
  .composer-note,
  .attachments-area {
    max-width: 52rem;
    margin-inline: auto;
  }

  .composer {
    display: flex;
    align-items: flex-end;
    gap: 0.4rem;
    padding: 0.35rem;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 1.5);
    background: var(--_surface-raised);
    box-shadow: 0 1px 3px rgb(0 0 0 / 0.06);
  }
  .composer:focus-within {
    border-color: var(--_focus);
    box-shadow: 0 0 0 1px var(--_focus);
  }
  textarea {
    flex: 1;
    min-width: 0;
    min-height: 2.5rem;
    max-height: 12rem;
    field-sizing: content;
    resize: none;
    padding: 0.5rem 0.5rem;
    border: 0;
    background: transparent;
    color: var(--_text);
    font: inherit;
    line-height: 1.45;
  }
  textarea:focus-visible {
    outline: none;
  }
  textarea::placeholder {
    color: var(--_muted);
  }
  textarea:disabled {
    cursor: not-allowed;
  }
  .send {
    min-height: 2.5rem;
    min-width: 2.5rem;
    padding-inline: 0.75rem;
    border-radius: var(--_radius);
  }
  .send svg {
    width: 1rem;
    height: 1rem;
    fill: currentColor;
  }
  .composer-note {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 0.25rem 0.75rem;
    margin-top: 0.35rem;
    font-size: 0.78em;
    color: var(--_muted);
  }
  .composer-note p {
    margin: 0;
  }
  .composer-note.reason {
    color: var(--_text);
    font-size: 0.85em;
  }
  .agent-picker {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
  }
  kbd {
    font-family: var(--_mono);
    font-size: 0.95em;
  }

  /* Files on their way into the workspace */
  @media (max-width: 30rem) {
    .send-label {
      display: none;
    }
    .composer-note p {
      display: none;
    }
    .composer-note.reason p {
      display: block;
    }
  }
`;
