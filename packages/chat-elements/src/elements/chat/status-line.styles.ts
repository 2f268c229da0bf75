import { css } from 'lit';

/** The status line: what the agent is doing, the Stop button, and whether a message waits for the connection. */
export const statusLineStyles = css`
  .status-line {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem 0.6rem;
    min-height: 2rem;
    max-width: 52rem;
    margin-inline: auto;
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
  .thread-tokens {
    margin-inline-start: auto;
    font-variant-numeric: tabular-nums;
  }
  .status-line .stop {
    margin-inline-start: auto;
    min-height: 1.9rem;
    padding-block: 0.15rem;
  }
  .thread-tokens + .stop {
    margin-inline-start: 0;
  }
  .stop-icon {
    width: 0.7em;
    height: 0.7em;
    border-radius: 2px;
    background: currentColor;
  }
`;
