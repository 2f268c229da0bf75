import { html, nothing } from 'lit';
import { diffStats, parseUnifiedDiff } from '../../util/diff.js';
import { formatBytes } from '../../util/format.js';
import type { FileItem } from './transcript.js';

/** Diff lines shown before "Show all". */
const SHOWN_DIFF_LINES = 80;

export interface FileCardOptions {
  /** Open: the diff is shown. */
  open: boolean;
  /** Every line is shown, not only the first 80. */
  whole: boolean;
  /** The user opened or closed the card. */
  onToggle: (event: Event) => void;
  /** The user asked for every line. */
  onShowAll: () => void;
}

/**
 * A file write as a collapsible card: the path, lines added and removed, the size, and the hunks
 * of the diff with line numbers, added and removed lines marked (file headers left out).
 */
export function fileCard(item: FileItem, { open, whole, onToggle, onShowAll }: FileCardOptions) {
  const { path, diff, created, bytes } = item.event;
  const lines = parseUnifiedDiff(diff);
  const { added, removed } = diffStats(lines);
  const shown = whole ? lines : lines.slice(0, SHOWN_DIFF_LINES);
  return html`
    <section class="card-region" aria-label="${created ? 'Created' : 'Edited'} ${path}">
    <details class="card file" part="card" ?open=${open} @toggle=${onToggle}>
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
                ? html`<button class="button quiet show-all" type="button" @click=${onShowAll}>
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
