import { consume } from '@lit/context';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import { cssProps } from '../../util/css-props.js';
import { LIMITS, type ConfigResponse, type Runtime, type ThreadEvent } from '@remote-chat/protocol';
import { newClientId } from '../../client/client-id.js';
import { ChatClientError, describeError } from '../../client/errors.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { clientContext } from '../../context/client-context.js';
import { configContext, type ConfigContextValue } from '../../context/config-context.js';
import { runtimeContext, type RuntimeContextValue } from '../../context/runtime-context.js';
import { threadContext, type ThreadContextValue } from '../../context/thread-context.js';
import { SendQueueController, type PendingMessage } from '../../controllers/send-queue-controller.js';
import { SeqFeedController } from '../../controllers/seq-feed-controller.js';
import { RcAgentChangeEvent } from '../../events/agent-change-event.js';
import { RcAgentStopEvent } from '../../events/agent-stop-event.js';
import { RcFileUploadEvent } from '../../events/file-upload-event.js';
import { RcMessageSendEvent } from '../../events/message-send-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { ansiSegments } from '../../util/ansi.js';
import { diffStats, parseUnifiedDiff } from '../../util/diff.js';
import { formatBytes, formatDuration } from '../../util/format.js';
import { MarkdownView } from '../../util/markdown.js';
import { keep, readKept } from '../../util/storage.js';
import { chatStyles } from './chat.styles.js';
import { Transcript, type FileItem, type ToolItem, type TranscriptItem } from './transcript.js';
import { ListWindow } from './windowing.js';

/** An agent the picker offers, as `GET /api/config` lists them. */
export type AgentInfo = ConfigResponse['agents'][number];

/** A file pasted or dropped into the composer, on its way into the workspace. */
interface Upload {
  id: number;
  name: string;
  bytes: number;
  state: 'uploading' | 'failed';
  error: string;
}

/** How close to the bottom (px) still counts as "at the bottom" for auto-scroll. */
const STICK_THRESHOLD = 48;
/** Output shown per command; the rest stays in the transcript, out of the DOM. */
const SHOWN_OUTPUT_CHARS = 48_000;
/** Diff lines shown before "Show all". */
const SHOWN_DIFF_LINES = 80;
/** Rendered agent messages kept for reuse while they scroll out of and back into view. */
const MARKDOWN_CACHE = 400;

const ESTIMATES: Record<TranscriptItem['type'], number> = { user: 58, agent: 110, tool: 56, file: 56, error: 58 };
/** What an open card adds to its estimate. */
const OPEN_ESTIMATE = 120;

let nextId = 0;

/** A BFF from before uploads: the route is missing (404 "No such route.", or a bare 404/405). */
function noUploadRoute(error: unknown): boolean {
  if (!(error instanceof ChatClientError)) return false;
  return (
    error.status === 405 ||
    (error.status === 404 &&
      (error.message === 'No such route.' || error.message.startsWith('The chat server answered')))
  );
}

/**
 * @summary A thread: the conversation with the agent, its tool calls and file changes, what the
 * agent is doing now, and a composer.
 *
 * User messages; agent messages as sanitised markdown that streams in place (code blocks with a
 * Copy button); tool calls as collapsible cards with the command, status, duration, exit code and
 * the output in ANSI colours; file writes as diffs with added and removed lines marked; a status
 * line with a Stop button while the agent works. It keeps to the bottom as output arrives unless
 * the user scrolled up, then offers "Jump to latest". Only the rows near the viewport are in the
 * DOM, so a thread of 10,000 events opens and scrolls as fast as a short one.
 *
 * The composer: Enter sends, Shift+Enter starts a new line; the draft is kept per thread across
 * reloads; a message sent while offline waits and goes out once when the connection returns;
 * a pasted or dropped file is uploaded into the workspace and its path put in the message.
 *
 * With a `client` and a `thread-id` it reads the thread, follows it live and sends messages
 * itself; or set `events` and handle the events.
 *
 * @fires rc-message-send - {@link RcMessageSendEvent} `{ threadId, text, clientId }` (cancelable)
 *   when the user sends a message; cancel it to send the message yourself.
 * @fires rc-agent-stop - {@link RcAgentStopEvent} `{ threadId }` (cancelable) when the user
 *   presses Stop; cancel it to stop the agent yourself.
 * @fires rc-agent-change - {@link RcAgentChangeEvent} `{ agent }` when the user picks the agent
 *   that answers the next message.
 * @fires rc-file-upload - {@link RcFileUploadEvent} `{ threadId, file }` (cancelable) when the
 *   user pastes or drops a file; cancel it to upload the file yourself.
 *
 * @csspart base - The wrapper.
 * @csspart transcript - The scrolling conversation (`role="log"`).
 * @csspart message - A user or agent message.
 * @csspart card - A tool call or file change card.
 * @csspart status - The status line.
 * @csspart stop-button - The Stop button.
 * @csspart jump-button - The Jump to latest button.
 * @csspart composer - The form with the message box and the Send button.
 * @csspart textarea - The message box.
 * @csspart send-button - The Send button.
 * @csspart agent-picker - The agent drop-down.
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
  private readonly rows = new ListWindow();
  private range = { start: 0, end: 0 };
  /** The transcript changed since the last render: new content may need scrolling to. */
  private grew = false;
  /** The row the user is looking at, kept in place while rows above it change height. */
  private anchor: { key: string; offset: number } | undefined;
  private readonly views = new Map<string, MarkdownView>();
  // A size change after rendering is measured in the next frame: measuring (and re-rendering)
  // inside the observer's callback would make the browser report a ResizeObserver loop.
  private readonly resizes =
    typeof ResizeObserver === 'undefined'
      ? undefined
      : new ResizeObserver(() => requestAnimationFrame(() => this.measureRows()));
  private draftTimer: ReturnType<typeof setTimeout> | undefined;
  /** The draft key whose stored draft was read; typing before it arrives wins. */
  private draftKey = '';
  private nextUpload = 0;
  private copiedTimer: ReturnType<typeof setTimeout> | undefined;
  /** The keys of the transcript's items, the rows of the window. */
  private rowKeys: string[] = [];
  /** What the rows were last set from: scrolling alone leaves them as they are. */
  private rowsFrom: { items: readonly TranscriptItem[]; open: Map<string, boolean> } | undefined;

  private readonly feed = new SeqFeedController<ThreadEvent>(this, {
    topic: (id) => `thread:${id}`,
    loadPage: async (client, id, after, signal) => {
      const page = await client.getThreadEvents(id, { after, signal });
      return { items: page.events, lastSeq: page.lastSeq };
    },
    entryOf: (frame) => (frame.type === 'event' ? frame.event : undefined),
    onEntries: (events) => this.applyEvents(events, this.feed.status === 'live'),
    onReset: () => this.resetTranscript(),
  });

  private readonly sendQueue = new SendQueueController(this);

  @query('.transcript') private _scroller!: HTMLElement | null;
  @query('textarea') private _textarea!: HTMLTextAreaElement | null;

  /** At the bottom, so new content scrolls into view. */
  @state() private _stuck = true;
  /** New content arrived below while the user was scrolled up. */
  @state() private _unseen = false;
  @state() private _draft = '';
  @state() private _stopping = false;
  @state() private _stopError = '';
  @state() private _announcement = '';
  /** Cards the user opened or closed, overriding the default (open while running, or newest). */
  @state() private _cardOpen = new Map<string, boolean>();
  /** Diffs the user asked to see whole. */
  @state() private _fullDiffs = new Set<string>();
  @state() private _uploads: Upload[] = [];
  @state() private _dragging = false;

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

  /** The agents the picker offers. Taken from the config inside `<remote-chat>`; hidden when fewer than two. */
  @property({ attribute: false }) agents: AgentInfo[] = [];

  /** Disables the composer with this reason, whatever the runtime's state. */
  @property({ attribute: 'disabled-reason' }) disabledReason = '';

  /** The largest file a paste or a drop uploads; the BFF takes up to 10 MiB. */
  @property({ type: Number, attribute: 'max-upload-bytes' }) maxUploadBytes: number = LIMITS.maxUploadBytes;

  override connectedCallback(): void {
    super.connectedCallback();
    // Back on the page after a move: watch the rows again (the first render does it otherwise).
    if (this.hasUpdated) this.observeRows();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizes?.disconnect();
    this.flushDraft();
    clearTimeout(this.copiedTimer);
  }

  override firstUpdated(): void {
    this.observeRows();
  }

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('_runtime')) this.runtime = this._runtime;
    if (changed.has('_thread')) this.threadId = this._thread?.id ?? '';
    if (changed.has('_config') && this._config) this.agents = this._config.agents;
    const following = Boolean(this.client && this.threadId);
    if (changed.has('client') || changed.has('threadId')) {
      this.feed.follow(this.client, following ? this.threadId : undefined);
      this.sendQueue.follow(this.client, this.threadId);
      if (changed.has('threadId')) {
        this.flushDraft();
        this._stuck = true;
        this._unseen = false;
        this._cardOpen = new Map();
        this._fullDiffs = new Set();
        this._uploads = [];
        this.loadDraft();
      }
    }
    if (!following && (changed.has('events') || changed.has('client') || changed.has('threadId'))) {
      this.resetTranscript();
      this.applyEvents(this.events, false);
    }
    if (this.grew && !this._stuck) this._unseen = true;
    this.planWindow();
  }

  override updated(): void {
    const scroller = this._scroller;
    if (!scroller) return;
    // Rows rendered taller or shorter than their estimate move the spacers: the update that
    // follows (before this frame is painted) puts them right.
    if (this.measureRows(false)) queueMicrotask(() => this.requestUpdate());
    if (this._stuck) scroller.scrollTop = scroller.scrollHeight;
    else if (this.anchor) {
      const index = this.rows.indexOf(this.anchor.key);
      if (index >= 0) {
        const target = this.rows.top(index) + this.anchor.offset;
        if (Math.abs(scroller.scrollTop - target) > 1) scroller.scrollTop = target;
      }
    }
    this.grew = false;
    // Running commands' output boxes keep to their bottom too, unless scrolled.
    for (const pre of scroller.querySelectorAll<HTMLElement>('.terminal[data-running]')) {
      if (pre.dataset['pinned'] !== 'false') pre.scrollTop = pre.scrollHeight;
    }
  }

  /** Picks the rows to render and remembers which one the user is looking at. */
  private planWindow(): void {
    const items = this.transcript.items;
    if (this.rowsFrom?.items !== items || this.rowsFrom.open !== this._cardOpen) {
      this.rowsFrom = { items, open: this._cardOpen };
      this.rowKeys = items.map((i) => i.key);
      this.rows.setRows(
        this.rowKeys,
        items.map((i) => ESTIMATES[i.type] + (this.isOpen(i) ? OPEN_ESTIMATE : 0)),
      );
    }
    const scroller = this._scroller;
    const height = scroller?.clientHeight || 800;
    if (this._stuck || !scroller) {
      this.anchor = undefined;
      this.range = this.rows.rangeAtEnd(height);
      return;
    }
    const top = scroller.scrollTop;
    const index = this.rows.indexAt(top);
    const key = this.rowKeys[index];
    this.anchor = key === undefined ? undefined : { key, offset: top - this.rows.top(index) };
    this.range = this.rows.range(top, height);
  }

  /**
   * Rows that change height after rendering (a card opened, a font loaded, a message streaming)
   * move the rows below them; watching the list catches all of them.
   */
  private observeRows(): void {
    const list = this.renderRoot.querySelector('.items');
    if (list && this.resizes) this.resizes.observe(list);
  }

  /** Records the rendered rows' heights; returns whether any changed (and updates, unless told not to). */
  private measureRows(update = true): boolean {
    const scroller = this._scroller;
    if (!scroller) return false;
    let changed = false;
    for (const row of scroller.querySelectorAll<HTMLElement>(':scope > .items > .row')) {
      const key = row.dataset['key'];
      if (key !== undefined && this.rows.measure(key, row.offsetHeight)) changed = true;
    }
    if (changed && update) this.requestUpdate();
    return changed;
  }

  private resetTranscript(): void {
    this.transcript = new Transcript();
    this.rowKeys = [];
    this.rowsFrom = undefined;
    this.views.clear();
    this.grew = true;
  }

  private applyEvents(events: readonly ThreadEvent[], live: boolean): void {
    if (events.length === 0) return;
    const said = this.transcript.apply(events);
    this.sendQueue.confirm((clientId) => this.transcript.hasClientId(clientId));
    if (this.transcript.state !== 'thinking' && this.transcript.state !== 'running') this._stopping = false;
    if (live && said.length) this._announcement = said[said.length - 1]!.text.slice(0, 500);
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
    if (!this.threadId)
      return runtime ? 'Open a thread or create one to send a message.' : 'Pick or create a runtime to start chatting.';
    return '';
  }

  // Drafts

  private get draftStorageKey(): string {
    return this.threadId ? `draft:${this.client?.bffUrl ?? 'local'}:${this.threadId}` : '';
  }

  private loadDraft(): void {
    this._draft = '';
    const key = this.draftStorageKey;
    this.draftKey = key;
    if (!key) return;
    void readKept<string>(key).then((text) => {
      // Typing (or another thread) since the read started wins over the stored draft.
      if (key !== this.draftKey || this._draft || typeof text !== 'string') return;
      this._draft = text;
    });
  }

  private onInput(event: InputEvent): void {
    this._draft = (event.target as HTMLTextAreaElement).value;
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => this.writeDraft(), 250);
  }

  /** Writes the draft now if it changed since it was last written. */
  private flushDraft(): void {
    if (this.draftTimer !== undefined) this.writeDraft();
  }

  /** Writes the draft of the thread it was typed in (an empty one deletes it). */
  private writeDraft(): void {
    clearTimeout(this.draftTimer);
    this.draftTimer = undefined;
    if (this.draftKey) void keep(this.draftKey, this._draft);
  }

  // Scrolling

  private onScroll(): void {
    const el = this._scroller;
    if (!el) return;
    const stuck = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD;
    if (stuck !== this._stuck) this._stuck = stuck;
    if (stuck && this._unseen) this._unseen = false;
    const next = stuck ? this.rows.rangeAtEnd(el.clientHeight) : this.rows.range(el.scrollTop, el.clientHeight);
    // Re-render only when the window has to move: the overscan covers small scrolls.
    if (
      next.start < this.range.start ||
      next.end > this.range.end ||
      next.start > this.range.start + 8 ||
      next.end < this.range.end - 8
    ) {
      this.requestUpdate();
    }
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

  private onTranscriptClick(event: Event): void {
    const button = (event.target as Element | null)?.closest?.('button.copy');
    if (!(button instanceof HTMLButtonElement)) return;
    const code = button.closest('.code-block')?.querySelector('pre')?.textContent ?? '';
    void this.copy(code).then((ok) => {
      button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
      clearTimeout(this.copiedTimer);
      this.copiedTimer = setTimeout(() => (button.textContent = 'Copy'), 1500);
    });
  }

  private async copy(text: string): Promise<boolean> {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      return false;
    }
  }

  // Sending

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
    const sendEvent = new RcMessageSendEvent({ threadId, text, clientId });
    const handled = !this.dispatchEvent(sendEvent);
    this._draft = '';
    this.writeDraft();
    if (handled || !this.client) return;
    this.sendQueue.add({ clientId, text, agent: this.agent ?? undefined });
    this._stuck = true;
    this.grew = true;
  }

  private editPending(message: PendingMessage): void {
    const text = this.sendQueue.remove(message.clientId);
    if (!this._draft) this._draft = text;
    this.focus();
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

  private onAgentChange(event: Event): void {
    const agent = (event.target as HTMLSelectElement).value;
    this.agent = agent;
    this.dispatchEvent(new RcAgentChangeEvent({ agent }));
  }

  // Files

  private onPaste(event: ClipboardEvent): void {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    for (const file of files) void this.upload(file);
  }

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files') || this.blockedReason) return;
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
    if (files.length === 0 || this.blockedReason) return;
    event.preventDefault();
    for (const file of files) void this.upload(file);
  }

  private async upload(file: File): Promise<void> {
    const id = ++this.nextUpload;
    const name = file.name || 'pasted file';
    const entry: Upload = { id, name, bytes: file.size, state: 'uploading', error: '' };
    const fail = (error: string): void => {
      this._uploads = this._uploads.map((u) => (u.id === id ? { ...u, state: 'failed' as const, error } : u));
    };
    this._uploads = [...this._uploads, entry];
    if (this.blockedReason) return fail(this.blockedReason);
    if (file.size > this.maxUploadBytes) {
      return fail(`${formatBytes(file.size)} is over the ${formatBytes(this.maxUploadBytes)} limit.`);
    }
    const threadId = this.threadId;
    if (!this.dispatchEvent(new RcFileUploadEvent({ threadId, file }))) {
      this._uploads = this._uploads.filter((u) => u.id !== id);
      return;
    }
    if (!this.client) return fail('There is no chat server to upload to.');
    try {
      const uploaded = await this.client.uploadFile(threadId, file);
      this._uploads = this._uploads.filter((u) => u.id !== id);
      if (threadId === this.threadId) this.insertText(uploaded.path);
    } catch (error) {
      fail(
        noUploadRoute(error)
          ? 'this chat server does not take files yet (it has no POST /api/threads/:id/uploads).'
          : describeError(error),
      );
    }
  }

  private dismissUpload(id: number): void {
    this._uploads = this._uploads.filter((u) => u.id !== id);
  }

  // Rendering

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

  private markdownView(key: string): MarkdownView {
    let view = this.views.get(key);
    if (view) {
      this.views.delete(key);
    } else {
      view = new MarkdownView();
      if (this.views.size >= MARKDOWN_CACHE) this.views.delete(this.views.keys().next().value!);
    }
    this.views.set(key, view);
    return view;
  }

  private renderItem(item: TranscriptItem, open: boolean) {
    switch (item.type) {
      case 'user':
        return html`<div class="message user" part="message"><span class="visually-hidden">You: </span>${item.text}</div>`;
      case 'agent': {
        const view = this.markdownView(item.key);
        view.update(item.text, !item.streaming);
        return html`
          <div class="message agent ${item.streaming ? 'streaming' : ''}" part="message" aria-busy=${item.streaming ? 'true' : 'false'}>
            <span class="visually-hidden">Agent: </span>${view.root}
          </div>
        `;
      }
      case 'tool':
        return this.renderTool(item, open);
      case 'file':
        return this.renderFile(item, open);
      case 'error':
        return html`<p class="alert error-item" role="note">${item.message}</p>`;
    }
  }

  private renderOutcome(item: ToolItem) {
    const result = item.result;
    if (!result)
      return html`<span class="result running"><span class="spinner" aria-hidden="true"></span> Running</span>`;
    const ended =
      result.signal != null
        ? `Stopped (${result.signal})`
        : result.exitCode != null
          ? `Exit ${result.exitCode}`
          : result.ok
            ? 'Done'
            : 'Failed';
    return html`
      <span class="result ${result.ok ? 'ok' : 'failed'}">
        <span class="result-icon" aria-hidden="true">${result.ok ? '✓' : '✕'}</span> ${ended}
        <span class="duration">${formatDuration(result.durationMs)}</span>
      </span>
    `;
  }

  private renderOutput(item: ToolItem) {
    let budget = SHOWN_OUTPUT_CHARS;
    const shown: typeof item.output = [];
    for (let i = item.output.length - 1; i >= 0 && budget > 0; i--) {
      const chunk = item.output[i]!;
      const data = chunk.data.length > budget ? chunk.data.slice(chunk.data.length - budget) : chunk.data;
      budget -= data.length;
      shown.unshift(data === chunk.data ? chunk : { ...chunk, data });
    }
    const hidden = item.droppedChars + item.outputChars - (SHOWN_OUTPUT_CHARS - Math.max(0, budget));
    return html`${
      hidden > 0
        ? html`<span class="dropped">… ${hidden.toLocaleString()} earlier characters not shown</span>`
        : nothing
    }${shown.map((chunk) => {
      const segments = ansiSegments(chunk.data).map((s) =>
        s.classes || s.color || s.background
          ? html`<span class=${s.classes} style=${cssProps({ color: s.color, 'background-color': s.background })}>${s.text}</span>`
          : s.text,
      );
      return chunk.stream === 'stderr' ? html`<span class="stderr">${segments}</span>` : segments;
    })}`;
  }

  private renderTool(item: ToolItem, open: boolean) {
    const label = item.tool === 'terminal' ? 'Command' : `Tool ${item.tool}`;
    const result = item.result;
    return html`
      <section class="card-region" aria-label="${label}: ${item.title}" data-call-id=${item.callId}>
      <details class="card tool ${result ? (result.ok ? 'ok' : 'failed') : 'running'}" part="card" ?open=${open} @toggle=${(e: Event) => this.onCardToggle(item, e)}>
        <summary class="card-header">
          <span class="chevron" aria-hidden="true"></span>
          <span class="tool-name">${item.tool}</span>
          <span class="card-title">${item.title}</span>
          ${this.renderOutcome(item)}
        </summary>
        ${result?.error ? html`<p class="result-error">${result.error}</p>` : nothing}
        ${
          open
            ? html`<pre
              class="terminal"
              role="group"
              aria-label="Output"
              tabindex=${item.output.length ? '0' : '-1'}
              ?data-running=${!result}
              @scroll=${this.onTerminalScroll}
            >${this.renderOutput(item)}</pre>`
            : nothing
        }
      </details>
      </section>
    `;
  }

  private renderFile(item: FileItem, open: boolean) {
    const { path, diff, created, bytes } = item.event;
    const lines = parseUnifiedDiff(diff);
    const { added, removed } = diffStats(lines);
    const whole = this._fullDiffs.has(item.key);
    const shown = whole ? lines : lines.slice(0, SHOWN_DIFF_LINES);
    return html`
      <section class="card-region" aria-label="${created ? 'Created' : 'Edited'} ${path}">
      <details class="card file" part="card" ?open=${open} @toggle=${(e: Event) => this.onCardToggle(item, e)}>
        <summary class="card-header">
          <span class="chevron" aria-hidden="true"></span>
          <span class="tool-name">${created ? 'new file' : 'edit'}</span>
          <span class="card-title">${path}</span>
          <span class="file-meta">
            <span class="stat-add">+${added}<span class="visually-hidden"> lines added,</span></span>
            <span class="stat-del">−${removed}<span class="visually-hidden"> removed,</span></span>
            <span class="duration">${formatBytes(bytes)}</span>
          </span>
        </summary>
        ${
          !open
            ? nothing
            : diff
              ? html`<div class="diff" role="group" aria-label="Changes" tabindex="0">
                ${shown.map((line, index) =>
                  line.kind === 'hunk'
                    ? // Between hunks, a separator (with the enclosing function, if git named one).
                      index === 0 && !line.text
                      ? nothing
                      : html`<div class="line hunk">${line.text || '⋯'}</div>`
                    : html`<div class="line ${line.kind}" data-old=${line.oldLine ?? ''} data-new=${line.newLine ?? ''}><span
                          class="visually-hidden"
                          >${line.kind === 'add' ? 'added: ' : line.kind === 'del' ? 'removed: ' : ''}</span
                        >${line.text || ' '}</div>`,
                )}
              </div>
              ${
                shown.length < lines.length
                  ? html`<button class="button quiet show-all" type="button" @click=${() => (this._fullDiffs = new Set(this._fullDiffs).add(item.key))}>
                    Show all ${lines.length.toLocaleString()} lines
                  </button>`
                  : nothing
              }`
              : html`<p class="result-error muted">No changes.</p>`
        }
      </details>
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
      return html`<div class="empty"><p class="empty-title">No thread is open</p><p>Pick a thread or start a new one.</p></div>`;
    }
    if (status === 'loading' && this.transcript.items.length === 0) {
      return html`<div class="empty" role="status"><span class="spinner" aria-hidden="true"></span> Loading the conversation…</div>`;
    }
    if (this.transcript.items.length > 0 || this.sendQueue.messages.length > 0) return nothing;
    const agent = this.agent ?? this.runtime?.agent;
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

  private renderStatus() {
    const { state, stateMessage } = this.transcript;
    const working = state === 'thinking' || state === 'running';
    let text = '';
    if (state === 'thinking') text = 'Thinking…';
    else if (state === 'running') text = 'Running…';
    else if (state === 'error') text = `Stopped with an error${stateMessage ? `: ${stateMessage}` : ''}`;
    else if (this.threadId) text = 'Idle';
    return html`
      <div class="status-line" part="status">
        <span class="state ${state}" role="status">
          ${working ? html`<span class="spinner" aria-hidden="true"></span>` : html`<span class="state-dot" aria-hidden="true"></span>`}
          ${text}
        </span>
        ${
          this.sendQueue.waiting
            ? html`<span class="state offline" role="status">Offline: your message will be sent when the connection returns.</span>`
            : nothing
        }
        ${this._stopError ? html`<span class="state error" role="alert">${this._stopError}</span>` : nothing}
        ${
          working
            ? html`<button
              class="button danger stop"
              part="stop-button"
              type="button"
              aria-disabled=${this._stopping ? 'true' : 'false'}
              @click=${this.stop}
            >
              <span class="stop-icon" aria-hidden="true"></span> ${this._stopping ? 'Stopping…' : 'Stop'}
            </button>`
            : nothing
        }
      </div>
    `;
  }

  private renderAgentPicker() {
    if (this.agents.length < 2) return nothing;
    const current = this.agent ?? this.runtime?.agent ?? this.agents[0]?.id ?? '';
    return html`
      <label class="agent-picker">
        <span class="agent-label">Agent</span>
        <select part="agent-picker" @change=${this.onAgentChange}>
          ${this.agents.map((a) => html`<option value=${a.id} title=${a.description} ?selected=${a.id === current}>${a.label}</option>`)}
        </select>
      </label>
    `;
  }

  private renderComposer() {
    const reason = this.blockedReason;
    const noteId = `${this.uid}-note`;
    return html`
      ${
        this._uploads.length
          ? html`<ul class="uploads" aria-label="Files">
            ${this._uploads.map(
              (u) => html`<li class="upload ${u.state}">
                ${u.state === 'uploading' ? html`<span class="spinner" aria-hidden="true"></span>` : html`<span aria-hidden="true">✕</span>`}
                <span class="upload-name">${u.name}</span>
                ${
                  u.state === 'uploading'
                    ? html`<span class="muted">Uploading ${formatBytes(u.bytes)}…</span>`
                    : html`<span role="alert">Not uploaded: ${u.error}</span>
                      <button class="button quiet" type="button" aria-label="Dismiss ${u.name}" @click=${() => this.dismissUpload(u.id)}>Dismiss</button>`
                }
              </li>`,
            )}
          </ul>`
          : nothing
      }
      <form class="composer" part="composer" @submit=${this.onSubmit}>
        <textarea
          part="textarea"
          aria-label="Message"
          aria-describedby=${noteId}
          rows="1"
          placeholder=${reason ? '' : 'Message the agent, or paste a screenshot'}
          .value=${this._draft}
          ?disabled=${Boolean(reason)}
          @input=${this.onInput}
          @keydown=${this.onKeyDown}
          @paste=${this.onPaste}
        ></textarea>
        <button class="button primary send" part="send-button" type="submit" ?disabled=${Boolean(reason)} aria-label="Send">
          <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M1.7 1.2a.6.6 0 0 1 .65-.08l12.5 6.3a.6.6 0 0 1 0 1.07l-12.5 6.3a.6.6 0 0 1-.84-.7L3.1 8.6H8a.6.6 0 0 0 0-1.2H3.1L1.51 1.9a.6.6 0 0 1 .19-.7Z"/></svg>
          <span class="send-label">Send</span>
        </button>
      </form>
      <div class="composer-note ${reason ? 'reason' : ''}">
        ${reason ? nothing : this.renderAgentPicker()}
        <p id=${noteId}>${reason || html`<kbd>Enter</kbd> sends · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line`}</p>
      </div>
    `;
  }

  private renderPending(m: PendingMessage) {
    let status: unknown;
    switch (m.state) {
      case 'failed':
        status = html`
          <span role="alert">Not sent: ${m.error}</span>
          <button class="button" type="button" @click=${() => this.sendQueue.retry(m.clientId)}>Retry</button>
          <button class="button quiet" type="button" @click=${() => this.editPending(m)}>Edit</button>
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
    return html`
      <div class="message user pending ${m.state}" part="message" data-client-id=${m.clientId}>
        <span class="visually-hidden">You: </span>${m.text}
        <div class="pending-status">${status}</div>
      </div>
    `;
  }

  /** Inserts text into the message box at the cursor, with a space either side if needed. */
  insertText(text: string): void {
    const box = this._textarea;
    const draft = this._draft;
    const at = box && box.selectionStart !== null ? box.selectionStart : draft.length;
    const end = box && box.selectionEnd !== null ? box.selectionEnd : at;
    const before = draft.slice(0, at);
    const after = draft.slice(end);
    const lead = before && !/\s$/.test(before) ? ' ' : '';
    const trail = after && !/^\s/.test(after) ? ' ' : '';
    this._draft = `${before}${lead}${text}${trail}${after}`;
    this.writeDraft();
    const caret = before.length + lead.length + text.length + trail.length;
    void this.updateComplete.then(() => this._textarea?.setSelectionRange(caret, caret));
  }

  /** Moves focus to the message box. */
  override focus(options?: FocusOptions): void {
    this._textarea?.focus(options);
  }

  override render() {
    const items = this.transcript.items;
    const { start, end } = this.range;
    const visible = items.slice(start, end);
    const above = this.rows.top(start);
    const below = Math.max(0, this.rows.totalHeight - this.rows.top(end));
    const showJump = !this._stuck && items.length > 0;
    return html`
      <div
        class="base"
        part="base"
        @dragover=${this.onDragOver}
        @dragleave=${this.onDragLeave}
        @drop=${this.onDrop}
      >
        <div class="transcript-area">
          <div
            class="transcript"
            part="transcript"
            role="log"
            aria-label="Conversation"
            aria-live="off"
            tabindex="0"
            @scroll=${this.onScroll}
            @click=${this.onTranscriptClick}
          >
            <div class="items">
              <div class="spacer" aria-hidden="true" style=${cssProps({ height: `${above}px` })}></div>
              ${repeat(
                visible,
                (item) => item.key,
                (item) => {
                  const open = this.isOpen(item);
                  return html`<div class="row" data-key=${item.key}>${guard(
                    [item, open, this._fullDiffs.has(item.key)],
                    () => this.renderItem(item, open),
                  )}</div>`;
                },
              )}
              <div class="spacer" aria-hidden="true" style=${cssProps({ height: `${below}px` })}></div>
              ${this.sendQueue.messages.map((m) => this.renderPending(m))} ${this.renderEmpty()}
            </div>
          </div>
          ${
            showJump
              ? html`<button class="button jump ${this._unseen ? 'unseen' : ''}" part="jump-button" type="button" @click=${this.jumpToLatest}>
                <span aria-hidden="true">↓</span> ${this._unseen ? 'New messages' : 'Jump to latest'}
              </button>`
              : nothing
          }
        </div>
        <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">${this._announcement}</div>
        <div class="footer">${this.renderStatus()} ${this.renderComposer()}</div>
        ${this._dragging ? html`<div class="drop-zone" aria-hidden="true"><span>Drop a file to upload it into the workspace</span></div>` : nothing}
      </div>
    `;
  }
}
