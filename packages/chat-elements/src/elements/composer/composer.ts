import { consume } from '@lit/context';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { LIMITS, type ConfigResponse, type Runtime } from '@remote-chat/protocol';
import { newClientId } from '../../client/client-id.js';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { SendQueueController, type PendingMessage } from '../../controllers/send-queue-controller.js';
import { threadContext, type ThreadContextValue } from '../../context/thread-context.js';
import { RcAgentChangeEvent } from '../../events/agent-change-event.js';
import { RcFileUploadEvent } from '../../events/file-upload-event.js';
import { RcMessageSendEvent } from '../../events/message-send-event.js';
import { RcPendingChangeEvent } from '../../events/pending-change-event.js';
import { sharedStyles, themeStyles } from '../../styles/theme.js';
import { draftKey, keep, readKept } from '../../util/storage.js';
import { agentChoices } from './agent-choices.js';
import type { Attachment } from './attachments.js';
import { composerStyles } from './composer.styles.js';
import { whySendingIsBlocked } from '../../util/send-blocked.js';

/** An agent the picker offers, as `GET /api/config` lists them. */
export type AgentInfo = ConfigResponse['agents'][number];

let nextId = 0;

/**
 * @summary Where the user writes to the agent: the message box, the files on their way, the
 * agent picker, and the messages being sent.
 *
 * Enter sends, Shift+Enter starts a new line; the draft is kept per thread across reloads. With a
 * `client`, a sent message goes out through a send queue: while offline it waits (kept across reloads
 * too) and goes out once the connection returns, with the client id it was given when typed, so
 * the BFF stores it once. The messages on their way are `pending`; the composer does not show
 * them: whatever shows the conversation does, at its end (`<rc-chat>` does, on
 * `rc-pending-change`). A pasted or dropped file is attached: a chip (an image's thumbnail, else its
 * name and size) with a Remove button; Send uploads the attachments into the workspace (saying
 * which, with a clear error if one fails: the message then waits) and sends the message with their
 * paths after its text. With two or more agents on the runtime, a picker says who answers the next
 * message (the agents the runtime reported it can run, by label).
 *
 * @fires rc-message-send - {@link RcMessageSendEvent} `{ threadId, text, clientId }` (cancelable)
 *   when the user sends a message; cancel it to send the message yourself.
 * @fires rc-agent-change - {@link RcAgentChangeEvent} `{ agent }` when the user picks the agent
 *   that answers the next message.
 * @fires rc-file-upload - {@link RcFileUploadEvent} `{ threadId, file }` (cancelable) when the
 *   user pastes or drops a file; cancel it to upload the file yourself (it is not attached).
 * @fires rc-pending-change - {@link RcPendingChangeEvent} `{ pending, sent }` when the messages on
 *   their way change (not composed).
 *
 * @csspart base - The wrapper.
 * @csspart composer - The form with the message box and the Send button.
 * @csspart textarea - The message box.
 * @csspart send-button - The Send button.
 * @csspart attachment - An attached file's chip.
 * @csspart agent-picker - The agent drop-down.
 * @csspart thread-token - The picker's help for running your own agent (`<rc-thread-token>`).
 *
 * Under a runtime that is stopped, failed or offline it offers "Continue on another runtime…"
 * (`<rc-thread-move>`, which fires `rc-thread-move` once the thread moved).
 *
 * @cssprop --rc-font-mono - Font of the names of files being uploaded.
 * @cssprop --rc-color-focus - Outline of the message box while it has focus.
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default).
 */
export class RcComposer extends LitElement {
  static override styles = [themeStyles, sharedStyles, composerStyles];

  private readonly uid = `rc-composer-${nextId++}`;
  private draftTimer: ReturnType<typeof setTimeout> | undefined;
  /** The draft key whose stored draft was read; typing before it arrives wins. */
  private draftKey = '';
  private nextAttachment = 0;
  private readonly sendQueue = new SendQueueController(this);
  /** The send queue's messages as last announced with `rc-pending-change`. */
  private announcedPending: readonly PendingMessage[] = [];
  /** The user sent a message since the last `rc-pending-change`. */
  private sentSinceAnnounced = false;

  @query('textarea') private _textarea!: HTMLTextAreaElement | null;

  @state() private _draft = '';
  @state() private _attachments: Attachment[] = [];
  /** The chips and uploads of attachments: loaded with the first one, beside the one-file bundle. */
  @state() private _attachmentsView: typeof import('./attachments.js') | undefined;
  private attachmentsLoad: Promise<typeof import('./attachments.js')> | undefined;
  /** Send is uploading the attachments: "Uploading 1 of 2 files…". @internal */
  @state() _uploading = '';
  /** Why the last Send did not go out (a file could not be uploaded). */
  @state() private _sendError = '';

  /** The client to send and upload through. */
  @property({ attribute: false }) client: RemoteChatClient | undefined;

  /** The thread the messages go to. */
  @property({ attribute: 'thread-id' }) threadId = '';

  /** The runtime the thread is on: the composer is disabled, with a reason, unless it is ready. */
  @property({ attribute: false }) runtime: Runtime | undefined;

  /** The agent that answers the next message; the runtime's default when null. */
  @property() agent: string | null = null;

  /**
   * The agents of the BFF's config. The picker offers those the `runtime` reported it can run
   * (all of these where it has not reported), each ACP agent by its label, and says which use the
   * person's own login; it is hidden when fewer than two.
   */
  @property({ attribute: false }) agents: AgentInfo[] = [];

  /** The open thread, from `<remote-chat>`: its self-run agents join the picker. */
  @consume({ context: threadContext, subscribe: true })
  @state()
  private _thread: ThreadContextValue;

  /** Disables the composer with this reason, whatever the runtime's state. */
  @property({ attribute: 'disabled-reason' }) disabledReason = '';

  /** The largest file a paste or a drop uploads; the BFF takes up to 10 MiB. */
  @property({ type: Number, attribute: 'max-upload-bytes' }) maxUploadBytes: number = LIMITS.maxUploadBytes;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.flushDraft();
    this.clearAttachments();
  }

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('client') || changed.has('threadId')) {
      this.sendQueue.follow(this.client, this.threadId);
      if (changed.has('threadId')) {
        this.flushDraft();
        this.clearAttachments();
        this.loadDraft();
      }
    }
  }

  override updated(): void {
    const pending = this.sendQueue.messages;
    const before = this.announcedPending;
    this.announcedPending = pending;
    // Following another thread starts from an empty list: no news while it stays empty.
    if (pending === before || (pending.length === 0 && before.length === 0)) return;
    const sent = this.sentSinceAnnounced;
    this.sentSinceAnnounced = false;
    this.dispatchEvent(new RcPendingChangeEvent({ pending, sent }));
  }

  /** Why the composer is disabled, or an empty string. */
  get blockedReason(): string {
    return whySendingIsBlocked(this);
  }

  /** The messages on their way, oldest first, until the thread shows them. */
  get pending(): readonly PendingMessage[] {
    return this.sendQueue.messages;
  }

  /** Whether a message is waiting for the connection to come back. */
  get waiting(): boolean {
    return this.sendQueue.waiting;
  }

  // Drafts

  private get draftStorageKey(): string {
    return this.threadId ? draftKey(this.client?.bffUrl, this.threadId) : '';
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
    void this.send();
  }

  /**
   * Uploads the attachments not uploaded yet (one at a time, saying which), then sends the message
   * with their paths after its text. A file that cannot be uploaded stops the send: the text and
   * the chips stay, with the reason, and Send tries again.
   */
  private async send(): Promise<void> {
    if (this._uploading || this.blockedReason) return;
    const attached = this._attachments.filter((a) => a.state !== 'refused');
    if (!(this._textarea?.value ?? this._draft).trim() && attached.length === 0) return;
    const threadId = this.threadId;
    this._sendError = '';
    if (attached.some((a) => !a.path)) {
      const view = await this.attachmentsView();
      this._sendError = await view.uploadAll(this, threadId, attached);
      this._uploading = '';
      if (threadId !== this.threadId || this._sendError) return;
    }
    const paths = this._attachments.flatMap((a) => (a.state === 'uploaded' && a.path ? [a.path] : []));
    const typed = (this._textarea?.value ?? this._draft).trimEnd();
    const text = [typed, ...paths].filter(Boolean).join(' ');
    if (!text.trim()) return;
    const clientId = newClientId();
    const sendEvent = new RcMessageSendEvent({ threadId, text, clientId });
    const handled = !this.dispatchEvent(sendEvent);
    this._draft = '';
    this.writeDraft();
    this.clearAttachments();
    if (handled || !this.client) return;
    this.sentSinceAnnounced = true;
    this.sendQueue.add({ clientId, text, agent: this.agent ?? undefined });
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
    for (const file of files) this.attach(file);
  }

  /** @internal For the attachments module. */
  setAttachment(id: number, change: Partial<Attachment>): void {
    this._attachments = this._attachments.map((a) => (a.id === id ? { ...a, ...change } : a));
  }

  /** Takes files off the message (all but those `keep` says), letting go of their thumbnails' URLs. */
  private clearAttachments(keep: (a: Attachment) => boolean = () => false): void {
    for (const a of this._attachments) if (a.preview && !keep(a)) URL.revokeObjectURL(a.preview);
    this._attachments = this._attachments.filter(keep);
    this._sendError = '';
  }

  /** Loads the attachments module once (files attached meanwhile wait for it in their order) and adopts its styles. */
  private attachmentsView(): Promise<typeof import('./attachments.js')> {
    this.attachmentsLoad ??= import('./attachments.js').then((view) => {
      const root = this.shadowRoot;
      if (root && view.attachmentStyles.styleSheet)
        root.adoptedStyleSheets = [...root.adoptedStyleSheets, view.attachmentStyles.styleSheet];
      return (this._attachmentsView = view);
    });
    return this.attachmentsLoad;
  }

  /**
   * Attaches a file to the message, as a paste or a drop does: a chip (a thumbnail for an image)
   * that can be removed, uploaded into the workspace on Send. Fires `rc-file-upload` first: cancel
   * it to upload the file yourself. A file over the size limit is refused, with the reason.
   */
  attach(file: File): void {
    const threadId = this.threadId;
    if (!this.dispatchEvent(new RcFileUploadEvent({ threadId, file }))) return;
    const id = ++this.nextAttachment;
    void this.attachmentsView().then((view) => {
      if (threadId === this.threadId)
        this._attachments = [...this._attachments, view.newAttachment(id, file, this.maxUploadBytes)];
    });
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

  /** Sends a message that failed again, with the same client id. */
  retryPending(clientId: string): void {
    this.sendQueue.retry(clientId);
  }

  /** Takes a message that is not sent yet back into the message box (unless something is typed there). */
  editPending(clientId: string): void {
    const text = this.sendQueue.remove(clientId);
    if (!this._draft) this._draft = text;
    this.focus();
  }

  /** Forgets the pending messages the thread now shows. */
  confirmPending(shown: (clientId: string) => boolean): void {
    this.sendQueue.confirm(shown);
  }

  /** Moves focus to the message box. */
  override focus(options?: FocusOptions): void {
    this._textarea?.focus(options);
  }

  private renderAttachments() {
    if (!this._attachments.length && !this._sendError) return nothing;
    return (
      this._attachmentsView?.attachmentsList(this._attachments, this._sendError, (id) => {
        this.clearAttachments((a) => a.id !== id);
        this.focus();
      }) ?? nothing
    );
  }

  private renderAgentPicker() {
    const agents = agentChoices(this.agents, this.runtime, this._thread?.agents);
    if (agents.length < 2) return nothing;
    const current = this.agent ?? this.runtime?.agent ?? agents[0]?.id ?? '';
    // `llm` is the first model under that model's own label: say which of the two is the default.
    const label = (a: AgentInfo) =>
      a.id === 'llm' && agents.some((b) => b !== a && b.label === a.label) ? `${a.label} (default)` : a.label;
    return html`
      <label class="agent-picker">
        <span class="agent-label">Agent</span>
        <select class="compact-select" part="agent-picker" @change=${this.onAgentChange}>
          ${agents.map((a) => html`<option value=${a.id} title=${a.description} ?selected=${a.id === current}>${label(a)}</option>`)}
        </select>
      </label>
      <rc-thread-token part="thread-token"></rc-thread-token>
    `;
  }

  /** Under a runtime that cannot take work: "Continue on another runtime…" (`<rc-thread-move>`). */
  private renderMove() {
    const status = this.runtime?.status;
    const stuck = status === 'stopped' || status === 'stopping' || status === 'failed' || status === 'offline';
    if (!stuck || !this.threadId || !this.client || this.disabledReason) return nothing;
    return html`<rc-thread-move .client=${this.client} thread-id=${this.threadId} .runtime=${this.runtime}></rc-thread-move>`;
  }

  override render() {
    const reason = this.blockedReason;
    const noteId = `${this.uid}-note`;
    return html`
      <div class="base" part="base">
        ${this.renderAttachments()}
        <p class="visually-hidden" role="status">${this._uploading}</p>
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
          <button
            class="button primary send"
            part="send-button"
            type="submit"
            ?disabled=${Boolean(reason)}
            aria-disabled=${this._uploading ? 'true' : 'false'}
            aria-label=${this._uploading || 'Send'}
          >
            <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M1.7 1.2a.6.6 0 0 1 .65-.08l12.5 6.3a.6.6 0 0 1 0 1.07l-12.5 6.3a.6.6 0 0 1-.84-.7L3.1 8.6H8a.6.6 0 0 0 0-1.2H3.1L1.51 1.9a.6.6 0 0 1 .19-.7Z"/></svg>
            <span class="send-label">Send</span>
          </button>
        </form>
        <div class="composer-note ${reason ? 'reason' : ''}">
          ${reason ? nothing : this.renderAgentPicker()}
          <p id=${noteId}>${reason || html`<kbd>Enter</kbd> sends · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line`}</p>
          ${this.renderMove()}
        </div>
      </div>
    `;
  }
}
