import type { AgentState, TokenUsage } from '@remote-chat/protocol';
import { html, nothing } from 'lit';
import { tokenDetail, tokenSummary } from '../../util/model-usage.js';

export interface StatusLineOptions {
  /** What the agent is doing, and why it stopped if it stopped with an error. */
  state: AgentState;
  stateMessage: string;
  /** Whether a thread is open: with none, the line says nothing. */
  hasThread: boolean;
  /**
   * Whether the thread can take a message now. When it cannot (its runtime is stopped or away:
   * the composer says why and what to do), "Idle" would only mislead, so it is not said.
   */
  canSend: boolean;
  /** A message waits for the connection to come back. */
  waiting: boolean;
  /** Stop was pressed and the agent has not stopped yet. */
  stopping: boolean;
  /** Why Stop failed, or an empty string. */
  stopError: string;
  /** The tokens the thread's answers took so far; shown when not zero. */
  tokens: TokenUsage;
  onStop: () => void;
}

/**
 * What the agent is doing (Thinking…, Running…, Idle, or the error it stopped with), with Stop
 * while it works, and the tokens the thread's answers took.
 */
export function statusLine({
  state,
  stateMessage,
  hasThread,
  canSend,
  waiting,
  stopping,
  stopError,
  tokens,
  onStop,
}: StatusLineOptions) {
  const working = state === 'thinking' || state === 'running';
  let text = '';
  if (state === 'thinking') text = 'Thinking…';
  else if (state === 'running') text = 'Running…';
  else if (state === 'error') text = `Stopped with an error${stateMessage ? `: ${stateMessage}` : ''}`;
  else if (hasThread && canSend) text = 'Idle';
  return html`
    <div class="status-line" part="status">
      <span class="state ${state}" role="status">
        ${working ? html`<span class="spinner" aria-hidden="true"></span>` : text ? html`<span class="state-dot" aria-hidden="true"></span>` : nothing}
        ${text}
      </span>
      ${
        waiting
          ? html`<span class="state offline" role="status">Offline: your message will be sent when the connection returns.</span>`
          : nothing
      }
      ${stopError ? html`<span class="state error" role="alert">${stopError}</span>` : nothing}
      ${
        tokens.inputTokens + tokens.outputTokens > 0
          ? html`<span class="thread-tokens" part="thread-tokens" title="This thread: ${tokenDetail(tokens)}">Thread: ${tokenSummary(tokens)}</span>`
          : nothing
      }
      ${
        working
          ? html`<button
            class="button danger stop"
            part="stop-button"
            type="button"
            aria-disabled=${stopping ? 'true' : 'false'}
            @click=${onStop}
          >
            <span class="stop-icon" aria-hidden="true"></span> ${stopping ? 'Stopping…' : 'Stop'}
          </button>`
          : nothing
      }
    </div>
  `;
}
