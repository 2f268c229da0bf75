import { html, nothing } from 'lit';
import { describeError } from '../../client/errors.js';
import type { FeedStatus } from '../../controllers/seq-feed-controller.js';

export interface EmptyStateOptions {
  /** How reading the thread goes; why it failed, and how to try again. */
  feedStatus: FeedStatus;
  feedError: unknown;
  onRetry: () => void;
  /** A runtime is picked. */
  hasRuntime: boolean;
  /** A thread is open. */
  hasThread: boolean;
  /** The transcript has rows. */
  hasRows: boolean;
  /** Messages are on their way into the thread. */
  hasPending: boolean;
  /** The agent that answers the next message: the shell gets a hint of its own. */
  agent: string | null | undefined;
}

/**
 * What the transcript says while it has nothing to show, each with the next step: the thread could
 * not be read (with Try again), no runtime is picked, no thread is open, the conversation is loading, or how to start it.
 */
export function emptyState({
  feedStatus,
  feedError,
  onRetry,
  hasRuntime,
  hasThread,
  hasRows,
  hasPending,
  agent,
}: EmptyStateOptions) {
  if (feedStatus === 'error') {
    return html`<div class="alert" role="alert">
      Could not read this thread: ${describeError(feedError)}
      <button class="button" type="button" @click=${onRetry}>Try again</button>
    </div>`;
  }
  if (!hasRuntime && !hasThread && !hasRows) {
    return html`<div class="empty">
      <p class="empty-title">No runtime picked</p>
      <p>
        A runtime is where the agent works: a sandbox on the server, or your own machine. Pick one in the menu
        above, or create one there.
      </p>
    </div>`;
  }
  if (!hasThread && !hasRows) {
    return html`<div class="empty">
      <p class="empty-title">No thread is open</p>
      <p>Pick a thread in the list, or press New to start one.</p>
    </div>`;
  }
  if (feedStatus === 'loading' && !hasRows) {
    return html`<div class="empty" role="status"><span class="spinner" aria-hidden="true"></span> Loading the conversation…</div>`;
  }
  if (hasRows || hasPending) return nothing;
  return html`<div class="empty">
    <p class="empty-title">Start the conversation</p>
    <p>
      ${
        agent === 'shell'
          ? html`Each message is a command line, run with bash in the workspace. Try <code>ls -la</code>, or
            <code>/help</code> for the built-in commands.`
          : 'Ask the agent to read, change or run something in the workspace.'
      }
    </p>
  </div>`;
}
