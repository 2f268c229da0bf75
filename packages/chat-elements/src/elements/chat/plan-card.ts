import { html } from 'lit';
import type { PlanItem } from './transcript.js';

const STATUS_TEXT = { pending: 'To do', in_progress: 'In progress', completed: 'Done' } as const;
const STATUS_ICON = { pending: '○', in_progress: '◐', completed: '✓' } as const;

/** The agent's plan as a checklist: each entry with its status, high-priority ones marked. */
export function planCard(item: PlanItem) {
  const done = item.entries.filter((e) => e.status === 'completed').length;
  return html`
    <section class="card plan" part="card plan" aria-label="Plan: ${done} of ${item.entries.length} done">
      <header class="plan-header">
        <span class="tool-name">Plan</span>
        <span class="plan-progress">${done} of ${item.entries.length} done</span>
      </header>
      <ol class="plan-entries">
        ${item.entries.map(
          (entry) => html`<li class="plan-entry ${entry.status.replace('_', '-')}">
            <span class="plan-icon" aria-hidden="true">${STATUS_ICON[entry.status]}</span>
            <span class="plan-content">${entry.content}</span>
            <span class="visually-hidden">(${STATUS_TEXT[entry.status]}${entry.priority === 'high' ? ', high priority' : ''})</span>
            ${entry.priority === 'high' ? html`<span class="plan-priority" aria-hidden="true">high</span>` : ''}
          </li>`,
        )}
      </ol>
    </section>
  `;
}
