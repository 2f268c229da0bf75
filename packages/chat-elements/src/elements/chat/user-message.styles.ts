import { css } from 'lit';

/** The user's messages, stored or on their way. */
export const userMessageStyles = css`
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
`;
