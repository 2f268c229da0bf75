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
import { formatDuration, runtimeStatusLabel, statusDotClass } from '../../util/format.js';
import { STEP_LABELS, foldLog, type LogView, type NoteEntry, type StepView } from './log-model.js';
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

/**
 * @summary A runtime's start-up, step by step: create, clone, install, settings, start, ready,
 * each with a spinner, a tick, a cross or a skipped mark, its duration and its output; then
 * errors with what to do about them, and connection changes. Live.
 *
 * With a `client` and a `runtime-id` it reads the log and follows it; or set `entries`.
 *
 * @csspart base - The wrapper.
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
export class RcSandboxLog extends LitElement {
  static override styles = [themeStyles, sharedStyles, statusDotStyles, sandboxLogStyles];

  private clock: ReturnType<typeof setInterval> | undefined;
  /** The entries folded into steps, errors and notes. */
  private view: LogView = foldLog([]);

  private readonly feed = new SeqFeedController<LogEntry>(this, {
    topic: streamTopic.runtimeLog,
    loadPage: async (client, id, after, signal) => {
      const page = await client.getRuntimeLog(id, { after, signal });
      return { items: page.entries, lastSeq: page.lastSeq };
    },
    entryOf: (frame) => (frame.type === 'log' ? frame.entry : undefined),
    onEntries: (entries) => (this.entries = [...this.entries, ...entries]),
    onReset: () => (this.entries = []),
  });

  @state() private _now = Date.now();

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
    if (changed.has('entries')) this.view = foldLog(this.entries);
  }

  override updated(): void {
    // A clock only while a step runs, to show how long it has been going.
    const running = this.view.running;
    if (running && !this.clock) this.clock = setInterval(() => (this._now = Date.now()), 1000);
    else if (!running) this.stopClock();
  }

  private stopClock(): void {
    clearInterval(this.clock);
    this.clock = undefined;
  }

  private renderStep(view: StepView) {
    const label = STEP_LABELS[view.step];
    let duration = '';
    if (view.durationMs !== undefined) duration = formatDuration(view.durationMs);
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
    const total = view.steps.length;
    const done = view.steps.filter((s) => s.state === 'ok' || s.state === 'skipped').length;
    const failed = view.steps.find((s) => s.state === 'failed');
    const running = view.running;
    let text: string;
    if (failed) text = `${STEP_LABELS[failed.step]} failed`;
    else if (done === total) {
      const ms = view.steps.reduce((sum, s) => sum + (s.durationMs ?? 0), 0);
      text = `Started in ${formatDuration(ms)}`;
    } else if (running) text = `${STEP_LABELS[running.step]}… (step ${done + 1} of ${total})`;
    else if (done === 0) text = 'Waiting to start';
    else text = `${done} of ${total} steps done`;
    const state = failed ? 'failed' : done === total ? 'done' : 'running';
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
    if (note.kind === 'link') text = `Connection ${note.state}${detail}`;
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

  override render() {
    const view = this.view;
    const status = this.feed.status;
    const runtime = this.runtime;
    return html`
      <section class="base" part="base" role="log" aria-label="Sandbox log" aria-busy=${status === 'loading' ? 'true' : 'false'}>
        <div class="header">
          <h2 class="heading">Sandbox log</h2>
          ${
            runtime
              ? html`<span class="runtime-status">
                <span class="status-dot ${statusDotClass(runtime.status)}" aria-hidden="true"></span>
                ${runtimeStatusLabel(runtime.status)}
              </span>`
              : nothing
          }
        </div>
        ${
          !this.runtimeId && this.entries.length === 0
            ? html`<p class="notice muted">Create or pick a runtime to see how it starts.</p>`
            : html`
              ${
                status === 'error'
                  ? html`<div class="alert" role="alert">
                    Could not read the log: ${describeError(this.feed.error)}
                    <button class="button" type="button" @click=${() => this.feed.retry()}>Try again</button>
                  </div>`
                  : nothing
              }
              ${
                status === 'loading' && this.entries.length === 0
                  ? html`<p class="notice muted">Reading the log…</p>`
                  : nothing
              }
              ${this.entries.length ? this.renderProgress(view) : nothing}
              <ol class="steps" part="steps" aria-label="Steps">
                ${view.steps.map((step) => this.renderStep(step))}
              </ol>
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
            `
        }
      </section>
    `;
  }
}
