import { html, nothing } from 'lit';
import { ansiSegments } from '../../util/ansi.js';
import { cssProps } from '../../util/css-props.js';
import { formatDuration } from '../../util/format.js';
import type { ToolItem } from './transcript.js';

/** Output shown per command; the rest stays in the transcript, out of the DOM. */
const SHOWN_OUTPUT_CHARS = 48_000;

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

/** The end of the output, in its ANSI colours, with a note of how much earlier output is left out. */
function output(item: ToolItem) {
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
    hidden > 0 ? html`<span class="dropped">… ${hidden.toLocaleString()} earlier characters not shown</span>` : nothing
  }${shown.map((chunk) => {
    const segments = ansiSegments(chunk.data).map((s) =>
      s.classes || s.color || s.background
        ? html`<span class=${s.classes} style=${cssProps({ color: s.color, 'background-color': s.background })}>${s.text}</span>`
        : s.text,
    );
    return chunk.stream === 'stderr' ? html`<span class="stderr">${segments}</span>` : segments;
  })}`;
}

/** A scrolled output box stops following its command's output; scrolled back to the end, it follows again. */
function onOutputScroll(event: Event): void {
  const pre = event.currentTarget as HTMLElement;
  pre.dataset['pinned'] = String(pre.scrollHeight - pre.scrollTop - pre.clientHeight < 16);
}

/**
 * A tool call as a collapsible card: the command, its status, duration and exit code or signal,
 * and its output in ANSI colours (the last 48,000 characters). `onToggle` hears the user open or
 * close it.
 */
export function toolCard(item: ToolItem, open: boolean, onToggle: (event: Event) => void) {
  const label = item.tool === 'terminal' ? 'Command' : `Tool ${item.tool}`;
  const result = item.result;
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
      ${
        open
          ? html`<pre
            class="terminal"
            role="group"
            aria-label="Output"
            tabindex=${item.output.length ? '0' : '-1'}
            ?data-running=${!result}
            @scroll=${onOutputScroll}
          >${output(item)}</pre>`
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
