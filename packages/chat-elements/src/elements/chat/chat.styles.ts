import { css } from 'lit';

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

  .message {
    max-width: min(46rem, 100%);
    overflow-wrap: anywhere;
  }
  .message.user {
    align-self: flex-end;
    padding: 0.55rem 0.85rem;
    border-radius: calc(var(--_radius) * 2) calc(var(--_radius) * 2) 4px calc(var(--_radius) * 2);
    background: var(--_user-bubble);
    white-space: pre-wrap;
  }
  .message.user.pending {
    margin-bottom: 0.9rem;
  }
  .message.user.sending,
  .message.user.queued {
    opacity: 0.8;
  }
  .message.user.failed {
    outline: 1px solid var(--_danger);
  }
  .pending-status {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: flex-end;
    gap: 0.4rem;
    margin-top: 0.35rem;
    font-size: 0.8em;
    color: var(--_muted);
    white-space: normal;
  }
  .pending-status .button {
    min-height: 1.75rem;
    padding: 0.1rem 0.5rem;
  }
  .queued-icon {
    width: 0.55rem;
    height: 0.55rem;
    border-radius: 50%;
    background: var(--_warn);
  }
  .message.agent {
    align-self: stretch;
    max-width: 100%;
    line-height: 1.55;
  }

  /* Markdown */
  .markdown > :first-child {
    margin-top: 0;
  }
  .markdown > :last-child {
    margin-bottom: 0;
  }
  .markdown p,
  .markdown ul,
  .markdown ol,
  .markdown blockquote,
  .markdown table {
    margin: 0 0 0.7em;
  }
  .markdown h1,
  .markdown h2,
  .markdown h3,
  .markdown h4,
  .markdown h5,
  .markdown h6 {
    margin: 1em 0 0.4em;
    line-height: 1.25;
  }
  .markdown h1 {
    font-size: 1.35em;
  }
  .markdown h2 {
    font-size: 1.2em;
  }
  .markdown h3 {
    font-size: 1.05em;
  }
  .markdown ul,
  .markdown ol {
    padding-inline-start: 1.4em;
  }
  .markdown li + li {
    margin-top: 0.2em;
  }
  .markdown blockquote {
    padding-inline-start: 0.8em;
    border-inline-start: 3px solid var(--_border);
    color: var(--_muted);
  }
  .markdown code {
    padding: 0.08em 0.32em;
    border-radius: 4px;
    background: var(--_surface);
    font-family: var(--_mono);
    font-size: 0.88em;
  }
  .markdown a {
    color: var(--_accent);
    text-underline-offset: 2px;
  }
  .markdown .image-link {
    font-style: italic;
  }
  .markdown table {
    display: block;
    max-width: 100%;
    overflow-x: auto;
    border-collapse: collapse;
  }
  .markdown th,
  .markdown td {
    padding: 0.3rem 0.6rem;
    border: 1px solid var(--_border);
    text-align: start;
  }
  .markdown hr {
    border: 0;
    border-top: 1px solid var(--_border);
  }
  .code-block {
    margin: 0 0 0.7em;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    overflow: hidden;
  }
  .code-header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    min-height: 2rem;
    padding: 0.15rem 0.3rem 0.15rem 0.75rem;
    border-bottom: 1px solid var(--_border);
    color: var(--_muted);
    font-size: 0.78em;
  }
  .copy {
    min-height: 1.6rem;
    padding: 0.1rem 0.55rem;
    border: 1px solid transparent;
    border-radius: calc(var(--_radius) - 2px);
    background: transparent;
    color: var(--_muted);
    font: inherit;
    cursor: pointer;
  }
  .copy:hover {
    color: var(--_text);
    border-color: var(--_border);
  }
  .code-block pre {
    margin: 0;
    padding: 0.65rem 0.8rem;
    overflow-x: auto;
  }
  .code-block code {
    padding: 0;
    background: none;
    font-size: 0.85em;
    line-height: 1.5;
  }
  /* The caret sits at the end of the text still streaming in. */
  .streaming .markdown > :last-child::after,
  .streaming .markdown:empty::after {
    content: '';
    display: inline-block;
    width: 0.5em;
    height: 1em;
    margin-inline-start: 2px;
    vertical-align: text-bottom;
    background: var(--_accent);
    animation: rc-blink 1s steps(2) infinite;
  }
  @keyframes rc-blink {
    50% {
      opacity: 0;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .streaming .markdown > :last-child::after {
      animation: none;
    }
  }

  /* Tool calls and file writes */
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
  .result.ok {
    color: var(--_ok);
  }
  .result.failed {
    color: var(--_danger);
  }
  .result.running {
    color: var(--_accent);
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
  .ansi-black-fg { color: #5c6370; }
  .ansi-red-fg { color: #ff6b6b; }
  .ansi-green-fg { color: #5fd47f; }
  .ansi-yellow-fg { color: #f0c454; }
  .ansi-blue-fg { color: #6cb2ff; }
  .ansi-magenta-fg { color: #d68cf0; }
  .ansi-cyan-fg { color: #4fd3d9; }
  .ansi-white-fg { color: #dce2ea; }
  .ansi-bright-black-fg { color: #8b93a1; }
  .ansi-bright-red-fg { color: #ff8f8f; }
  .ansi-bright-green-fg { color: #8af0a5; }
  .ansi-bright-yellow-fg { color: #ffe08a; }
  .ansi-bright-blue-fg { color: #9ccbff; }
  .ansi-bright-magenta-fg { color: #ecb1ff; }
  .ansi-bright-cyan-fg { color: #8cf0f3; }
  .ansi-bright-white-fg { color: #ffffff; }
  .ansi-black-bg { background: #2b3038; }
  .ansi-red-bg { background: #7a2626; }
  .ansi-green-bg { background: #1f5a31; }
  .ansi-yellow-bg { background: #6b5417; }
  .ansi-blue-bg { background: #1d4677; }
  .ansi-magenta-bg { background: #5d2a6e; }
  .ansi-cyan-bg { background: #1b5a5e; }
  .ansi-white-bg { background: #c7cdd6; color: #11151b; }
  .ansi-bold { font-weight: 700; }
  .ansi-dim { opacity: 0.7; }
  .ansi-italic { font-style: italic; }
  .ansi-underline { text-decoration: underline; }
  .ansi-strikethrough { text-decoration: line-through; }
  .ansi-hidden { visibility: hidden; }

  .diff {
    padding: 0.35rem 0;
    background: var(--_bg);
    border-top: 1px solid var(--_border);
  }
  .diff .line {
    display: block;
    min-width: max-content;
    padding-inline-end: 0.75rem;
    white-space: pre;
  }
  .diff .line::before {
    display: inline-block;
    width: 6.5ch;
    margin-inline-end: 1ch;
    padding-inline-end: 0.5ch;
    border-inline-end: 1px solid var(--_border);
    color: var(--_muted);
    text-align: end;
    content: attr(data-new) '  ';
  }
  .diff .line.add::before {
    content: attr(data-new) ' +';
    color: inherit;
  }
  .diff .line.del::before {
    content: attr(data-old) ' −';
    color: inherit;
  }
  .diff .add {
    background: var(--_diff-add-bg);
    color: var(--_diff-add-text);
  }
  .diff .del {
    background: var(--_diff-del-bg);
    color: var(--_diff-del-text);
  }
  .diff .line.hunk::before,
  .diff .line.note::before {
    content: none;
  }
  .diff .line.hunk {
    display: block;
    margin: 0.2rem 0;
    padding: 0.1rem 0.75rem;
    background: color-mix(in srgb, var(--_diff-hunk-text) 10%, transparent);
    color: var(--_diff-hunk-text);
    font-style: italic;
  }
  .diff .line.note {
    display: block;
    color: var(--_muted);
    font-style: italic;
  }
  .show-all {
    width: 100%;
    border-radius: 0;
    border-top: 1px solid var(--_border);
  }
  .stat-add {
    color: var(--_diff-add-text);
  }
  .stat-del {
    color: var(--_diff-del-text);
  }

  .error-item {
    align-self: stretch;
  }

  /* Jump button, status line and composer */
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
  .status-line,
  .composer,
  .composer-note,
  .uploads {
    max-width: 52rem;
    margin-inline: auto;
  }
  .status-line {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem 0.6rem;
    min-height: 2rem;
    margin-bottom: 0.3rem;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .status-line .state {
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
  }
  .state-dot {
    width: 0.5rem;
    height: 0.5rem;
    border-radius: 50%;
    background: var(--_idle);
  }
  .state.error {
    color: var(--_danger);
  }
  .state.error .state-dot {
    background: var(--_danger);
  }
  .state.thinking,
  .state.running {
    color: var(--_accent);
  }
  .state.offline {
    color: var(--_warn);
  }
  .status-line .stop {
    margin-inline-start: auto;
    min-height: 1.9rem;
    padding-block: 0.15rem;
  }
  .stop-icon {
    width: 0.7em;
    height: 0.7em;
    border-radius: 2px;
    background: currentColor;
  }

  .composer {
    display: flex;
    align-items: flex-end;
    gap: 0.4rem;
    padding: 0.35rem;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 1.5);
    background: var(--_surface-raised);
    box-shadow: 0 1px 3px rgb(0 0 0 / 0.06);
  }
  .composer:focus-within {
    border-color: var(--_focus);
    box-shadow: 0 0 0 1px var(--_focus);
  }
  textarea {
    flex: 1;
    min-width: 0;
    min-height: 2.5rem;
    max-height: 12rem;
    field-sizing: content;
    resize: none;
    padding: 0.5rem 0.5rem;
    border: 0;
    background: transparent;
    color: var(--_text);
    font: inherit;
    line-height: 1.45;
  }
  textarea:focus-visible {
    outline: none;
  }
  textarea::placeholder {
    color: var(--_muted);
  }
  textarea:disabled {
    cursor: not-allowed;
  }
  .send {
    min-height: 2.5rem;
    min-width: 2.5rem;
    padding-inline: 0.75rem;
    border-radius: var(--_radius);
  }
  .send svg {
    width: 1rem;
    height: 1rem;
    fill: currentColor;
  }
  .composer-note {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 0.25rem 0.75rem;
    margin-top: 0.35rem;
    font-size: 0.78em;
    color: var(--_muted);
  }
  .composer-note p {
    margin: 0;
  }
  .composer-note.reason {
    color: var(--_text);
    font-size: 0.85em;
  }
  .agent-picker {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
  }
  .agent-picker select {
    min-height: 1.9rem;
    padding: 0.1rem 0.4rem;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) - 2px);
    background: var(--_surface-raised);
    color: var(--_text);
    font: inherit;
  }
  kbd {
    font-family: var(--_mono);
    font-size: 0.95em;
  }

  .uploads {
    display: flex;
    flex-direction: column;
    gap: 0.3rem;
    margin-bottom: 0.4rem;
    padding: 0;
    list-style: none;
    font-size: 0.85em;
  }
  .upload {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem;
    padding: 0.3rem 0.6rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .upload.failed {
    border-color: var(--_danger);
    background: var(--_danger-soft);
  }
  .upload-name {
    font-family: var(--_mono);
    overflow-wrap: anywhere;
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

  @media (max-width: 30rem) {
    .send-label {
      display: none;
    }
    .composer-note p {
      display: none;
    }
    .composer-note.reason p {
      display: block;
    }
  }
`;
