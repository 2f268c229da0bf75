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
  .tokens {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 0.3rem;
  }
  .tokens li {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.2rem 0.5rem;
  }
  .token-name {
    font-weight: 600;
  }
  .token-meta {
    color: var(--_muted);
    flex: 1 1 auto;
  }
  .revoke.confirming {
    color: var(--rc-color-danger, #b3261e);
    border-color: currentColor;
  }
  .error {
    color: var(--rc-color-danger, #b3261e);
  }
`;
