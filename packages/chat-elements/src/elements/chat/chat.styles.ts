import { css } from 'lit';

/** The chat's frame: the scrolling transcript and its rows, the empty states, the footer. */
export const chatStyles = css`
  :host {
    display: block;
    min-height: 0;
    height: 100%;
  }

  .base {
    position: relative;
    display: flex;
    flex-direction: column;
    height: 100%;
    min-height: 0;
    background: var(--_bg);
  }

  /* The issue a thread was started from */
  .issue-link {
    margin: 0;
    padding: 0.4rem clamp(0.6rem, 3vw, 1.5rem);
    border-bottom: 1px solid var(--_border);
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .issue-link a {
    color: var(--_accent);
  }

  /* The conversation */
  .transcript-area {
    position: relative;
    display: flex;
    flex: 1;
    min-height: 0;
  }
  .transcript {
    flex: 1;
    min-width: 0;
    min-height: 0;
    overflow-y: auto;
    overscroll-behavior: contain;
    /* The element keeps the row in view itself while rows above it change height. */
    overflow-anchor: none;
    padding: 1rem clamp(0.6rem, 3vw, 1.5rem) 0.25rem;
    scrollbar-gutter: stable;
  }
  .items {
    max-width: 52rem;
    margin: 0 auto;
  }
  .row {
    display: flex;
    flex-direction: column;
    padding-bottom: 0.9rem;
    /* A row's layout never reaches outside it: adding one while scrolling lays out only it. */
    contain: layout style;
  }
  .message {
    max-width: min(46rem, 100%);
    overflow-wrap: anywhere;
  }
  .error-item {
    align-self: stretch;
  }
  .notice-item {
    align-self: stretch;
    margin: 0;
    padding: 0.5rem 0.8rem;
    border-inline-start: 3px solid var(--_border);
    color: var(--_muted);
    font-size: 0.92em;
  }

  /* The Jump button, the footer (status line and composer) and the drop zone */
  .jump {
    position: absolute;
    left: 50%;
    bottom: 0.75rem;
    transform: translateX(-50%);
    border-radius: 999px;
    box-shadow: 0 4px 14px rgb(0 0 0 / 0.18);
  }
  .jump.unseen {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_on-accent);
  }
  .footer {
    padding: 0.35rem clamp(0.6rem, 3vw, 1.5rem) 0.6rem;
    background: var(--_bg);
  }
  /* The composer takes the chat's scheme and type, as if it were part of this shadow root: even
     a theme attribute or a font set on <rc-chat> itself. */
  rc-composer {
    color-scheme: inherit;
    font: inherit;
    color: inherit;
  }
  .drop-zone {
    position: absolute;
    inset: 0.5rem;
    display: grid;
    place-items: center;
    border: 2px dashed var(--_accent);
    border-radius: var(--_radius);
    background: color-mix(in srgb, var(--_bg) 85%, transparent);
    color: var(--_accent);
    font-weight: 650;
    pointer-events: none;
  }
`;
