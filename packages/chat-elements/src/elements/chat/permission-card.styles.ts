import { css } from 'lit';

/** Plan checklists and permission requests. */
export const permissionCardStyles = css`
  .plan,
  .permission {
    display: flex;
    flex-direction: column;
    gap: 0.45rem;
    padding: 0.6rem 0.75rem;
  }
  .plan-header,
  .permission-header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.3rem 0.55rem;
  }
  .plan-progress,
  .permission-tool {
    color: var(--_muted);
    font-size: 0.82em;
  }
  .plan-entries {
    display: flex;
    flex-direction: column;
    gap: 0.25rem;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .plan-entry {
    display: flex;
    align-items: baseline;
    gap: 0.5rem;
    overflow-wrap: anywhere;
  }
  .plan-icon {
    flex: none;
    width: 1.1em;
    text-align: center;
    color: var(--_muted);
  }
  .plan-entry.in-progress .plan-icon {
    color: var(--_accent);
  }
  .plan-entry.in-progress .plan-content {
    font-weight: 600;
  }
  .plan-entry.completed .plan-icon {
    color: var(--_ok);
  }
  .plan-entry.completed .plan-content {
    color: var(--_muted);
    text-decoration: line-through;
  }
  .plan-priority {
    flex: none;
    padding: 0 0.35rem;
    border-radius: 4px;
    border: 1px solid var(--_warn);
    color: var(--_text);
    font-size: 0.72em;
    font-weight: 650;
  }

  .permission.open {
    border-color: var(--_accent);
    background: var(--_accent-soft);
  }
  .permission.denied {
    border-color: color-mix(in srgb, var(--_danger) 45%, var(--_border));
  }
  .permission-title {
    margin: 0;
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .permission-detail {
    margin: 0;
    font-family: var(--_mono);
    font-size: 0.85em;
    color: var(--_muted);
    overflow-wrap: anywhere;
  }
  .permission-options {
    display: flex;
    flex-wrap: wrap;
    gap: 0.45rem;
  }
  .permission-option {
    white-space: normal;
  }
  .permission-outcome {
    margin: 0;
    font-weight: 600;
  }
  .permission.allowed .permission-outcome {
    color: var(--_ok);
  }
  .permission.denied .permission-outcome {
    color: var(--_danger);
  }
  .permission-error {
    margin: 0;
    color: var(--_danger);
    font-size: 0.88em;
  }
`;
