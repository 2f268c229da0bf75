import { css, unsafeCSS } from 'lit';

/**
 * The default 16 ANSI colours of command output, themable as `--rc-ansi-black` …
 * `--rc-ansi-bright-white`. The terminal (`--rc-color-terminal-bg`) is dark in both schemes, so one
 * palette serves both: every colour, black included, reads at a WCAG contrast of 4.5 or more on it
 * (ansi-palette.browser.test.ts checks it in both schemes).
 */
export const ANSI_PALETTE = {
  black: '#7a8290',
  red: '#ff6b6b',
  green: '#5fd47f',
  yellow: '#f0c454',
  blue: '#6cb2ff',
  magenta: '#d68cf0',
  cyan: '#4fd3d9',
  white: '#dce2ea',
  'bright-black': '#8b93a1',
  'bright-red': '#ff8f8f',
  'bright-green': '#8af0a5',
  'bright-yellow': '#ffe08a',
  'bright-blue': '#9ccbff',
  'bright-magenta': '#ecb1ff',
  'bright-cyan': '#8cf0f3',
  'bright-white': '#ffffff',
} as const;

/** `--_ansi-red: var(--rc-ansi-red, #ff6b6b);` and so on (written out, the 16 would weigh on the one-file bundle). */
const ansiTokens = unsafeCSS(
  Object.entries(ANSI_PALETTE)
    .map(([name, value]) => `--_ansi-${name}: var(--rc-ansi-${name}, ${value});`)
    .join(''),
);

/**
 * The public design tokens, resolved once per element into private `--_*` properties.
 *
 * Every colour is a `--rc-*` custom property with a light and a dark default picked by
 * `color-scheme`: the page's preference, `--rc-color-scheme` (inherited, so `<remote-chat
 * theme="dark">` passes it to every element inside it), or the element's own `theme` attribute.
 */
export const themeStyles = css`
  :host {
    color-scheme: var(--rc-color-scheme, light dark);

    --_bg: var(--rc-color-bg, light-dark(#ffffff, #14161b));
    --_surface: var(--rc-color-surface, light-dark(#f5f6f8, #1b1e25));
    --_surface-raised: var(--rc-color-surface-raised, light-dark(#ffffff, #222631));
    --_text: var(--rc-color-text, light-dark(#1c2026, #e6e8ed));
    --_muted: var(--rc-color-text-muted, light-dark(#566170, #a2abb9));
    --_border: var(--rc-color-border, light-dark(#d4d8df, #343a47));
    --_accent: var(--rc-color-accent, light-dark(#1f56d0, #86a8ff));
    --_on-accent: var(--rc-color-on-accent, light-dark(#ffffff, #0b1432));
    --_accent-soft: var(--rc-color-accent-soft, light-dark(#e7eefc, #1f2b4a));
    --_focus: var(--rc-color-focus, light-dark(#1f56d0, #a6c0ff));
    --_ok: var(--rc-color-ok, light-dark(#116329, #4cc26e));
    --_warn: var(--rc-color-warn, light-dark(#7d5400, #e0b03a));
    --_danger: var(--rc-color-danger, light-dark(#c8202c, #ff8079));
    --_danger-soft: var(--rc-color-danger-soft, light-dark(#fdeced, #3a1c20));
    --_idle: var(--rc-color-idle, light-dark(#6e7781, #8c95a1));
    --_user-bubble: var(--rc-color-user-bubble, light-dark(#e9effb, #233152));
    --_terminal-bg: var(--rc-color-terminal-bg, light-dark(#11151b, #0c0e12));
    --_terminal-text: var(--rc-color-terminal-text, #dce2ea);
    --_terminal-stderr: var(--rc-color-terminal-stderr, #ffb4ab);
    --_diff-add-bg: var(--rc-color-diff-add-bg, light-dark(#e6f6ea, #12301c));
    --_diff-add-text: var(--rc-color-diff-add-text, light-dark(#116329, #7ee2a0));
    --_diff-del-bg: var(--rc-color-diff-del-bg, light-dark(#fdebec, #3b1519));
    --_diff-del-text: var(--rc-color-diff-del-text, light-dark(#a40e26, #ffa3a0));
    --_diff-hunk-text: var(--rc-color-diff-hunk-text, light-dark(#5b45b0, #c1b0ff));

    ${ansiTokens}

    --_font: var(--rc-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --_mono: var(--rc-font-mono, ui-monospace, 'SF Mono', 'Cascadia Mono', Menlo, Consolas, monospace);
    --_font-size: var(--rc-font-size, 0.9375rem);
    --_radius: var(--rc-radius, 8px);

    font-family: var(--_font);
    font-size: var(--_font-size);
    line-height: 1.45;
    color: var(--_text);
  }
  :host([theme='light']) {
    color-scheme: light;
  }
  :host([theme='dark']) {
    color-scheme: dark;
  }
`;

/** Bits every element uses: hidden text for screen readers, buttons, focus rings, spinners. */
export const sharedStyles = css`
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  [hidden] {
    display: none !important;
  }

  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }

  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }

  .button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.4em;
    min-height: 2.25rem;
    padding: 0.35rem 0.85rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface-raised);
    color: var(--_text);
    font: inherit;
    font-weight: 550;
    cursor: pointer;
    white-space: nowrap;
  }
  .button:hover:not(:disabled, [aria-disabled='true']) {
    border-color: var(--_muted);
  }
  .button:disabled,
  .button[aria-disabled='true'] {
    cursor: not-allowed;
    opacity: 0.6;
  }
  .button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_on-accent);
  }
  .button.primary:hover:not(:disabled, [aria-disabled='true']) {
    border-color: var(--_accent);
    filter: brightness(1.08);
  }
  .button.danger {
    color: var(--_danger);
    border-color: currentColor;
  }
  .button.quiet {
    border-color: transparent;
    background: transparent;
  }

  .spinner {
    display: inline-block;
    flex: none;
    width: 0.9em;
    height: 0.9em;
    border: 2px solid currentColor;
    border-right-color: transparent;
    border-radius: 50%;
    animation: rc-spin 0.8s linear infinite;
  }
  @keyframes rc-spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation-duration: 2.4s;
    }
  }

  .muted {
    color: var(--_muted);
  }

  .notice {
    margin: 0;
    padding: 0.75rem 1rem;
    color: var(--_muted);
  }

  /* A one-line text field. */
  .text-input {
    min-width: 0;
    min-height: 2.25rem;
    padding: 0.3rem 0.6rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
    font-weight: 400;
  }
  .text-input:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 1px;
  }

  /* A small drop-down that sits in a line of text (the composer's agent, a runtime to move to). */
  .compact-select {
    min-height: 1.9rem;
    max-width: 100%;
    padding: 0.1rem 0.4rem;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) - 2px);
    background: var(--_surface-raised);
    color: var(--_text);
    font: inherit;
  }

  .alert {
    margin: 0;
    padding: 0.6rem 0.8rem;
    border: 1px solid var(--_danger);
    border-radius: var(--_radius);
    background: var(--_danger-soft);
    color: var(--_text);
  }
`;

/** A status dot whose colour says how a runtime is; always paired with the status in words. */
export const statusDotStyles = css`
  .status-dot {
    display: inline-block;
    flex: none;
    width: 0.6rem;
    height: 0.6rem;
    border-radius: 50%;
    background: var(--_idle);
  }
  .status-dot.ready {
    background: var(--_ok);
  }
  .status-dot.starting,
  .status-dot.offline {
    background: var(--_warn);
  }
  .status-dot.failed {
    background: var(--_danger);
  }
  /* Paused: files kept, compute released; a ring, not a fill, so it reads apart from idle grey. */
  .status-dot.paused {
    background: transparent;
    box-shadow: inset 0 0 0 2px var(--_accent);
  }
  .status-dot.starting {
    animation: rc-pulse 1.4s ease-in-out infinite;
  }
  @keyframes rc-pulse {
    50% {
      opacity: 0.35;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .status-dot.starting {
      animation: none;
    }
  }
`;
