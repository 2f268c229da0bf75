import { consume } from '@lit/context';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { Runtime, ThreadEvent } from '@remote-chat/protocol';
import { newClientId } from '../../client/client-id.js';
import { describeError } from '../../client/errors.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { clientContext } from '../../context/client-context.js';
import { runtimeContext, type RuntimeContextValue } from '../../context/runtime-context.js';
import { threadContext, type ThreadContextValue } from '../../context/thread-context.js';
import { SeqFeedController } from '../../controllers/seq-feed-controller.js';
import { RcAgentStopEvent } from '../../events/agent-stop-event.js';
import { RcMessageSendEvent } from '../../events/message-send-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { diffStats, parseUnifiedDiff } from '../../util/diff.js';
import { formatDuration } from '../../util/format.js';
import { renderMarkdown } from '../../util/markdown.js';
import { terminalText } from '../../util/terminal-text.js';
import { chatStyles } from './chat.styles.js';
import { Transcript, type FileItem, type ToolItem, type TranscriptItem } from './transcript.js';

/** A message the user sent that the thread does not show yet. */
interface PendingMessage {
  clientId: string;
  text: string;
  /** The BFF stored it; it shows for good once the stream brings it. */
  sent: boolean;
  /** Why sending failed; empty while sending. */
  error: string;
}

/** How close to the bottom (px) still counts as "at the bottom" for auto-scroll. */
const STICK_THRESHOLD = 48;

let nextId = 0;

/**
 * @summary A thread: the conversation with the agent, its tool calls and file changes, what the
 * agent is doing now, and a composer.
 *
 * User messages, agent messages (sanitised markdown), tool calls as cards with the command, the
 * streamed output (plain text: escape sequences removed, never parsed as HTML), the exit code and
 * the duration, file writes as a unified diff, and a status line with a Stop button while the
 * agent works. It keeps to the bottom as output arrives unless the user scrolled up.
 *
 * With a `client` and a `thread-id` it reads the thread, follows it live and sends messages
 * itself; or set `events` and handle the events.
 *
 * @fires rc-message-send - {@link RcMessageSendEvent} `{ threadId, text, clientId }` (cancelable)
 *   when the user sends a message; cancel it to send the message yourself.
 * @fires rc-agent-stop - {@link RcAgentStopEvent} `{ threadId }` (cancelable) when the user
 *   presses Stop; cancel it to stop the agent yourself.
 *
 * @csspart base - The wrapper.
 * @csspart transcript - The scrolling conversation (`role="log"`).
 * @csspart status - The status line.
 * @csspart stop-button - The Stop button.
 * @csspart composer - The form with the message box and the Send button.
 * @csspart textarea - The message box.
 * @csspart send-button - The Send button.
 *
 * @cssprop --rc-color-user-bubble - Background of the user's messages.
 * @cssprop --rc-color-terminal-bg - Background of command output.
 * @cssprop --rc-color-terminal-text - Text of command output.
 * @cssprop --rc-color-diff-add-bg - Background of added lines.
 * @cssprop --rc-color-diff-del-bg - Background of removed lines.
 * @cssprop --rc-font-mono - Font of commands, output and diffs.
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default).
 */
export class RcChat extends LitElement {
  static override styles = [themeStyles, sharedStyles, chatStyles];

  private readonly uid = `rc-chat-${nextId++}`;
  private transcript = new Transcript();
  /** The transcript changed since the last render: new content may need scrolling to. */
  private grew = false;

  private readonly feed = new SeqFeedController<ThreadEvent>(this, {
    topic: (id) => `thread:${id}`,
    loadPage: async (client, id, after, signal) => {
      const page = await client.getThreadEvents(id, { after, signal });
      return { items: page.events, lastSeq: page.lastSeq };
    },
    entryOf: (frame) => (frame.type === 'event' ? frame.event : undefined),
    onEntries: (events) => this.applyEvents(events),
    onReset: () => this.resetTranscript(),
  });

  @query('.transcript') private _scroller!: HTMLElement | null;
  @query('textarea') private _textarea!: HTMLTextAreaElement | null;

  /** At the bottom, so new content scrolls into view. */
  @state() private _stuck = true;
  /** New content arrived below while the user was scrolled up. */
  @state() private _unseen = false;
  @state() private _pending: PendingMessage[] = [];
  @state() private _draft = '';
  @state() private _stopping = false;
  @state() private _stopError = '';

  @consume({ context: runtimeContext, subscribe: true })
  @state()
  private _runtime: RuntimeContextValue;

  @consume({ context: threadContext, subscribe: true })
  @state()
  private _thread: ThreadContextValue;

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

  /** The agent that answers; the runtime's default when null. */
  @property() agent: string | null = null;

  /** Disables the composer with this reason, whatever the runtime's state. */
  @property({ attribute: 'disabled-reason' }) disabledReason = '';

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('_runtime')) this.runtime = this._runtime;
    if (changed.has('_thread')) this.threadId = this._thread?.id ?? '';
    const following = Boolean(this.client && this.threadId);
    if (changed.has('client') || changed.has('threadId')) {
      this.feed.follow(this.client, following ? this.threadId : undefined);
      if (changed.has('threadId')) {
        this._pending = [];
        this._stuck = true;
        this._unseen = false;
      }
    }
    if (!following && (changed.has('events') || changed.has('client') || changed.has('threadId'))) {
      this.resetTranscript();
      this.applyEvents(this.events);
    }
    if (this.grew && !this._stuck) this._unseen = true;
  }

  override updated(): void {
    if (this.grew && this._stuck && this._scroller) this._scroller.scrollTop = this._scroller.scrollHeight;
    this.grew = false;
    // Running commands' output boxes keep to their bottom too, unless scrolled.
    for (const pre of this.renderRoot.querySelectorAll<HTMLElement>('.terminal[data-running]')) {
      if (pre.dataset['pinned'] !== 'false') pre.scrollTop = pre.scrollHeight;
    }
  }

  private resetTranscript(): void {
    this.transcript = new Transcript();
    this.grew = true;
  }

  private applyEvents(events: readonly ThreadEvent[]): void {
    if (events.length === 0) return;
    this.transcript.apply(events);
    if (this._pending.some((p) => this.transcript.hasClientId(p.clientId))) {
      this._pending = this._pending.filter((p) => !this.transcript.hasClientId(p.clientId));
    }
    if (this.transcript.state !== 'thinking' && this.transcript.state !== 'running') this._stopping = false;
    this.grew = true;
    this.requestUpdate();
  }

  /** Why the composer is disabled, or an empty string. */
  private get blockedReason(): string {
    if (this.disabledReason) return this.disabledReason;
    const runtime = this.runtime;
    if (runtime) {
      switch (runtime.status) {
        case 'starting':
          return 'The runtime is starting. You can send messages once it is ready.';
        case 'offline':
          return 'The runtime is offline. You can send messages once it reconnects.';
        case 'stopping':
        case 'stopped':
          return 'This runtime is stopped. Pick another runtime or create a new one.';
        case 'failed':
          return 'This runtime failed to start: see the sandbox log, then create a new one.';
        case 'ready':
          break;
      }
    }
    if (!this.threadId) return runtime ? 'Open a thread or create one to send a message.' : 'Pick or create a runtime to start chatting.';
    return '';
  }

  private onScroll(): void {
    const el = this._scroller;
    if (!el) return;
    const stuck = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD;
    if (stuck !== this._stuck) this._stuck = stuck;
    if (stuck && this._unseen) this._unseen = false;
  }

  private onTerminalScroll(event: Event): void {
    const pre = event.currentTarget as HTMLElement;
    pre.dataset['pinned'] = String(pre.scrollHeight - pre.scrollTop - pre.clientHeight < 16);
  }

  private jumpToLatest(): void {
    this._stuck = true;
    this._unseen = false;
    if (this._scroller) this._scroller.scrollTop = this._scroller.scrollHeight;
  }

  private onKeyDown(event: KeyboardEvent): void {
    // Enter sends, Shift+Enter is a new line; an IME composing text keeps its Enter.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  private onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    this.submit();
  }

  private submit(): void {
    const text = this._textarea?.value ?? this._draft;
    if (!text.trim() || this.blockedReason) return;
    const threadId = this.threadId;
    const clientId = newClientId();
    if (!this.dispatchEvent(new RcMessageSendEvent({ threadId, text, clientId }))) {
      this._draft = '';
      return;
    }
    this._draft = '';
    if (!this.client) return;
    this._pending = [...this._pending, { clientId, text, sent: false, error: '' }];
    this._stuck = true;
    this.grew = true;
    void this.deliver(this.client, threadId, clientId, text);
  }

  private async deliver(client: RemoteChatClient, threadId: string, clientId: string, text: string): Promise<void> {
    const message = this.agent ? { text, clientId, agent: this.agent } : { text, clientId };
    try {
      await client.sendMessage(threadId, message);
      this._pending = this._pending.map((p) => (p.clientId === clientId ? { ...p, sent: true } : p));
    } catch (error) {
      if (threadId !== this.threadId) return;
      this._pending = this._pending.map((p) => (p.clientId === clientId ? { ...p, error: describeError(error) } : p));
    }
  }

  /** Sends a failed message again with the same client id: stored once even if it did arrive. */
  private retry(pending: PendingMessage): void {
    if (!this.client) return;
    this._pending = this._pending.map((p) => (p.clientId === pending.clientId ? { ...p, error: '' } : p));
    void this.deliver(this.client, this.threadId, pending.clientId, pending.text);
  }

  private discard(pending: PendingMessage): void {
    this._pending = this._pending.filter((p) => p.clientId !== pending.clientId);
    if (!this._draft) this._draft = pending.text;
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

  /** Moves focus to the message box. */
  override focus(options?: FocusOptions): void {
    this._textarea?.focus(options);
  }

  private renderItem(item: TranscriptItem) {
    switch (item.type) {
      case 'user':
        return html`<div class="message user"><span class="visually-hidden">You: </span>${item.text}</div>`;
      case 'agent':
        return html`
          <div class="message agent">
            <span class="visually-hidden">Agent: </span>
            <div class="markdown">${unsafeHTML(renderMarkdown(item.text))}</div>
            ${item.streaming ? html`<span class="caret" aria-hidden="true"></span>` : nothing}
          </div>
        `;
      case 'tool':
        return this.renderTool(item);
      case 'file':
        return this.renderFile(item);
      case 'error':
        return html`<p class="alert error-item">${item.message}</p>`;
    }
  }

  private renderTool(item: ToolItem) {
    const result = item.result;
    let outcome;
    if (!result) {
      outcome = html`<span class="result running"><span class="spinner" aria-hidden="true"></span> Running</span>`;
    } else {
      const ended =
        result.signal != null
          ? `Killed by ${result.signal}`
          : result.exitCode != null
            ? `Exit ${result.exitCode}`
            : result.ok
              ? 'Done'
              : 'Failed';
      outcome = html`
        <span class="result ${result.ok ? 'ok' : 'failed'}">
          <span aria-hidden="true">${result.ok ? '✓' : '✕'}</span> ${ended}
          <span class="duration">· ${formatDuration(result.durationMs)}</span>
        </span>
      `;
    }
    const label = item.tool === 'terminal' ? 'Command' : `Tool ${item.tool}`;
    return html`
      <section class="card tool" aria-label="${label}: ${item.title}" data-call-id=${item.callId}>
        <div class="card-header">
          <span class="tool-name">${item.tool}</span>
          <h3 class="card-title">${item.title}</h3>
          ${outcome}
        </div>
        ${result?.error ? html`<p class="result-error">${result.error}</p>` : nothing}
        <pre
          class="terminal"
          role="group"
          aria-label="Output"
          tabindex=${item.output.length ? '0' : '-1'}
          ?data-running=${!result}
          @scroll=${this.onTerminalScroll}
        >${item.droppedChars
          ? html`<span class="dropped">… ${item.droppedChars.toLocaleString()} earlier characters not shown</span>`
          : nothing}${item.output.map((chunk) =>
          chunk.stream === 'stderr'
            ? html`<span class="stderr">${terminalText(chunk.data)}</span>`
            : terminalText(chunk.data),
        )}</pre>
      </section>
    `;
  }

  private renderFile(item: FileItem) {
    const { path, diff, created, bytes } = item.event;
    const lines = parseUnifiedDiff(diff);
    const { added, removed } = diffStats(lines);
    return html`
      <section class="card file" aria-label="${created ? 'Created' : 'Edited'} ${path}">
        <div class="card-header">
          <span class="tool-name">${created ? 'new file' : 'edit'}</span>
          <h3 class="card-title">${path}</h3>
          <span class="file-meta">
            <span class="stat-add">+${added}</span> <span class="stat-del">−${removed}</span> ·
            ${bytes.toLocaleString()} bytes
          </span>
        </div>
        ${diff
          ? html`<pre class="diff" role="group" aria-label="Changes" tabindex="0">${lines.map(
              (line) => html`<span class="line ${line.kind}">${line.text || ' '}</span>`,
            )}</pre>`
          : html`<p class="result-error muted">No changes.</p>`}
      </section>
    `;
  }

  private renderEmpty() {
    const status = this.feed.status;
    if (status === 'error') {
      return html`<div class="alert" role="alert">
        Could not read this thread: ${describeError(this.feed.error)}
        <button class="button" type="button" @click=${() => this.feed.retry()}>Try again</button>
      </div>`;
    }
    if (!this.threadId && this.transcript.items.length === 0) {
      return html`<p class="empty">No thread is open.</p>`;
    }
    if (status === 'loading') return html`<p class="empty">Loading the conversation…</p>`;
    if (this.transcript.items.length > 0 || this._pending.length > 0) return nothing;
    const agent = this.agent ?? this.runtime?.agent;
    return html`<p class="empty">
      ${agent === 'shell'
        ? html`Each message is a command line, run with bash in the workspace. Try <code>ls -la</code>, or
            <code>/help</code> for the built-in commands.`
        : 'No messages yet.'}
    </p>`;
  }

  private renderStatus() {
    const { state, stateMessage } = this.transcript;
    const working = state === 'thinking' || state === 'running';
    return html`
      <div class="status-line" part="status">
        <span class="state ${state}" role="status">
          ${working ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}
          ${state === 'thinking'
            ? 'Thinking…'
            : state === 'running'
              ? 'Running…'
              : state === 'error'
                ? `Stopped with an error${stateMessage ? `: ${stateMessage}` : ''}`
                : this.threadId
                  ? 'Idle'
                  : ''}
        </span>
        ${this._stopError ? html`<span class="state error" role="alert">${this._stopError}</span>` : nothing}
        ${working
          ? html`<button
              class="button danger stop"
              part="stop-button"
              type="button"
              aria-disabled=${this._stopping ? 'true' : 'false'}
              @click=${this.stop}
            >
              <span class="stop-icon" aria-hidden="true"></span> ${this._stopping ? 'Stopping…' : 'Stop'}
            </button>`
          : nothing}
      </div>
    `;
  }

  private renderComposer() {
    const reason = this.blockedReason;
    const noteId = `${this.uid}-note`;
    return html`
      <form class="composer" part="composer" @submit=${this.onSubmit}>
        <textarea
          part="textarea"
          aria-label="Message"
          aria-describedby=${noteId}
          rows="1"
          placeholder=${reason ? '' : 'Type a command or a message'}
          .value=${this._draft}
          ?disabled=${Boolean(reason)}
          @input=${(e: InputEvent) => (this._draft = (e.target as HTMLTextAreaElement).value)}
          @keydown=${this.onKeyDown}
        ></textarea>
        <button class="button primary send" part="send-button" type="submit" ?disabled=${Boolean(reason)}>Send</button>
      </form>
      <p id=${noteId} class="composer-note ${reason ? 'reason' : ''}">
        ${reason || html`<kbd>Enter</kbd> sends, <kbd>Shift</kbd>+<kbd>Enter</kbd> starts a new line.`}
      </p>
    `;
  }

  private renderPending(p: PendingMessage) {
    let status;
    if (p.error) {
      status = html`
        <span role="alert">Not sent: ${p.error}</span>
        <button class="button" type="button" @click=${() => this.retry(p)}>Retry</button>
        <button class="button quiet" type="button" @click=${() => this.discard(p)}>Edit</button>
      `;
    } else if (p.sent) {
      status = 'Sent';
    } else {
      status = html`<span class="spinner" aria-hidden="true"></span> Sending…`;
    }
    return html`
      <div class="message user pending ${p.error ? 'failed' : ''}">
        <span class="visually-hidden">You: </span>${p.text}
        <div class="pending-status">${status}</div>
      </div>
    `;
  }

  override render() {
    return html`
      <div class="base" part="base">
        <div class="transcript-area">
          <div
            class="transcript"
            part="transcript"
            role="log"
            aria-label="Conversation"
            aria-live="polite"
            aria-relevant="additions"
            tabindex="0"
            @scroll=${this.onScroll}
          >
            <div class="items">
              ${repeat(
                this.transcript.items,
                (item) => item.key,
                (item) => guard([item], () => this.renderItem(item)),
              )}
              ${this._pending.map((p) => this.renderPending(p))} ${this.renderEmpty()}
            </div>
          </div>
          ${this._unseen
            ? html`<button class="button jump" type="button" @click=${this.jumpToLatest}>
                <span aria-hidden="true">↓</span> New output
              </button>`
            : nothing}
        </div>
        <div class="footer">${this.renderStatus()} ${this.renderComposer()}</div>
      </div>
    `;
  }
}
