import { css } from 'lit';

export const threadTokenStyles = css`
  :host {
    display: block;
  }
  .help > summary {
    cursor: pointer;
    color: var(--_muted);
    font-size: 0.85em;
  }
  .panel {
    display: flex;
    flex-direction: column;
    gap: 0.4rem;
    margin-top: 0.4rem;
    font-size: 0.85em;
  }
  .token {
    font-family: var(--rc-font-mono, ui-monospace, monospace);
    width: 100%;
    box-sizing: border-box;
  }
  .error {
    color: var(--rc-color-danger, #b3261e);
  }
`;
