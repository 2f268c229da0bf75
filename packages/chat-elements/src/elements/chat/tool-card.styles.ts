import { css, unsafeCSS } from 'lit';
import { ANSI_PALETTE } from '../../styles/theme.js';

const names = Object.keys(ANSI_PALETTE);

/**
 * `.ansi-red-fg { color: var(--_ansi-red) }` for each of the 16 theme colours (--rc-ansi-*), then
 * the backgrounds: the colour blended into the terminal's, with the terminal's text; white ones
 * are light, with dark text. A background sets the text colour whatever foreground comes with it
 * (the more specific rule wins): the palette's foregrounds are made for the dark terminal, and
 * `ls`'s `30;42` or `34;42` would be grey or blue on green, unreadable.
 */
const ansiColors = unsafeCSS(
  [
    ...names.map((name) => `.ansi-${name}-fg { color: var(--_ansi-${name}) }`),
    ...names.map((name) =>
      name.endsWith('white')
        ? `.terminal .ansi-${name}-bg { background: var(--_ansi-${name}); color: var(--_terminal-bg) }`
        : `.terminal .ansi-${name}-bg { background: color-mix(in srgb, var(--_ansi-${name}) 35%, var(--_terminal-bg)); color: var(--_terminal-text) }`,
    ),
  ].join('\n'),
);

export const toolCardStyles = css`
  .result.ok {
    color: var(--_ok);
  }
  .result.failed {
    color: var(--_danger);
  }
  .result.running {
    color: var(--_accent);
  }

  .terminal {
    padding: 0.6rem 0.75rem;
    background: var(--_terminal-bg);
    color: var(--_terminal-text);
    /* Long lines scroll sideways inside the card, as in a terminal, rather than wrap (on a phone, most would). */
    white-space: pre;
  }
  .terminal:empty {
    display: none;
  }
  .terminal .stderr {
    color: var(--_terminal-stderr);
  }
  .output-more {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem 0.5rem;
    padding: 0.3rem 0.7rem;
    border-top: 1px solid var(--_border);
    font-size: 0.85em;
  }
  .output-more .dropped {
    margin-inline-end: auto;
    color: var(--_muted);
    font-style: italic;
  }
  .output-error {
    flex-basis: 100%;
    color: var(--_danger);
  }

  ${ansiColors}
  .ansi-bold { font-weight: 700; }
  .ansi-dim { opacity: 0.7; }
  .ansi-italic { font-style: italic; }
  .ansi-underline { text-decoration: underline; }
  .ansi-strikethrough { text-decoration: line-through; }
  .ansi-hidden { visibility: hidden; }
`;
