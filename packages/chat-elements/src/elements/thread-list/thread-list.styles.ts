import { css } from 'lit';

export const threadListStyles = css`
  :host {
    display: block;
    min-height: 0;
  }

  .base {
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
    height: 100%;
    min-height: 0;
  }

  .header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 0.5rem;
  }
  .heading {
    margin: 0;
    font-size: 0.8em;
    font-weight: 650;
    letter-spacing: 0.04em;
    text-transform: uppercase;
    color: var(--_muted);
  }
  .new-button {
    min-height: 2rem;
    padding-block: 0.2rem;
  }

  .listbox {
    flex: 1;
    min-height: 0;
    overflow: auto;
    margin: 0;
    padding: 2px;
    list-style: none;
    border-radius: var(--_radius);
  }
  .option {
    display: grid;
    gap: 0.1rem;
    padding: 0.45rem 0.6rem;
    border-radius: calc(var(--_radius) - 2px);
    cursor: pointer;
  }
  .option:hover {
    background: var(--_surface-raised);
  }
  .option[aria-selected='true'] {
    background: var(--_accent-soft);
    box-shadow: inset 3px 0 0 var(--_accent);
  }
  .listbox:focus-visible .option.active {
    outline: 2px solid var(--_focus);
    outline-offset: -2px;
  }
  .title {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    font-weight: 550;
  }
  .time {
    color: var(--_muted);
    font-size: 0.8em;
  }
  .notice {
    padding: 0.5rem 0.25rem;
    font-size: 0.9em;
  }
`;
