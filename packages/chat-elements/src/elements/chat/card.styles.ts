import { css } from 'lit';

/** What tool cards and file cards share: the collapsible card, its header, and its scrolling body. */
export const cardStyles = css`
  .card-region {
    display: flex;
    flex-direction: column;
  }
  .card {
    align-self: stretch;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    overflow: hidden;
  }
  .card.failed {
    border-color: color-mix(in srgb, var(--_danger) 45%, var(--_border));
  }
  .card-header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.3rem 0.55rem;
    padding: 0.5rem 0.7rem;
    cursor: pointer;
    list-style: none;
  }
  .card-header::-webkit-details-marker {
    display: none;
  }
  .card-header:hover {
    background: color-mix(in srgb, var(--_text) 4%, transparent);
  }
  .chevron {
    flex: none;
    width: 0.45rem;
    height: 0.45rem;
    margin-inline-end: 0.15rem;
    border-right: 2px solid var(--_muted);
    border-bottom: 2px solid var(--_muted);
    transform: rotate(-45deg);
    transition: transform 0.15s;
  }
  .card[open] > .card-header .chevron {
    transform: rotate(45deg);
  }
  .tool-name {
    flex: none;
    padding: 0.05rem 0.45rem;
    border-radius: 4px;
    background: var(--_surface-raised);
    border: 1px solid var(--_border);
    color: var(--_muted);
    font-size: 0.72em;
    font-weight: 650;
    text-transform: uppercase;
    letter-spacing: 0.03em;
  }
  .card-title {
    flex: 1 1 10rem;
    min-width: 0;
    font-family: var(--_mono);
    font-size: 0.86em;
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .result,
  .file-meta {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    margin-inline-start: auto;
    font-size: 0.82em;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  .duration {
    color: var(--_muted);
  }
  .result-error {
    margin: 0;
    padding: 0 0.7rem 0.5rem;
    color: var(--_danger);
    font-size: 0.85em;
  }

  /* A card's body: command output or a diff. */
  .terminal,
  .diff {
    margin: 0;
    max-height: 26rem;
    overflow: auto;
    font-family: var(--_mono);
    font-size: 0.8em;
    line-height: 1.45;
    tab-size: 4;
  }
`;
