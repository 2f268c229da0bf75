import { css } from 'lit';

/** The transcript with nothing to show yet. */
export const emptyStateStyles = css`
  .empty {
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: 0.35rem;
    max-width: 34rem;
    margin: 3rem auto;
    color: var(--_muted);
    text-align: center;
  }
  .empty p {
    margin: 0;
  }
  .empty-title {
    color: var(--_text);
    font-weight: 650;
    font-size: 1.05em;
  }
  .empty code {
    padding: 0.05em 0.3em;
    border-radius: 4px;
    background: var(--_surface);
    font-family: var(--_mono);
    font-size: 0.9em;
  }
`;
