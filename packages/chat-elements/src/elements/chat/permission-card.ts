import { html, nothing } from 'lit';
import type { PermissionOption, ThreadEventOf } from '@remote-chat/protocol';
import { permissionOutcome, type PermissionItem } from './transcript.js';

/** What this browser knows of a request beyond the thread: an answer on its way, or why it failed. */
export interface PermissionState {
  /** The option being sent. */
  sending?: string | undefined;
  /** Why the last answer did not go through. */
  error?: string | undefined;
  /** The stored answer the BFF sent back with a 409, before the thread brings it. */
  answer?: ThreadEventOf<'permission.answer'> | undefined;
}

export interface PermissionCardOptions {
  state: PermissionState | undefined;
  /** Sends the person's choice. */
  onAnswer: (optionId: string) => void;
}

/**
 * A permission request: what the agent asks, the tool call it is about, and its options as
 * buttons; once settled (here, in another browser, or by the timeout), the outcome instead of
 * the buttons.
 */
export function permissionCard(item: PermissionItem, { state, onAnswer }: PermissionCardOptions) {
  const { request } = item;
  const answer = item.answer ?? state?.answer;
  const outcome = answer ? permissionOutcome(request, answer) : '';
  const denied = answer !== undefined && !outcome.startsWith('Allowed');
  const titleId = `permission-${item.seq}`;
  const detail = request.toolCall?.title && request.toolCall.title !== request.title ? request.toolCall.title : '';
  return html`
    <section
      class="card permission ${answer ? (denied ? 'denied' : 'allowed') : 'open'}"
      part="card permission"
      aria-labelledby=${titleId}
      data-request-id=${request.requestId}
    >
      <header class="permission-header">
        <span class="tool-name">${answer ? 'Permission' : 'Asks permission'}</span>
        ${request.toolCall?.tool ? html`<span class="permission-tool">${request.toolCall.tool}</span>` : nothing}
      </header>
      <p class="permission-title" id=${titleId}>${request.title}</p>
      ${detail ? html`<p class="permission-detail">${detail}</p>` : nothing}
      ${
        answer
          ? html`<p class="permission-outcome" part="permission-outcome">
              <span aria-hidden="true">${denied ? '✕' : '✓'}</span> ${
                // This browser's answer lost the race: say so, with the answer that won.
                state?.answer ? `Already answered. ${outcome}` : outcome
              }
            </p>`
          : html`<div class="permission-options" role="group" aria-labelledby=${titleId}>
              ${request.options.map((option) => optionButton(option, state?.sending, onAnswer))}
            </div>
            ${state?.error ? html`<p class="permission-error" role="alert">${state.error}</p>` : nothing}`
      }
    </section>
  `;
}

function optionButton(option: PermissionOption, sending: string | undefined, onAnswer: (optionId: string) => void) {
  const allow = option.kind.startsWith('allow');
  return html`<button
    class="button ${allow ? 'primary' : ''} permission-option"
    part="permission-option"
    type="button"
    data-option-id=${option.optionId}
    data-kind=${option.kind}
    aria-disabled=${sending !== undefined ? 'true' : 'false'}
    @click=${() => {
      if (sending === undefined) onAnswer(option.optionId);
    }}
  >
    ${sending === option.optionId ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}${option.name || option.kind}
  </button>`;
}
