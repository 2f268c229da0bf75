import { consume } from '@lit/context';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import { LIMITS, ThreadEventSchema, streamTopic, type Runtime, type ThreadEvent } from '@remote-chat/protocol';
import { ChatClientError, describeError } from '../../client/errors.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { clientContext } from '../../context/client-context.js';
import { configContext, type ConfigContextValue } from '../../context/config-context.js';
import { runtimeContext, type RuntimeContextValue } from '../../context/runtime-context.js';
import { threadContext, type ThreadContextValue } from '../../context/thread-context.js';
import type { PendingMessage } from '../../controllers/send-queue-controller.js';
import { SeqFeedController } from '../../controllers/seq-feed-controller.js';
import type { RcAgentChangeEvent } from '../../events/agent-change-event.js';
import { RcAgentStopEvent } from '../../events/agent-stop-event.js';
import { RcPermissionAnswerEvent } from '../../events/permission-answer-event.js';
import type { RcPendingChangeEvent } from '../../events/pending-change-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { cssProps } from '../../util/css-props.js';
import { httpUrl } from '../../util/format.js';
import type { AgentInfo, RcComposer } from '../composer/composer.js';
import { whySendingIsBlocked } from '../../util/send-blocked.js';
import { agentMessage, CodeCopyController, MarkdownViews } from './agent-message.js';
import { agentMessageStyles } from './agent-message.styles.js';
import { cardStyles } from './card.styles.js';
import { chatStyles } from './chat.styles.js';
import { emptyState } from './empty-state.js';
import { emptyStateStyles } from './empty-state.styles.js';
import { fileCard } from './file-card.js';
import { fileCardStyles } from './file-card.styles.js';
import { permissionCard, type PermissionState } from './permission-card.js';
import { permissionCardStyles } from './permission-card.styles.js';
import { planCard } from './plan-card.js';
import { statusLine } from './status-line.js';
import { statusLineStyles } from './status-line.styles.js';
import type { EventPageReader, FullOutput } from './full-output.js';
import { followRunningOutput, oneTabStopPerCard, SHOWN_OUTPUT_CHARS, toolCard } from './tool-card.js';
import { toolCardStyles } from './tool-card.styles.js';
import { Transcript, type PermissionItem, type ToolItem, type TranscriptItem } from './transcript.js';
import { pendingMessage, userMessage } from './user-message.js';
import { userMessageStyles } from './user-message.styles.js';
import { WindowingController } from './windowing-controller.js';

const ESTIMATES: Record<TranscriptItem['type'], number> = {
  user: 58,
  agent: 110,
  tool: 56,
  file: 56,
  error: 58,
  notice: 40,
  plan: 120,
  permission: 130,
};
/** What an open card adds to its estimate. */
const OPEN_ESTIMATE = 120;

/**
 * @summary A thread: the conversation with the agent, its tool calls and file changes, what the
 * agent is doing now, and a composer.
 *
 * User messages; agent messages as sanitised markdown that streams in place (code blocks with a
 * Copy button), and under a model's answer the model's label and the tokens it took; tool calls
 * as collapsible cards with the command, status, duration, exit code and the output in ANSI
 * colours; file writes as diffs with added and removed lines marked; the agent's plan as a
 * checklist (the latest replaces the last); an agent's permission request with its options as
 * buttons, which answer it through the client (the first answer from any browser wins, and every
 * browser then shows the outcome, a timed-out request as denied); a status line with a Stop
 * button while the agent works, and the tokens of the thread's answers so far. It keeps to the
 * bottom as output arrives unless the user scrolled up, then offers "Jump to latest". Only the
 * rows near the viewport are in the DOM, so a thread of 10,000 events opens and scrolls as fast
 * as a short one.
 *
 * The composer (an `<rc-composer>`): Enter sends, Shift+Enter starts a new line; the draft is
 * kept per thread across reloads; a message sent while offline waits and goes out once when the
 * connection returns; a pasted or dropped file is attached (a thumbnail or its name, removable),
 * uploaded into the workspace on Send, and its path put in the message.
 *
 * With a `client` and a `thread-id` it reads the thread, follows it live and sends messages
 * itself; or set `events` and handle the events.
 *
 * @fires rc-message-send - {@link RcMessageSendEvent} `{ threadId, text, clientId }` (cancelable)
 *   when the user sends a message; cancel it to send the message yourself.
 * @fires rc-agent-stop - {@link RcAgentStopEvent} `{ threadId }` (cancelable) when the user
 *   presses Stop; cancel it to stop the agent yourself.
 * @fires rc-permission-answer - {@link RcPermissionAnswerEvent} `{ threadId, requestId, optionId }`
 *   (cancelable) when the user chooses an option of a permission request; cancel it to send the
 *   answer yourself.
 * @fires rc-agent-change - {@link RcAgentChangeEvent} `{ agent }` when the user picks the agent
 *   that answers the next message.
 * @fires rc-file-upload - {@link RcFileUploadEvent} `{ threadId, file }` (cancelable) when the
 *   user pastes or drops a file; cancel it to upload the file yourself (it is not attached).
 *
 * @csspart base - The wrapper.
 * @csspart issue-link - Above the conversation of a thread started from a GitHub issue: the link back to it.
 * @csspart transcript - The scrolling conversation (`role="log"`).
 * @csspart message - A user or agent message.
 * @csspart answer-meta - Under a model's answer: the model that answered and the tokens it took.
 * @csspart card - A tool call, file change, plan or permission card.
 * @csspart plan - The agent's plan (also `card`).
 * @csspart permission - A permission request (also `card`).
 * @csspart permission-option - One of a permission request's options, a button.
 * @csspart permission-outcome - How a permission request was settled.
 * @csspart status - The status line.
 * @csspart thread-tokens - In the status line: the tokens of the thread's answers so far.
 * @csspart stop-button - The Stop button.
 * @csspart jump-button - The Jump to latest button.
 * @csspart composer - The form with the message box and the Send button.
 * @csspart textarea - The message box.
 * @csspart send-button - The Send button.
 * @csspart attachment - An attached file's chip, in the composer.
 * @csspart agent-picker - The agent drop-down.
 *
 * @cssprop --rc-color-user-bubble - Background of the user's messages.
 * @cssprop --rc-color-terminal-bg - Background of command output.
 * @cssprop --rc-color-terminal-text - Text of command output.
 * @cssprop --rc-ansi-black - ANSI black in command output (default: a grey that reads on the terminal background).
 * @cssprop --rc-ansi-red - ANSI red in command output.
 * @cssprop --rc-ansi-green - ANSI green in command output.
 * @cssprop --rc-ansi-yellow - ANSI yellow in command output.
 * @cssprop --rc-ansi-blue - ANSI blue in command output.
 * @cssprop --rc-ansi-magenta - ANSI magenta in command output.
 * @cssprop --rc-ansi-cyan - ANSI cyan in command output.
 * @cssprop --rc-ansi-white - ANSI white in command output.
 * @cssprop --rc-ansi-bright-black - ANSI bright black in command output.
 * @cssprop --rc-ansi-bright-red - ANSI bright red in command output.
 * @cssprop --rc-ansi-bright-green - ANSI bright green in command output.
 * @cssprop --rc-ansi-bright-yellow - ANSI bright yellow in command output.
 * @cssprop --rc-ansi-bright-blue - ANSI bright blue in command output.
 * @cssprop --rc-ansi-bright-magenta - ANSI bright magenta in command output.
 * @cssprop --rc-ansi-bright-cyan - ANSI bright cyan in command output.
 * @cssprop --rc-ansi-bright-white - ANSI bright white in command output.
 * @cssprop --rc-color-diff-add-bg - Background of added lines.
 * @cssprop --rc-color-diff-del-bg - Background of removed lines.
 * @cssprop --rc-font-mono - Font of commands, output and diffs.
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default).
 */
export class RcChat extends LitElement {
  // The parts of a row are Lit templates rendered into this shadow root, each with its styles.
  static override styles = [
    themeStyles,
    sharedStyles,
    chatStyles,
    emptyStateStyles,
    userMessageStyles,
    agentMessageStyles,
    cardStyles,
    toolCardStyles,
    fileCardStyles,
    permissionCardStyles,
    statusLineStyles,
  ];

  private transcript = new Transcript();
  private readonly views = new MarkdownViews();
  private readonly codeCopy = new CodeCopyController(this);
  private readonly windowing = new WindowingController(this, {
    scroller: () => this._scroller,
    list: () => this.renderRoot.querySelector<HTMLElement>('.items'),
  });

  private readonly feed = new SeqFeedController<ThreadEvent>(this, {
    topic: streamTopic.thread,
    loadPage: async (client, id, after, signal) => {
      const page = await client.getThreadEvents(id, { after, signal });
      return { items: page.events, lastSeq: page.lastSeq };
    },
    entriesOf: (frame) => (frame.type === 'event' ? [frame.event] : frame.type === 'events' ? frame.events : []),
    onEntries: (events) => this.applyEvents(events, this.feed.status === 'live'),
    onReset: () => this.resetTranscript(),
  });

  @query('.transcript') private _scroller!: HTMLElement | null;
  @query('rc-composer') private _composer!: RcComposer | null;

  @state() private _stopping = false;
  @state() private _stopError = '';
  @state() private _announcement = '';
  /** Cards the user opened or closed, overriding the default (open while running, or newest). */
  @state() private _cardOpen = new Map<string, boolean>();
  /** Diffs the user asked to see whole. */
  @state() private _fullDiffs = new Set<string>();
  /** Cut command output the user asked to see more of, read back from the store, by card key. */
  @state() private _outputs = new Map<string, FullOutput>();
  @state() private _dragging = false;
  /** The composer's messages on their way, shown at the end of the conversation. */
  @state() private _pending: readonly PendingMessage[] = [];
  /** Answers to permission requests this browser is sending or failed to send, by request id. */
  @state() private _permissions = new Map<string, PermissionState>();

  @consume({ context: runtimeContext, subscribe: true })
  @state()
  private _runtime: RuntimeContextValue;

  @consume({ context: threadContext, subscribe: true })
  @state()
  private _thread: ThreadContextValue;

  @consume({ context: configContext, subscribe: true })
  @state()
  private _config: ConfigContextValue;

  /** The client to read and send through. Provided by `<remote-chat>`. */
  @consume({ context: clientContext, subscribe: true })
  @property({ attribute: false })
  client: RemoteChatClient | undefined;

  /** The thread shown. */
  @property({ attribute: 'thread-id' }) threadId = '';

  /** The runtime the thread is on: the composer is disabled, with a reason, unless it is ready. */
  @property({ attribute: false }) runtime: Runtime | undefined;

  /** The thread's events in seq order, when there is no `client` to read them through. */
  @property({ attribute: false }) events: ThreadEvent[] = [];

  /** The agent that answers the next message; the runtime's default when null. */
  @property() agent: string | null = null;

  /**
   * The agents of the BFF's config (taken from it inside `<remote-chat>`): the models' labels
   * under their answers, and the picker, which offers those the `runtime` runs; hidden when fewer
   * than two.
   */
  @property({ attribute: false }) agents: AgentInfo[] = [];

  /** Disables the composer with this reason, whatever the runtime's state. */
  @property({ attribute: 'disabled-reason' }) disabledReason = '';

  /** The largest file a paste or a drop uploads; the BFF takes up to 10 MiB. */
  @property({ type: Number, attribute: 'max-upload-bytes' }) maxUploadBytes: number = LIMITS.maxUploadBytes;

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('_runtime')) this.runtime = this._runtime;
    if (changed.has('_thread')) this.threadId = this._thread?.id ?? '';
    if (changed.has('_config') && this._config) this.agents = this._config.agents;
    const following = Boolean(this.client && this.threadId);
    if (changed.has('client') || changed.has('threadId')) {
      this.feed.follow(this.client, following ? this.threadId : undefined);
      if (changed.has('threadId')) {
        this.windowing.reset();
        this._cardOpen = new Map();
        this._fullDiffs = new Set();
        this._outputs = new Map();
        this._permissions = new Map();
      }
    }
    if (!following && (changed.has('events') || changed.has('client') || changed.has('threadId'))) {
      this.resetTranscript();
      this.applyEvents(this.events, false);
    }
    const items = this.transcript.items;
    this.windowing.plan([items, this._cardOpen], () => ({
      keys: items.map((i) => i.key),
      estimates: items.map((i) => ESTIMATES[i.type] + (this.isOpen(i) ? OPEN_ESTIMATE : 0)),
    }));
  }

  override updated(): void {
    // Running commands' output boxes keep to their bottom too, unless scrolled.
    if (this._scroller) {
      followRunningOutput(this._scroller);
      oneTabStopPerCard(this._scroller);
    }
  }

  private resetTranscript(): void {
    this.transcript = new Transcript();
    this.views.clear();
    this.windowing.rowsChanged();
  }

  private applyEvents(events: readonly ThreadEvent[], live: boolean): void {
    if (events.length === 0) return;
    const said = this.transcript.apply(events);
    this._composer?.confirmPending((clientId) => this.transcript.hasClientId(clientId));
    if (this.transcript.state !== 'thinking' && this.transcript.state !== 'running') this._stopping = false;
    if (live && said.length) this._announcement = said[said.length - 1]!.text.slice(0, 500);
    this.windowing.rowsChanged();
    this.requestUpdate();
  }

  private onPendingChange(event: RcPendingChangeEvent): void {
    this._pending = event.detail.pending;
    if (event.detail.sent) this.windowing.stick();
  }

  private onAgentChange(event: RcAgentChangeEvent): void {
    this.agent = event.detail.agent;
  }

  private async stop(): Promise<void> {
    if (this._stopping || !this.threadId) return;
    this._stopError = '';
    if (!this.dispatchEvent(new RcAgentStopEvent({ threadId: this.threadId }))) return;
    if (!this.client) return;
    this._stopping = true;
    try {
      await this.client.cancel(this.threadId);
    } catch (error) {
      this._stopping = false;
      this._stopError = `Could not stop: ${describeError(error)}`;
    }
  }

  private setPermission(requestId: string, state: PermissionState): void {
    this._permissions = new Map(this._permissions).set(requestId, state);
  }

  /** Sends the person's choice; an answer stored before (another browser, the timeout) is shown instead. */
  private async answerPermission(item: PermissionItem, optionId: string): Promise<void> {
    const { requestId } = item.request;
    const threadId = this.threadId;
    if (!threadId || this._permissions.get(requestId)?.sending) return;
    if (!this.dispatchEvent(new RcPermissionAnswerEvent({ threadId, requestId, optionId }))) return;
    if (!this.client) return;
    this.setPermission(requestId, { sending: optionId });
    try {
      await this.client.answerPermission(threadId, requestId, optionId);
      // The answer arrives in the thread, as it does in every other browser.
      this.setPermission(requestId, {});
    } catch (error) {
      if (this.threadId !== threadId) return;
      if (error instanceof ChatClientError && error.code === 'conflict') {
        const stored = ThreadEventSchema.safeParse((error.data as { answer?: unknown } | undefined)?.answer);
        if (stored.success && stored.data.kind === 'permission.answer' && stored.data.requestId === requestId) {
          this.setPermission(requestId, { answer: stored.data });
          return;
        }
      }
      this.setPermission(requestId, { error: `Your answer was not sent: ${describeError(error)}` });
    }
  }

  // Cut output, read back from the thread's stored events.

  private readEvents(): EventPageReader {
    const { client, threadId } = this;
    if (client && threadId) return (after) => client.getThreadEvents(threadId, { after });
    const events = this.events;
    return async (after) => ({ events: events.filter((e) => e.seq > after), lastSeq: events.at(-1)?.seq ?? 0 });
  }

  /**
   * Shows a page more of a cut output (its start read back from the store the first time), or
   * saves the whole of it; the reading is in a module loaded on first use.
   */
  private async outputAction(item: ToolItem, action: 'showMore' | 'download'): Promise<void> {
    const known = this._outputs.get(item.key);
    if (known?.loading) return;
    const { FullOutput } = await import('./full-output.js');
    // A running command's output grows: a download reads it again from the start.
    const full =
      known && (action === 'showMore' || item.result)
        ? known
        : new FullOutput(item, known?.shown ?? SHOWN_OUTPUT_CHARS);
    const threadId = this.threadId;
    await full[action](item, this.readEvents(), () => {
      if (this.threadId === threadId) this._outputs = new Map(this._outputs).set(item.key, full);
    });
  }

  // A file dropped anywhere on the chat goes to the composer.

  private onDragOver(event: DragEvent): void {
    const composer = this._composer;
    if (!event.dataTransfer?.types.includes('Files') || !composer || composer.blockedReason) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    this._dragging = true;
  }

  private onDragLeave(event: DragEvent): void {
    if (event.relatedTarget instanceof Node && this.renderRoot.contains(event.relatedTarget)) return;
    this._dragging = false;
  }

  private onDrop(event: DragEvent): void {
    this._dragging = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    const composer = this._composer;
    if (files.length === 0 || !composer || composer.blockedReason) return;
    event.preventDefault();
    for (const file of files) composer.attach(file);
  }

  // Rows

  private isOpen(item: TranscriptItem): boolean {
    if (item.type !== 'tool' && item.type !== 'file') return false;
    const chosen = this._cardOpen.get(item.key);
    if (chosen !== undefined) return chosen;
    // Open unless the user closed it: commands (their output box scrolls on its own), and diffs
    // that are short or the newest (a long old one waits for a click).
    if (item.type === 'tool') return true;
    return item.event.diff.length < 2_000 || item.key === this.transcript.lastCardKey;
  }

  private onCardToggle(item: TranscriptItem, event: Event): void {
    const open = (event.currentTarget as HTMLDetailsElement).open;
    if (open === this.isOpen(item)) return;
    this._cardOpen = new Map(this._cardOpen).set(item.key, open);
  }

  private renderItem(item: TranscriptItem, open: boolean) {
    const onToggle = (event: Event) => this.onCardToggle(item, event);
    switch (item.type) {
      case 'user':
        return userMessage(item);
      case 'agent':
        return agentMessage(item, this.views, this.agents);
      case 'tool':
        return toolCard(item, open, onToggle, {
          full: this._outputs.get(item.key),
          onShowMore: () => void this.outputAction(item, 'showMore'),
          onDownload: () => void this.outputAction(item, 'download'),
        });
      case 'file':
        return fileCard(item, {
          open,
          whole: this._fullDiffs.has(item.key),
          onToggle,
          onShowAll: () => (this._fullDiffs = new Set(this._fullDiffs).add(item.key)),
        });
      case 'error':
        return html`<p class="alert error-item" role="note">${item.message}</p>`;
      case 'notice':
        return html`<p class="notice-item" role="note">${item.message}</p>`;
      case 'plan':
        return planCard(item);
      case 'permission':
        return permissionCard(item, {
          state: this._permissions.get(item.request.requestId),
          onAnswer: (optionId) => void this.answerPermission(item, optionId),
        });
    }
  }

  /** Inserts text into the message box at the cursor, with a space either side if needed. */
  insertText(text: string): void {
    this._composer?.insertText(text);
  }

  /** Moves focus to the message box. */
  override focus(options?: FocusOptions): void {
    this._composer?.focus(options);
  }

  override render() {
    const items = this.transcript.items;
    const { start, end } = this.windowing.range;
    const visible = items.slice(start, end);
    const showJump = !this.windowing.stuck && items.length > 0;
    const unseen = this.windowing.unseen;
    const pendingActions = {
      onRetry: (clientId: string) => this._composer?.retryPending(clientId),
      onEdit: (clientId: string) => this._composer?.editPending(clientId),
    };
    return html`
      <div
        class="base"
        part="base"
        @dragover=${this.onDragOver}
        @dragleave=${this.onDragLeave}
        @drop=${this.onDrop}
      >
        ${
          this._thread?.issue
            ? html`<p class="issue-link" part="issue-link">
              <a href=${httpUrl(this._thread.issue.htmlUrl) ?? nothing} target="_blank" rel="noopener noreferrer"
                >Issue #${this._thread.issue.number}: ${this._thread.issue.title}</a
              >
            </p>`
            : nothing
        }
        <div class="transcript-area">
          <div
            class="transcript"
            part="transcript"
            role="log"
            aria-label="Conversation"
            aria-live="off"
            tabindex="0"
            @scroll=${this.windowing.onScroll}
            @click=${this.codeCopy.onClick}
          >
            <div class="items">
              <div class="spacer" aria-hidden="true" style=${cssProps({ height: `${this.windowing.above}px` })}></div>
              ${repeat(
                visible,
                (item) => item.key,
                (item) => {
                  const open = this.isOpen(item);
                  const output = this._outputs.get(item.key);
                  return html`<div class="row" data-key=${item.key}>${guard(
                    [
                      item,
                      open,
                      this._fullDiffs.has(item.key),
                      output?.shown,
                      output?.loading,
                      output?.error,
                      this.agents,
                      item.type === 'permission' ? this._permissions.get(item.request.requestId) : undefined,
                    ],
                    () => this.renderItem(item, open),
                  )}</div>`;
                },
              )}
              <div class="spacer" aria-hidden="true" style=${cssProps({ height: `${this.windowing.below}px` })}></div>
              ${this._pending.map((m) => pendingMessage(m, pendingActions))} ${emptyState({
                feedStatus: this.feed.status,
                feedError: this.feed.error,
                onRetry: () => this.feed.retry(),
                hasRuntime: Boolean(this.runtime),
                hasThread: Boolean(this.threadId),
                hasRows: items.length > 0,
                hasPending: this._pending.length > 0,
                agent: this.agent ?? this.runtime?.agent,
              })}
            </div>
          </div>
          ${
            showJump
              ? html`<button class="button jump ${unseen ? 'unseen' : ''}" part="jump-button" type="button" @click=${() => this.windowing.jumpToEnd()}>
                <span aria-hidden="true">↓</span> ${unseen ? 'New messages' : 'Jump to latest'}
              </button>`
              : nothing
          }
        </div>
        <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">${this._announcement}</div>
        <div class="footer">
          ${statusLine({
            state: this.transcript.state,
            stateMessage: this.transcript.stateMessage,
            hasThread: Boolean(this.threadId),
            canSend: !whySendingIsBlocked(this),
            waiting: this._composer?.waiting ?? false,
            stopping: this._stopping,
            stopError: this._stopError,
            tokens: this.transcript.tokens,
            onStop: () => void this.stop(),
          })}
          <rc-composer
            exportparts="composer, textarea, send-button, agent-picker, attachment"
            .client=${this.client}
            .threadId=${this.threadId}
            .runtime=${this.runtime}
            .agent=${this.agent}
            .agents=${this.agents}
            .disabledReason=${this.disabledReason}
            .maxUploadBytes=${this.maxUploadBytes}
            @rc-pending-change=${this.onPendingChange}
            @rc-agent-change=${this.onAgentChange}
          ></rc-composer>
        </div>
        ${this._dragging ? html`<div class="drop-zone" aria-hidden="true"><span>Drop a file to attach it</span></div>` : nothing}
      </div>
    `;
  }
}
