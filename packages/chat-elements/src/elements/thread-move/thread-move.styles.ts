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
  .open-button {
    margin-top: 0.4rem;
  }
  .alert {
    margin: 0.4rem 0 0;
  }
`;
