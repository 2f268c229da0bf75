import { css } from 'lit';

export const runtimePickerStyles = css`
  :host {
    display: block;
  }

  .base {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    min-width: 0;
  }

  fieldset {
    margin: 0;
    padding: 0;
    border: 0;
    min-width: 0;
  }

  /* Native radios, drawn as a segmented control or as chips; the input stays focusable. */
  .choices {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem;
  }
  .mode {
    display: inline-flex;
    padding: 2px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .choice {
    position: relative;
    display: inline-flex;
  }
  .choice input {
    position: absolute;
    inset: 0;
    margin: 0;
    opacity: 0;
    cursor: pointer;
  }
  .choice span {
    display: inline-flex;
    align-items: center;
    min-height: 2rem;
    padding: 0.25rem 0.8rem;
    border-radius: calc(var(--_radius) - 2px);
    color: var(--_muted);
    font-weight: 550;
    white-space: nowrap;
  }
  .choice input:checked + span {
    background: var(--_surface-raised);
    color: var(--_text);
    box-shadow: 0 0 0 1px var(--_border);
  }
  .choice input:focus-visible + span {
    outline: 2px solid var(--_focus);
    outline-offset: 1px;
  }
  .providers .choice span {
    border: 1px solid var(--_border);
    border-radius: 999px;
  }
  .providers .choice input:checked + span {
    border-color: var(--_accent);
    background: var(--_accent-soft);
    box-shadow: none;
  }
  .choice input:disabled + span {
    opacity: 0.6;
  }

  /* The runtime drop-down: a select-only combobox with a listbox popup. */
  .combo {
    position: relative;
    flex: 1 1 10rem;
    min-width: 0;
    max-width: 22rem;
  }
  .combo-button {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    width: 100%;
    min-height: 2.25rem;
    padding: 0.3rem 0.6rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface-raised);
    color: var(--_text);
    font: inherit;
    text-align: start;
    cursor: pointer;
  }
  .combo-button:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }
  .combo-value {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .chevron {
    flex: none;
    width: 0.5rem;
    height: 0.5rem;
    margin-inline-start: auto;
    border-right: 2px solid var(--_muted);
    border-bottom: 2px solid var(--_muted);
    transform: translateY(-2px) rotate(45deg);
  }
  .listbox {
    position: absolute;
    z-index: 10;
    inset-inline-start: 0;
    top: calc(100% + 4px);
    width: max(100%, 20rem);
    max-width: calc(100vw - 2rem);
    max-height: 20rem;
    overflow: auto;
    margin: 0;
    padding: 0.25rem;
    list-style: none;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface-raised);
    box-shadow: 0 8px 24px rgb(0 0 0 / 0.18);
  }
  .option {
    display: grid;
    grid-template-columns: auto 1fr auto auto auto;
    align-items: center;
    column-gap: 0.5rem;
    padding: 0.45rem 0.55rem;
    border-radius: calc(var(--_radius) - 2px);
    cursor: pointer;
  }
  .option.active {
    background: var(--_accent-soft);
    outline: 1px solid var(--_accent);
  }
  .option[aria-selected='true'] .option-name::after {
    content: ' ✓';
    color: var(--_accent);
  }
  .option-name {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  /* Mouse and touch; the keyboard's way is F2 or Delete on the highlighted option. */
  .option-rename,
  .option-delete {
    grid-row: 1 / 4;
    padding: 0 0.4rem;
    font-size: 1.2em;
  }
  .option-rename {
    grid-column: 4;
  }
  .option-delete {
    grid-column: 5;
  }
  .option-rename:hover {
    color: var(--_accent);
  }
  .option-delete:hover {
    color: var(--_danger);
  }
  .group-label {
    padding: 0.5rem 0.55rem 0.2rem;
    border-top: 1px solid var(--_border);
    margin-top: 0.25rem;
    color: var(--_muted);
    font-size: 0.8em;
    font-weight: 650;
    letter-spacing: 0.04em;
    text-transform: uppercase;
  }
  .group-label:first-child {
    border-top: 0;
    margin-top: 0;
  }
  .option-meta,
  .option-id {
    grid-column: 2 / 4;
    color: var(--_muted);
    font-size: 0.85em;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .option-id {
    font-size: 0.8em;
  }
  .kind {
    display: inline-block;
    margin-inline-end: 0.35rem;
    padding: 0 0.35rem;
    border-radius: 4px;
    border: 1px solid var(--_border);
    font-size: 0.9em;
  }
  .kind.machine {
    border-color: var(--_accent);
    color: var(--_accent);
  }
  .option-status {
    color: var(--_muted);
    font-size: 0.85em;
  }
  .empty {
    padding: 0.5rem;
    color: var(--_muted);
  }

  .confirm {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    flex-basis: 100%;
  }
  .confirm span {
    flex: 1 1 16rem;
  }

  .rename {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    flex-basis: 100%;
  }
  .rename label {
    flex-basis: 100%;
    font-weight: 550;
  }
  .rename input {
    flex: 1 1 12rem;
  }
  .rename-id {
    flex-basis: 100%;
    order: 9;
    color: var(--_muted);
    font-size: 0.8em;
  }
  .rename .alert {
    flex-basis: 100%;
    order: 10;
  }

  .create-error {
    flex-basis: 100%;
    font-size: 0.9em;
  }

  /* A phone: the two controls share one row. */
  @media (max-width: 30rem) {
    :host([mode='existing']) .base {
      flex-wrap: nowrap;
      gap: 0.35rem;
    }
    :host([mode='existing']) .base:has(.confirm, .rename) {
      flex-wrap: wrap;
    }
    /* The list spans the whole picker, under both controls, so it never runs past the screen. */
    :host([mode='existing']) .base {
      position: relative;
    }
    :host([mode='existing']) .combo {
      position: static;
    }
    .listbox {
      inset-inline: 0;
      width: auto;
      max-width: none;
    }
    /* The Existing / New switch stays one row; the runtime list takes what is left. */
    .mode {
      flex: none;
      flex-wrap: nowrap;
    }
    .mode .choice span {
      min-height: 2.1rem;
      padding-inline: 0.5rem;
      font-size: 0.9em;
    }
    .combo {
      flex: 1 1 auto;
      min-width: 0;
    }
  }
`;
