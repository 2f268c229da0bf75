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
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 0.35rem;
  }
  .heading {
    margin: 0;
    font-size: 0.8em;
    font-weight: 650;
    letter-spacing: 0.04em;
    text-transform: uppercase;
    color: var(--_muted);
  }
  .heading {
    flex: 1;
  }
  .new-button,
  .actions .button {
    min-height: 2rem;
    padding: 0.2rem 0.6rem;
    font-size: 0.9em;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
  }
  .caption {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 0.25rem 0.5rem;
    color: var(--_muted);
    font-size: 0.8em;
  }
  .show-archived {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
    min-height: 1.5rem;
    cursor: pointer;
  }
  .archived-tag {
    color: var(--_muted);
    font-size: 0.75em;
    text-transform: uppercase;
    letter-spacing: 0.04em;
  }
  .confirm-delete p {
    margin: 0;
    font-size: 0.9em;
    overflow-wrap: anywhere;
  }
  .rename-form,
  .confirm-delete {
    display: flex;
    flex-direction: column;
    gap: 0.4rem;
    padding: 0.5rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface-raised);
  }
  .rename-form input {
    min-height: 2.25rem;
    padding: 0.3rem 0.5rem;
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) - 2px);
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
  }
  .rename-actions {
    display: flex;
    gap: 0.4rem;
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
