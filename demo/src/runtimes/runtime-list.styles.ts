import { css } from 'lit';

/** The Runtimes page: one card per runtime, its facts in columns, stacked on a phone (after accountStyles). */
export const runtimeListStyles = css`
  .runtimes {
    display: grid;
    gap: 0.5rem;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .runtime {
    display: grid;
    grid-template-columns: 1fr auto;
    align-items: center;
    gap: 0.5rem 1rem;
    padding: 0.75rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .runtime-head {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 0.25rem 0.75rem;
    min-width: 0;
  }
  .runtime-name {
    font-size: 1rem;
    overflow-wrap: anywhere;
  }
  .status {
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
    font-size: 0.9em;
  }
  .actions {
    grid-column: 2;
    grid-row: 1 / 3;
    display: flex;
    flex-wrap: wrap;
    justify-content: flex-end;
    gap: 0.4rem;
  }
  .idle-stop,
  .start-error {
    grid-column: 1 / -1;
    margin: 0;
    font-size: 0.85em;
  }
  .idle-stop {
    color: var(--_muted);
  }
  .field {
    display: grid;
    gap: 0.3rem;
    font-weight: 550;
  }
  #rename-id {
    margin: 0;
    font-family: var(--_mono);
    font-size: 0.8em;
  }
  .facts {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr));
    gap: 0.35rem 1rem;
    margin: 0;
    font-size: 0.9em;
  }
  .facts div {
    display: grid;
    gap: 0.1rem;
    min-width: 0;
  }
  .facts dt {
    color: var(--_muted);
    font-size: 0.9em;
  }
  .facts dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .id,
  .repository {
    font-family: var(--_mono);
    font-size: 0.95em;
  }
  .id {
    color: var(--_muted);
    font-size: 0.8em;
  }
  .muted,
  .empty {
    color: var(--_muted);
  }
  .empty {
    display: grid;
    gap: 0.75rem;
  }
  .empty a:not(.button) {
    color: var(--_accent);
  }
  .empty .button {
    display: inline-flex;
    text-decoration: none;
  }

  /* Phone width: each card stacks its facts, label beside value, Delete at the bottom. */
  @container (max-width: 34rem) {
    .runtime {
      grid-template-columns: 1fr;
    }
    .actions {
      grid-column: 1;
      grid-row: auto;
      justify-content: start;
    }
    .facts {
      grid-template-columns: 1fr;
    }
    .facts div {
      grid-template-columns: 7.5rem 1fr;
      gap: 0.5rem;
    }
    .list {
      padding: 0.75rem;
    }
  }
`;
