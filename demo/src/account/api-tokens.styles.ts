import { css } from 'lit';

/** API tokens: the create form, the secret shown once, the list and the revoke dialog (after accountStyles). */
export const apiTokensStyles = css`
  :host {
    /* Darker than the elements' warning colour: it sits on the pale warning panel. */
    --_warn: light-dark(#7a5200, #e0b03a);
    --_warn-soft: light-dark(#fff4d6, #33290f);
  }

  .fields {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-start;
    gap: 0.75rem 1rem;
  }
  .field {
    display: grid;
    gap: 0.3rem;
  }
  .field.grow {
    flex: 1 1 16rem;
  }
  .fields > .button {
    margin-top: 1.6rem;
  }
  label {
    font-weight: 600;
  }
  input,
  select {
    min-height: 2.25rem;
    padding: 0.35rem 0.6rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
  }
  input[aria-invalid='true'] {
    border-color: var(--_danger);
  }

  .created {
    border-color: var(--_warn);
    background: var(--_warn-soft);
  }
  .created .warning strong {
    color: var(--_warn);
  }
  .secret-row {
    display: flex;
    gap: 0.5rem;
  }
  .secret {
    flex: 1;
    min-width: 0;
    font-family: var(--_mono);
    font-size: 0.9em;
  }
  .copy-status:empty {
    display: none;
  }
  .created > .button {
    justify-self: start;
  }

  .tokens {
    display: grid;
    gap: 0.5rem;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .token {
    display: flex;
    align-items: center;
    gap: 0.75rem 1rem;
    padding: 0.75rem;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .token-main {
    display: grid;
    flex: 1;
    gap: 0.35rem;
    min-width: 0;
  }
  .token-name {
    font-size: 1rem;
    overflow-wrap: anywhere;
  }
  .token-facts {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem 1.5rem;
    margin: 0;
    font-size: 0.9em;
  }
  .token-facts div {
    display: flex;
    gap: 0.4rem;
  }
  .token-facts dt {
    color: var(--_muted);
  }
  .token-facts dd {
    margin: 0;
  }
  .token-facts dd.expired {
    color: var(--_danger);
  }
  .empty {
    color: var(--_muted);
  }

  /* Phone width: fields, rows and actions stack. */
  @container (max-width: 34rem) {
    .fields {
      display: grid;
    }
    .fields > .button {
      margin-top: 0;
    }
    .token {
      flex-direction: column;
      align-items: stretch;
    }
    .token-facts {
      display: grid;
      gap: 0.2rem;
    }
    .secret-row {
      flex-direction: column;
    }
    .create,
    .created,
    .list {
      padding: 0.75rem;
    }
  }
`;
