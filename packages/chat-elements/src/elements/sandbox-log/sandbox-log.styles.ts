import { css } from 'lit';

export const sandboxLogStyles = css`
  :host {
    display: block;
    min-height: 0;
  }

  .base {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
    min-height: 0;
  }

  .header {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  .runtime-status {
    margin-inline-start: auto;
  }
  .toggle {
    padding: 0.15rem 0.5rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: transparent;
    color: var(--_text);
    font: inherit;
    font-size: 0.8em;
    cursor: pointer;
  }
  .toggle:hover {
    background: var(--_surface-raised);
  }
  .toggle:focus-visible,
  .body:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }

  /* Open, the log scrolls within a capped height instead of pushing what follows away. */
  .body {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
    max-height: min(20rem, 40vh);
    overflow-y: auto;
    overscroll-behavior: contain;
  }
  .body[hidden] {
    display: none;
  }
  .summary {
    margin: 0;
    font-size: 0.85em;
    color: var(--_muted);
  }

  .machine {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 0.2rem 0.75rem;
    margin: 0;
    font-size: 0.85em;
  }
  .machine > div {
    display: contents;
  }
  .machine dt {
    color: var(--_muted);
  }
  .machine dd {
    margin: 0;
    min-width: 0;
    overflow-wrap: anywhere;
  }

  .start-again {
    display: grid;
    gap: 0.4rem;
    justify-items: start;
    font-size: 0.9em;
  }
  .start-again p {
    margin: 0;
  }
  .heading {
    margin: 0;
    font-size: 0.8em;
    font-weight: 650;
    letter-spacing: 0.04em;
    text-transform: uppercase;
    color: var(--_muted);
  }
  .runtime-status {
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    font-size: 0.85em;
    color: var(--_muted);
  }

  .progress {
    display: grid;
    gap: 0.3rem;
    font-size: 0.85em;
  }
  .bar {
    height: 0.35rem;
    border-radius: 999px;
    background: var(--_border);
    overflow: hidden;
  }
  .fill {
    display: block;
    height: 100%;
    border-radius: inherit;
    background: var(--_accent);
    transition: width 0.3s ease;
  }
  .progress.done .fill {
    background: var(--_ok);
  }
  .progress.failed .fill {
    background: var(--_danger);
  }
  .progress.failed .progress-text {
    color: var(--_danger);
  }
  .progress-text {
    color: var(--_muted);
  }

  .steps {
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .step > summary,
  .step > .row {
    display: grid;
    grid-template-columns: 1.25rem 1fr auto;
    align-items: center;
    gap: 0.5rem;
    padding: 0.3rem 0.25rem;
    border-radius: calc(var(--_radius) - 2px);
  }
  .step > summary {
    cursor: pointer;
    list-style: none;
  }
  .step > summary::-webkit-details-marker {
    display: none;
  }
  .step > summary:hover {
    background: var(--_surface-raised);
  }
  .step > summary .name::after {
    content: '';
    display: inline-block;
    width: 0.4em;
    height: 0.4em;
    margin-inline-start: 0.5em;
    border-right: 1.5px solid var(--_muted);
    border-bottom: 1.5px solid var(--_muted);
    transform: translateY(-0.15em) rotate(-45deg);
    transition: transform 0.15s;
  }
  .step[open] > summary .name::after {
    transform: translateY(-0.25em) rotate(45deg);
  }

  .mark {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    width: 1.1rem;
    height: 1.1rem;
    border-radius: 50%;
    font-size: 0.75rem;
    font-weight: 700;
    line-height: 1;
  }
  .mark.ok {
    background: var(--_ok);
    color: var(--_bg);
  }
  .mark.failed {
    background: var(--_danger);
    color: var(--_bg);
  }
  .mark.skipped {
    border: 1.5px dashed var(--_idle);
    color: var(--_idle);
  }
  .mark.pending,
  .mark.not-run {
    border: 1.5px solid var(--_border);
  }
  .mark.started {
    color: var(--_accent);
  }
  .mark .spinner {
    width: 0.95rem;
    height: 0.95rem;
  }

  .name {
    min-width: 0;
  }
  .step[data-state='pending'] .name,
  .step[data-state='not-run'] .name,
  .step[data-state='skipped'] .name {
    color: var(--_muted);
  }
  .step[data-state='failed'] .name {
    color: var(--_danger);
    font-weight: 600;
  }
  .duration {
    color: var(--_muted);
    font-size: 0.85em;
    font-variant-numeric: tabular-nums;
  }

  pre {
    margin: 0.25rem 0 0.5rem 1.75rem;
    max-height: 14rem;
    overflow: auto;
    padding: 0.5rem 0.6rem;
    border-radius: calc(var(--_radius) - 2px);
    background: var(--_terminal-bg);
    color: var(--_terminal-text);
    font-family: var(--_mono);
    font-size: 0.8em;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }

  .error {
    display: grid;
    gap: 0.25rem;
  }
  .error-message {
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .error-hint {
    color: var(--_muted);
    font-size: 0.9em;
  }

  .notes {
    margin: 0;
    padding: 0;
    list-style: none;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .notes li {
    display: flex;
    gap: 0.5rem;
    padding: 0.1rem 0.25rem;
  }
  .notes time {
    flex: none;
    font-variant-numeric: tabular-nums;
  }
  .notice {
    padding: 0.25rem;
    font-size: 0.9em;
  }
`;
