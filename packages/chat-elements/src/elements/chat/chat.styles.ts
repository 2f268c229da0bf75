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
    padding: 1rem clamp(0.75rem, 3vw, 1.5rem);
  }
  .items {
    display: flex;
    flex-direction: column;
    gap: 0.85rem;
    max-width: 60rem;
    margin: 0 auto;
  }
  .empty {
    max-width: 36rem;
    margin: 2rem auto;
    color: var(--_muted);
    text-align: center;
  }
  .empty code {
    font-family: var(--_mono);
    font-size: 0.9em;
  }

  .message {
    max-width: min(44rem, 100%);
    overflow-wrap: anywhere;
  }
  .message.user {
    align-self: flex-end;
    padding: 0.5rem 0.8rem;
    border-radius: var(--_radius) var(--_radius) 2px var(--_radius);
    background: var(--_user-bubble);
    white-space: pre-wrap;
    font-family: var(--_mono);
    font-size: 0.9em;
  }
  .message.user.pending {
    opacity: 0.75;
  }
  .message.user.failed {
    opacity: 1;
    outline: 1px solid var(--_danger);
  }
  .pending-status {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: flex-end;
    gap: 0.4rem;
    margin-top: 0.35rem;
    font-family: var(--_font);
    font-size: 0.8em;
    color: var(--_muted);
    white-space: normal;
  }
  .pending-status .button {
    min-height: 1.75rem;
    padding: 0.1rem 0.5rem;
  }
  .message.agent {
    align-self: flex-start;
  }
  .markdown > :first-child {
    margin-top: 0;
  }
  .markdown > :last-child {
    margin-bottom: 0;
  }
  .markdown pre {
    overflow-x: auto;
    padding: 0.6rem 0.75rem;
    border-radius: calc(var(--_radius) - 2px);
    background: var(--_surface);
    border: 1px solid var(--_border);
  }
  .markdown code {
    font-family: var(--_mono);
    font-size: 0.9em;
  }
  .markdown a {
    color: var(--_accent);
  }
  .markdown table {
    border-collapse: collapse;
  }
  .markdown th,
  .markdown td {
    padding: 0.25rem 0.5rem;
    border: 1px solid var(--_border);
  }
  .caret {
    display: inline-block;
    width: 0.5em;
    height: 1em;
    margin-inline-start: 2px;
    vertical-align: text-bottom;
    background: var(--_muted);
    animation: rc-blink 1s steps(2) infinite;
  }
  @keyframes rc-blink {
    50% {
      opacity: 0;
    }
  }

  /* Tool calls and file writes */
  .card {
    align-self: stretch;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    overflow: hidden;
  }
  .card-header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem 0.6rem;
    padding: 0.45rem 0.7rem;
  }
  .tool-name {
    flex: none;
    padding: 0.05rem 0.45rem;
    border-radius: 4px;
    background: var(--_surface-raised);
    border: 1px solid var(--_border);
    color: var(--_muted);
    font-size: 0.75em;
    font-weight: 650;
    text-transform: uppercase;
    letter-spacing: 0.03em;
  }
  .card-title {
    flex: 1 1 12rem;
    min-width: 0;
    margin: 0;
    font-family: var(--_mono);
    font-size: 0.88em;
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .result {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    font-size: 0.85em;
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
  .result .duration {
    color: var(--_muted);
  }
  .result-error {
    margin: 0;
    padding: 0 0.7rem 0.45rem;
    color: var(--_danger);
    font-size: 0.85em;
  }

  .terminal,
  .diff {
    margin: 0;
    max-height: 28rem;
    overflow: auto;
    padding: 0.55rem 0.7rem;
    font-family: var(--_mono);
    font-size: 0.82em;
    line-height: 1.4;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    tab-size: 4;
  }
  .terminal {
    background: var(--_terminal-bg);
    color: var(--_terminal-text);
  }
  .terminal .stderr {
    color: var(--_terminal-stderr);
  }
  .terminal .dropped {
    display: block;
    color: #9aa4b2;
    font-style: italic;
  }
  .terminal:empty {
    display: none;
  }

  .diff {
    background: var(--_bg);
    border-top: 1px solid var(--_border);
    white-space: pre;
  }
  .diff .line {
    display: block;
    min-width: max-content;
    padding-inline: 0.25rem;
  }
  .diff .add {
    background: var(--_diff-add-bg);
    color: var(--_diff-add-text);
  }
  .diff .del {
    background: var(--_diff-del-bg);
    color: var(--_diff-del-text);
  }
  .diff .hunk {
    color: var(--_diff-hunk-text);
  }
  .diff .meta {
    color: var(--_muted);
  }
  .stat-add {
    color: var(--_diff-add-text);
  }
  .stat-del {
    color: var(--_diff-del-text);
  }
  .file-meta {
    color: var(--_muted);
    font-size: 0.85em;
  }

  .error-item {
    align-self: stretch;
  }

  /* Status line, jump button and composer */
  .jump {
    position: absolute;
    inset-inline-end: 1.25rem;
    bottom: 0.75rem;
    box-shadow: 0 4px 14px rgb(0 0 0 / 0.2);
  }
  .footer {
    border-top: 1px solid var(--_border);
    background: var(--_surface);
    padding: 0.5rem clamp(0.75rem, 3vw, 1.5rem) 0.75rem;
  }
  .status-line {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    min-height: 2rem;
    max-width: 60rem;
    margin: 0 auto 0.35rem;
    font-size: 0.9em;
    color: var(--_muted);
  }
  .status-line .state {
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
  }
  .status-line .state.error {
    color: var(--_danger);
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
    gap: 0.5rem;
    max-width: 60rem;
    margin: 0 auto;
  }
  textarea {
    flex: 1;
    min-width: 0;
    min-height: 2.6rem;
    max-height: 12rem;
    field-sizing: content;
    resize: none;
    padding: 0.55rem 0.75rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_text);
    font-family: var(--_mono);
    font-size: 0.9em;
    line-height: 1.4;
  }
  textarea:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 0;
    border-color: var(--_focus);
  }
  textarea:disabled {
    cursor: not-allowed;
    background: var(--_surface);
  }
  .send {
    min-height: 2.6rem;
  }
  .composer-note {
    max-width: 60rem;
    margin: 0.35rem auto 0;
    font-size: 0.8em;
    color: var(--_muted);
  }
  .composer-note.reason {
    color: var(--_text);
  }
  kbd {
    font-family: var(--_mono);
    font-size: 0.9em;
  }
`;
