import { css } from 'lit';

export const repoSelectorStyles = css`
  :host {
    display: inline-block;
    position: relative;
    max-width: 100%;
  }

  .trigger {
    max-width: 100%;
  }
  .trigger-label {
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .repo-icon {
    flex: none;
    width: 1em;
    height: 1em;
    fill: currentColor;
  }

  .panel {
    position: absolute;
    z-index: 10;
    inset-inline-end: 0;
    top: calc(100% + 4px);
    width: 22rem;
    max-width: calc(100vw - 1.5rem);
    padding: 0.75rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface-raised);
    box-shadow: 0 8px 24px rgb(0 0 0 / 0.18);
  }
  .panel p {
    margin: 0 0 0.6rem;
  }
  .panel h2 {
    margin: 0 0 0.5rem;
    font-size: 1em;
  }

  /* A .text-input (shared styles) across the panel. */
  .search {
    width: 100%;
    margin-bottom: 0.5rem;
  }

  /* The scrolling lists: only the pages fetched so far are in it. */
  .lists {
    max-height: 16rem;
    overflow: auto;
    margin-bottom: 0.5rem;
  }
  .lists.issues {
    max-height: 9rem;
  }
  .list-title {
    margin: 0.4rem 0 0.2rem;
    color: var(--_muted);
    font-size: 0.8em;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.04em;
  }
  .repos {
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .issues-field {
    margin: 0 0 0.6rem;
    padding: 0;
    border: 0;
  }
  .issues-field legend {
    margin-bottom: 0.25rem;
    padding: 0;
    font-weight: 550;
  }
  .chosen-issue {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 0.5rem;
  }
  .muted {
    color: var(--_muted);
    font-weight: 400;
  }
  .repo {
    display: grid;
    width: 100%;
    padding: 0.4rem 0.5rem;
    border: 0;
    border-radius: calc(var(--_radius) - 2px);
    background: transparent;
    color: var(--_text);
    font: inherit;
    text-align: start;
    cursor: pointer;
  }
  .repo:hover,
  .repo[aria-current='true'] {
    background: var(--_accent-soft);
  }
  .repo-name {
    font-weight: 600;
  }
  .repo-description {
    color: var(--_muted);
    font-size: 0.85em;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .badge {
    margin-inline-start: 0.4em;
    padding: 0 0.4em;
    border: 1px solid var(--_border);
    border-radius: 999px;
    color: var(--_muted);
    font-size: 0.75em;
    font-weight: 500;
  }

  label.field {
    display: grid;
    gap: 0.25rem;
    margin-bottom: 0.6rem;
    font-weight: 550;
  }
  select {
    min-height: 2.25rem;
    padding: 0.3rem 0.5rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
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
    color: var(--_muted);
  }
  .explain {
    color: var(--_muted);
  }

  /* A phone: the icon alone, the label still read out. */
  @media (max-width: 30rem) {
    .trigger-label {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }
    .trigger {
      min-width: 2.25rem;
      padding-inline: 0.5rem;
    }
  }
`;
