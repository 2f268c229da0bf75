import { html, nothing } from 'lit';
import { ansiSegments } from '../../util/ansi.js';
import { cssProps } from '../../util/css-props.js';
import { formatDuration } from '../../util/format.js';
import type { FullOutput } from './full-output.js';
import type { OutputChunk, ToolItem } from './transcript.js';

function outcome(item: ToolItem) {
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

/** Output shown per command at first; "Show more" reads earlier output back from the store. */
export const SHOWN_OUTPUT_CHARS = 48_000;
/** Earlier output "Show more" adds to a card each time. */
export const OUTPUT_PAGE_CHARS = 200_000;

/** What a card needs to show earlier output and save the whole of it. */
export interface OutputActions {
  /** The earlier output read back so far, if the user asked for it. */
  full: FullOutput | undefined;
  onShowMore: () => void;
  onDownload: () => void;
}

/** The end of the output (the last `full.shown` characters), in its ANSI colours. */
function output(item: ToolItem, full: FullOutput | undefined) {
  const chunks = full ? full.combined(item).chunks : item.output;
  let budget = full?.shown ?? SHOWN_OUTPUT_CHARS;
  const shown: OutputChunk[] = [];
  for (let i = chunks.length - 1; i >= 0 && budget > 0; i--) {
    const chunk = chunks[i]!;
    const data = chunk.data.length > budget ? chunk.data.slice(chunk.data.length - budget) : chunk.data;
    budget -= data.length;
    shown.unshift(data === chunk.data ? chunk : { ...chunk, data });
  }
  const shownChars = shown.reduce((sum, chunk) => sum + chunk.data.length, 0);
  return {
    hidden: item.droppedChars + item.outputChars - shownChars,
    content: shown.map((chunk) => {
      const segments = ansiSegments(chunk.data).map((s) =>
        s.classes || s.color || s.background
          ? html`<span class=${s.classes} style=${cssProps({ color: s.color, 'background-color': s.background })}>${s.text}</span>`
          : s.text,
      );
      return chunk.stream === 'stderr' ? html`<span class="stderr">${segments}</span>` : segments;
    }),
  };
}

/** Above a cut output: how much is left out, "Show more" and "Download", or why reading it failed. */
function outputMore(hidden: number, actions: OutputActions) {
  const loading = actions.full?.loading ?? false;
  return html`<div class="output-more" part="output-more">
    <span class="dropped">${hidden.toLocaleString()} earlier ${hidden === 1 ? 'character' : 'characters'} not shown</span>
    <button class="button quiet" type="button" ?disabled=${loading} @click=${actions.onShowMore}>
      ${loading ? 'Loading…' : `Show ${Math.min(hidden, OUTPUT_PAGE_CHARS).toLocaleString()} more`}
    </button>
    <button class="button quiet" type="button" ?disabled=${loading} @click=${actions.onDownload}>Download</button>
    ${actions.full?.error ? html`<span class="output-error" role="alert">${actions.full.error}</span>` : nothing}
  </div>`;
}

/** A scrolled output box stops following its command's output; scrolled back to the end, it follows again. */
function onOutputScroll(event: Event): void {
  const pre = event.currentTarget as HTMLElement;
  pre.dataset['pinned'] = String(pre.scrollHeight - pre.scrollTop - pre.clientHeight < 16);
}

/**
 * Enter on an output box closes its card, and focus goes to the header: the box was the card's Tab
 * stop, the header is once the card is closed.
 */
function closeByKey(event: KeyboardEvent): void {
  if (event.key !== 'Enter' || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const details = (event.currentTarget as HTMLElement).closest('details');
  const summary = details?.querySelector<HTMLElement>(':scope > summary');
  if (!details || !summary) return;
  event.preventDefault();
  summary.removeAttribute('tabindex');
  summary.focus();
  summary.click();
}

/**
 * Makes each card one Tab stop: the output box where it scrolls (so that the arrow keys scroll
 * it; Enter closes the card), else the header. Call it after each render.
 */
export function oneTabStopPerCard(root: ParentNode): void {
  for (const box of root.querySelectorAll<HTMLElement>('.card.tool > .terminal')) {
    const scrolls = box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;
    box.tabIndex = scrolls ? 0 : -1;
    const summary = box.parentElement?.querySelector<HTMLElement>(':scope > summary');
    if (scrolls) summary?.setAttribute('tabindex', '-1');
    else summary?.removeAttribute('tabindex');
  }
  // A closed card's header is its stop again.
  for (const summary of root.querySelectorAll<HTMLElement>('.card.tool:not([open]) > summary[tabindex]')) {
    summary.removeAttribute('tabindex');
  }
}

/**
 * A tool call as a collapsible card: the command, its status, duration and exit code or signal,
 * and its output in ANSI colours (the last 48,000 characters, more on "Show more", all of it on
 * "Download"). `onToggle` hears the user open or close it.
 */
export function toolCard(item: ToolItem, open: boolean, onToggle: (event: Event) => void, actions: OutputActions) {
  const label = item.tool === 'terminal' ? 'Command' : `Tool ${item.tool}`;
  const result = item.result;
  const shown = open ? output(item, actions.full) : undefined;
  return html`
    <section class="card-region" aria-label="${label}: ${item.title}" data-call-id=${item.callId}>
    <details class="card tool ${result ? (result.ok ? 'ok' : 'failed') : 'running'}" part="card" ?open=${open} @toggle=${onToggle}>
      <summary class="card-header">
        <span class="chevron" aria-hidden="true"></span>
        <span class="tool-name">${item.tool}</span>
        <span class="card-title">${item.title}</span>
        ${outcome(item)}
      </summary>
      ${result?.error ? html`<p class="result-error">${result.error}</p>` : nothing}
      ${shown && shown.hidden > 0 ? outputMore(shown.hidden, actions) : nothing}
      ${
        shown
          ? html`<pre
            class="terminal"
            role="group"
            aria-label="Output"
            aria-keyshortcuts="Enter"
            tabindex="-1"
            @keydown=${closeByKey}
            ?data-running=${!result}
            @scroll=${onOutputScroll}
          >${shown.content}</pre>`
          : nothing
      }
    </details>
    </section>
  `;
}

/** Keeps the output boxes of running commands at their end, unless the user scrolled one. Call it after each render. */
export function followRunningOutput(root: ParentNode): void {
  for (const pre of root.querySelectorAll<HTMLElement>('.terminal[data-running]')) {
    if (pre.dataset['pinned'] !== 'false') pre.scrollTop = pre.scrollHeight;
  }
}
