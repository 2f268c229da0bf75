import { css, unsafeCSS } from 'lit';
import { ANSI_PALETTE } from '../../styles/theme.js';

const names = Object.keys(ANSI_PALETTE);

/**
 * `.ansi-red-fg { color: var(--_ansi-red) }` for each of the 16 theme colours (--rc-ansi-*), then
 * the backgrounds: the colour blended into the terminal's, so that the output's own text stays
 * readable on it; white ones are light, with dark text.
 */
const ansiColors = unsafeCSS(
  [
    ...names.map((name) => `.ansi-${name}-fg { color: var(--_ansi-${name}) }`),
    ...names.map((name) =>
      name.endsWith('white')
        ? `.ansi-${name}-bg { background: var(--_ansi-${name}); color: var(--_terminal-bg) }`
        : `.ansi-${name}-bg { background: color-mix(in srgb, var(--_ansi-${name}) 35%, var(--_terminal-bg)) }`,
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
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .terminal:empty {
    display: none;
  }
  .terminal .stderr {
    color: var(--_terminal-stderr);
  }
  .terminal .dropped {
    display: block;
    color: #9aa4b2;
    font-style: italic;
  }

  ${ansiColors}
  .ansi-bold { font-weight: 700; }
  .ansi-dim { opacity: 0.7; }
  .ansi-italic { font-style: italic; }
  .ansi-underline { text-decoration: underline; }
  .ansi-strikethrough { text-decoration: line-through; }
  .ansi-hidden { visibility: hidden; }
`;
