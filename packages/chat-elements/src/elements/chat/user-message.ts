import { html } from 'lit';
import type { PendingMessage } from '../../controllers/send-queue-controller.js';
import type { UserItem } from './transcript.js';

/** A message the user sent, as the thread stores it. */
export function userMessage(item: UserItem) {
  return html`<div class="message user" part="message"><span class="visually-hidden">You: </span>${item.text}</div>`;
}

export interface PendingActions {
  /** Send a failed message again. */
  onRetry: (clientId: string) => void;
  /** Take a failed message back into the message box. */
  onEdit: (clientId: string) => void;
}

/** A message on its way: sending, waiting for the connection, sent, or failed with Retry and Edit. */
export function pendingMessage(m: PendingMessage, { onRetry, onEdit }: PendingActions) {
  let status: unknown;
  switch (m.state) {
    case 'failed':
      status = html`
        <span role="alert">Not sent: ${m.error}</span>
        <button class="button" type="button" @click=${() => onRetry(m.clientId)}>Retry</button>
        <button class="button quiet" type="button" @click=${() => onEdit(m.clientId)}>Edit</button>
      `;
      break;
    case 'queued':
      status = html`<span class="queued-icon" aria-hidden="true"></span> Waiting for the connection…`;
      break;
    case 'sent':
      status = 'Sent';
      break;
    default:
      status = html`<span class="spinner" aria-hidden="true"></span> Sending…`;
  }
  // The bubble keeps white space (pre-wrap): this template's line breaks and indents show.
  return /* keep white space */ html`
      <div class="message user pending ${m.state}" part="message" data-client-id=${m.clientId}>
        <span class="visually-hidden">You: </span>${m.text}
        <div class="pending-status">${status}</div>
      </div>
    `;
}
