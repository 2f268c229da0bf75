import { css } from 'lit';

export const welcomeStyles = css`
  :host {
    display: block;
    min-height: 0;
    overflow-y: auto;
  }
  .base {
    display: grid;
    gap: 0.75rem;
    max-width: 46rem;
    margin: 0 auto;
    padding: 1.5rem 1rem;
  }
  h2 {
    margin: 0;
    font-size: 1.3em;
  }
  h3 {
    margin: 0;
    font-size: 1em;
  }
  p {
    margin: 0;
  }
  .modes {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr));
    gap: 0.75rem;
  }
  .mode {
    display: grid;
    align-content: start;
    gap: 0.6rem;
    padding: 1rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .mode p {
    color: var(--_muted);
  }
  .mode .button {
    justify-self: start;
  }
  pre {
    margin: 0;
    padding: 0.6rem 0.75rem;
    overflow-x: auto;
    border-radius: calc(var(--_radius) - 2px);
    background: var(--_bg);
    font-family: var(--_mono);
    font-size: 0.85em;
  }
`;
