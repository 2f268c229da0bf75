import { consume } from '@lit/context';
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { cssProps } from '../../util/css-props.js';
import { streamTopic, type LogEntry, type Runtime } from '@remote-chat/protocol';
import type { RemoteChatClient } from '../../client/remote-chat-client.js';
import { describeError } from '../../client/errors.js';
import { clientContext } from '../../context/client-context.js';
import { runtimeContext, type RuntimeContextValue } from '../../context/runtime-context.js';
import { SeqFeedController } from '../../controllers/seq-feed-controller.js';
import { sharedStyles, statusDotStyles, themeStyles } from '../../styles/theme.js';
import { configContext, type ConfigContextValue } from '../../context/config-context.js';
import {
  formatDateTime,
  formatDuration,
  formatRelativeTime,
  runtimeStatusLabel,
  statusDotClass,
} from '../../util/format.js';
import { idleStopText } from '../../util/idle-window.js';
import { STEP_LABELS, foldLog, linkNoteText, type LogView, type NoteEntry, type StepView } from './log-model.js';
import { sandboxLogStyles } from './sandbox-log.styles.js';

const STATE_WORDS: Record<StepView['state'], string> = {
  started: 'in progress',
  ok: 'done',
  failed: 'failed',
  skipped: 'skipped',
  pending: 'waiting',
  'not-run': 'not run',
};

/** Connection and status changes worth a line. */
const NOTE_LIMIT = 30;

/** How often the idle countdown is redrawn when no step runs. */
const IDLE_REDRAW_MS = 30_000;

/**
 * @summary A runtime's start-up, step by step: create, clone, install, settings, start, ready,
 * each with a spinner, a tick, a cross or a skipped mark, its duration (none for a skipped one)
 * and its output; then errors with what to do about them, and connection changes in plain words.
 * Live.
 *
 * A runtime that is ready when it is first shown has its log folded to one summary line
 * ("Started in 3.2 s · Pauses after 1 h idle · in 12 min"), and Show opens it (one the person
 * watches start stays open until they press Hide); open, it scrolls within a capped height, so it
 * never crowds out what sits below it. A machine runtime shows what is true of it instead of the
 * sandbox steps: its host, folder, git remote, since when it is connected and when it was last
 * seen. A stopped sandbox offers Start again, in the same workspace.
 *
 * With a `client` and a `runtime-id` it reads the log and follows it; or set `entries`.
 *
 * @csspart base - The wrapper.
 * @csspart toggle - The Show / Hide button of the log.
 * @csspart body - The log itself (scrolls within a capped height).
 * @csspart machine - A machine runtime's facts.
 * @csspart start-again - The Start again button of a stopped sandbox.
 * @csspart progress - The start-up progress bar and its summary.
 * @csspart steps - The list of steps.
 * @csspart step - One step.
 * @csspart error - One error.
 *
 * @cssprop --rc-color-ok - The tick of a finished step.
 * @cssprop --rc-color-danger - The cross of a failed step and the border of errors.
 * @cssprop --rc-color-terminal-bg - Background of step output.
 * @cssprop --rc-color-scheme - `light`, `dark` or `light dark` (the default).
 */
/** How far the start-up got, in words and counts. */
function progressOf(view: LogView) {
  const total = view.steps.length;
  const done = view.steps.filter((s) => s.state === 'ok' || s.state === 'skipped').length;
  const failed = view.steps.find((s) => s.state === 'failed');
  const running = view.running;
  let text: string;
  if (failed) text = `${STEP_LABELS[failed.step]} failed`;
  else if (done === total) {
    const ms = view.steps.reduce((sum, s) => sum + (s.state === 'skipped' ? 0 : (s.durationMs ?? 0)), 0);
    text = `Started in ${formatDuration(ms)}`;
  } else if (running) text = `${STEP_LABELS[running.step]}… (step ${done + 1} of ${total})`;
  else if (done === 0) text = 'Waiting to start';
  else text = `${done} of ${total} steps done`;
  const state = failed ? 'failed' : done === total ? 'done' : 'running';
  return { text, done, total, state };
}

/** A time as "5 minutes ago", with the full time in its title. */
function timeAgo(iso: string, now: number) {
  return html`<time datetime=${iso} title=${formatDateTime(iso)}>${formatRelativeTime(iso, now)}</time>`;
}

export class RcSandboxLog extends LitElement {
  static override styles = [themeStyles, sharedStyles, statusDotStyles, sandboxLogStyles];

  private clock: ReturnType<typeof setInterval> | undefined;
  private clockEvery = 0;
  /** The entries folded into steps, errors and notes. */
  private view: LogView = foldLog([]);

  private readonly feed = new SeqFeedController<LogEntry>(this, {
    topic: streamTopic.runtimeLog,
    loadPage: async (client, id, after, signal) => {
      const page = await client.getRuntimeLog(id, { after, signal });
      return { items: page.entries, lastSeq: page.lastSeq };
    },
    entriesOf: (frame) => (frame.type === 'log' ? [frame.entry] : []),
    onEntries: (entries) => (this.entries = [...this.entries, ...entries]),
    onReset: () => (this.entries = []),
  });

  @state() private _now = Date.now();
  /**
   * Open or folded, by the person; undefined until decided: folded for a runtime that is ready when
   * it is first shown, open for one the person watches start (until they fold it).
   */
  @state() private _open: boolean | undefined;
  @state() private _startBusy = false;
  @state() private _startError = '';

  @consume({ context: configContext, subscribe: true })
  @state()
  private _config: ConfigContextValue;

  @consume({ context: runtimeContext, subscribe: true })
  @state()
  private _runtime: RuntimeContextValue;

  /** The client to read the log through. Provided by `<remote-chat>`. */
  @consume({ context: clientContext, subscribe: true })
  @property({ attribute: false })
  client: RemoteChatClient | undefined;

  /** The runtime whose log shows. */
  @property({ attribute: 'runtime-id' }) runtimeId = '';

  /** The runtime, for its status next to the heading. Provided by `<remote-chat>`. */
  @property({ attribute: false }) runtime: Runtime | undefined;

  /** The log entries, in seq order. Kept up to date by the element itself when it has a `client`. */
  @property({ attribute: false }) entries: LogEntry[] = [];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopClock();
  }

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('_runtime')) {
      this.runtime = this._runtime;
      this.runtimeId = this._runtime?.id ?? '';
    }
    if (changed.has('client') || changed.has('runtimeId')) {
      this.feed.follow(this.client, this.runtimeId || undefined);
    }
    if (changed.has('runtimeId')) {
      this._open = undefined;
      this._startError = '';
    }
    if (this._open === undefined && this.runtime?.id === this.runtimeId && this.runtimeId)
      this._open = this.runtime.status !== 'ready';
    if (changed.has('entries')) this.view = foldLog(this.entries);
  }

  override updated(): void {
    // A clock each second while a step runs (how long it has been going), each half minute while
    // the idle countdown shows, else none.
    const every = this.view.running ? 1000 : this.idleText() ? IDLE_REDRAW_MS : 0;
    if (every !== this.clockEvery) {
      this.stopClock();
      if (every) this.clock = setInterval(() => (this._now = Date.now()), every);
      this.clockEvery = every;
    }
  }

  private stopClock(): void {
    clearInterval(this.clock);
    this.clock = undefined;
    this.clockEvery = 0;
  }

  private idleText(): string | null {
    return this.runtime ? idleStopText(this.runtime, this._config, this._now) : null;
  }

  /** Whether the log shows open: as decided (see `_open`); open until then. */
  private get open(): boolean {
    return this._open !== false;
  }

  private async startAgain(): Promise<void> {
    const runtime = this.runtime;
    if (!runtime || !this.client || this._startBusy) return;
    this._startBusy = true;
    this._startError = '';
    try {
      // The runtimes topic brings it back as starting, then ready; the log follows the steps.
      this.runtime = await this.client.startRuntime(runtime.id);
      // Open, to watch it start.
      this._open = true;
    } catch (error) {
      this._startError = describeError(error);
    } finally {
      this._startBusy = false;
    }
  }

  private renderStep(view: StepView) {
    const label = STEP_LABELS[view.step];
    let duration = '';
    // A skipped step took no time worth telling.
    if (view.state === 'skipped') duration = '';
    else if (view.durationMs !== undefined) duration = formatDuration(view.durationMs);
    else if (view.state === 'started' && view.startedAt) {
      duration = formatDuration(Math.max(0, this._now - Date.parse(view.startedAt)));
    }
    const row = html`
      <span class="mark ${view.state}" aria-hidden="true">
        ${
          view.state === 'started'
            ? html`<span class="spinner"></span>`
            : view.state === 'ok'
              ? '✓'
              : view.state === 'failed'
                ? '✕'
                : view.state === 'skipped'
                  ? '–'
                  : ''
        }
      </span>
      <span class="name">${label}<span class="visually-hidden">: ${STATE_WORDS[view.state]}</span></span>
      <span class="duration">${duration}</span>
    `;
    return html`
      <li class="step" part="step" data-step=${view.step} data-state=${view.state}>
        ${
          view.detail
            ? html`<details class="step" data-state=${view.state} ?open=${view.state === 'failed'}>
              <summary>${row}</summary>
              <pre>${view.detail}</pre>
            </details>`
            : html`<div class="row">${row}</div>`
        }
      </li>
    `;
  }

  /** The start-up at a glance: how far it got, what it is doing, or how long it took. */
  private renderProgress(view: LogView) {
    const { text, done, total, state } = progressOf(view);
    return html`
      <div class="progress ${state}" part="progress">
        <div
          class="bar"
          role="progressbar"
          aria-label="Start-up"
          aria-valuemin="0"
          aria-valuemax=${total}
          aria-valuenow=${done}
          aria-valuetext=${text}
        >
          <span class="fill" style=${cssProps({ width: `${(100 * done) / total}%` })}></span>
        </div>
        <span class="progress-text">${text}</span>
      </div>
    `;
  }

  private renderNote(note: NoteEntry) {
    const time = new Date(note.at).toLocaleTimeString();
    const detail = note.detail ? `: ${note.detail}` : '';
    let text: string;
    if (note.kind === 'link') text = linkNoteText(note);
    else if (note.kind === 'status') text = `Runtime ${runtimeStatusLabel(note.status).toLowerCase()}${detail}`;
    else {
      const took = note.durationMs === undefined ? '' : ` in ${formatDuration(note.durationMs)}`;
      const verb = note.step === 'pause' ? 'Paused' : 'Resumed';
      text =
        note.state === 'failed'
          ? `${STEP_LABELS[note.step]} failed${took ? ` after ${formatDuration(note.durationMs ?? 0)}` : ''}${detail}`
          : `${verb}${took}${detail}`;
    }
    return html`<li><time datetime=${note.at}>${time}</time><span>${text}</span></li>`;
  }

  /** A machine's facts: what is true of it, where a sandbox shows its start-up steps. */
  private renderMachine(runtime: Runtime, view: LogView) {
    const links = view.notes.filter((n): n is Extract<NoteEntry, { kind: 'link' }> => n.kind === 'link');
    const connected = runtime.link === 'open' ? links.findLast((n) => n.state === 'open') : undefined;
    const lastOffline = links.findLast((n) => n.state === 'offline');
    const none = html`<span class="muted">—</span>`;
    let lastSeen = runtime.lastActivityAt ? timeAgo(runtime.lastActivityAt, this._now) : none;
    if (runtime.link === 'open') lastSeen = html`now`;
    else if (lastOffline) lastSeen = timeAgo(lastOffline.at, this._now);
    return html`
      <dl class="machine" part="machine">
        <div><dt>Host</dt><dd>${runtime.machine?.name ?? none}</dd></div>
        <div><dt>Folder</dt><dd>${runtime.project ?? none}</dd></div>
        ${runtime.gitRemote ? html`<div><dt>Git remote</dt><dd class="remote">${runtime.gitRemote}</dd></div>` : nothing}
        <div>
          <dt>Connected</dt>
          <dd>${connected ? html`since ${timeAgo(connected.at, this._now)}` : html`not now`}</dd>
        </div>
        <div><dt>Last seen</dt><dd>${lastSeen}</dd></div>
      </dl>
    `;
  }

  /** The folded log in one line: how the start went, and when an idle sandbox stops. */
  private renderSummary(view: LogView) {
    const runtime = this.runtime;
    const parts: string[] = [];
    if (runtime?.kind !== 'machine' && this.entries.length) parts.push(progressOf(view).text);
    const idle = this.idleText();
    if (idle) parts.push(idle);
    return parts.length ? html`<p class="summary">${parts.join(' · ')}</p>` : nothing;
  }

  private renderStartAgain() {
    return html`
      <div class="start-again">
        <p>Stopped. Its workspace and threads are kept.</p>
        <button
          class="button primary"
          part="start-again"
          type="button"
          aria-disabled=${this._startBusy ? 'true' : 'false'}
          ?hidden=${!this.client}
          @click=${this.startAgain}
        >
          ${this._startBusy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing} Start again
        </button>
        ${this._startError ? html`<p class="alert" role="alert">Could not start it again: ${this._startError}</p>` : nothing}
      </div>
    `;
  }

  private renderBody(view: LogView) {
    const status = this.feed.status;
    const machine = this.runtime?.kind === 'machine';
    return html`
      ${
        status === 'error'
          ? html`<div class="alert" role="alert">
            Could not read the log: ${describeError(this.feed.error)}
            <button class="button" type="button" @click=${() => this.feed.retry()}>Try again</button>
          </div>`
          : nothing
      }
      ${status === 'loading' && this.entries.length === 0 ? html`<p class="notice muted">Reading the log…</p>` : nothing}
      ${
        machine
          ? nothing
          : html`
            ${this.entries.length ? this.renderProgress(view) : nothing}
            <ol class="steps" part="steps" aria-label="Steps">
              ${view.steps.map((step) => this.renderStep(step))}
            </ol>
          `
      }
      ${view.errors.map(
        (error) => html`
          <div class="alert error" part="error">
            <span class="error-message">${error.message}</span>
            <span class="error-hint">
              ${error.hint ?? 'Open the failed step above for its output, then create a new runtime to try again.'}
            </span>
          </div>
        `,
      )}
      ${
        view.notes.length
          ? html`<ul class="notes" aria-label="Connection">
            ${view.notes.slice(-NOTE_LIMIT).map((note) => this.renderNote(note))}
          </ul>`
          : nothing
      }
    `;
  }

  override render() {
    const view = this.view;
    const runtime = this.runtime;
    const open = this.open;
    const bodyId = 'sandbox-log-body';
    const machine = runtime?.kind === 'machine';
    const empty = !this.runtimeId && this.entries.length === 0;
    return html`
      <section
        class="base"
        part="base"
        role="log"
        aria-label=${machine ? 'Machine' : 'Sandbox log'}
        aria-busy=${this.feed.status === 'loading' ? 'true' : 'false'}
      >
        <div class="header">
          <h2 class="heading">${machine ? 'Machine' : 'Sandbox log'}</h2>
          ${
            runtime
              ? html`<span class="runtime-status">
                <span class="status-dot ${statusDotClass(runtime.status)}" aria-hidden="true"></span>
                ${runtimeStatusLabel(runtime.status)}
              </span>`
              : nothing
          }
          ${
            empty
              ? nothing
              : html`<button
                class="toggle"
                part="toggle"
                type="button"
                aria-expanded=${open ? 'true' : 'false'}
                aria-controls=${bodyId}
                @click=${() => (this._open = !open)}
              >
                ${open ? 'Hide' : 'Show'}<span class="visually-hidden"> ${machine ? 'connection log' : 'sandbox log'}</span>
              </button>`
          }
        </div>
        ${
          empty
            ? html`<p class="notice muted">Create or pick a runtime to see how it starts.</p>`
            : html`
              ${machine && runtime ? this.renderMachine(runtime, view) : nothing}
              ${runtime?.status === 'stopped' && runtime.kind === 'sandbox' ? this.renderStartAgain() : nothing}
              ${open ? nothing : this.renderSummary(view)}
              <div class="body" part="body" id=${bodyId} tabindex="0" aria-label="Log entries" ?hidden=${!open}>
                ${this.renderBody(view)}
              </div>
            `
        }
      </section>
    `;
  }
}
