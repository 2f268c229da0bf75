import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { MarkdownView } from '../../util/markdown.js';
import { modelLabel, tokenDetail, tokenSummary } from '../../util/model-usage.js';
import type { AgentInfo } from '../composer/composer.js';
import type { AgentItem } from './transcript.js';

/** Rendered agent messages kept for reuse while they scroll out of and back into view. */
const MARKDOWN_CACHE = 400;

/**
 * The rendered markdown of agent messages by row key, so that a message scrolled back into view
 * (or still streaming) keeps its DOM; the least recently shown go first past 400.
 */
export class MarkdownViews {
  private readonly views = new Map<string, MarkdownView>();

  /** The view of this message, made if need be, and marked as the most recently shown. */
  get(key: string): MarkdownView {
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

  clear(): void {
    this.views.clear();
  }
}

/**
 * An agent message: sanitised markdown that grows in place while it streams (`aria-busy` until it
 * ends), then, for a model's answer, which model answered (its label from `agents`) and the
 * tokens it took.
 */
export function agentMessage(item: AgentItem, views: MarkdownViews, agents: readonly AgentInfo[]) {
  const view = views.get(item.key);
  view.update(item.text, !item.streaming);
  const { model, usage } = item;
  return html`
    <div class="message agent ${item.streaming ? 'streaming' : ''}" part="message" aria-busy=${item.streaming ? 'true' : 'false'}>
      <span class="visually-hidden">Agent: </span>${view.root}
      ${
        model || usage
          ? html`<p class="answer-meta" part="answer-meta">
            ${model ? html`<span class="model" title=${model}><span class="visually-hidden">Model: </span>${modelLabel(agents, model)}</span>` : nothing}
            ${model && usage ? html`<span aria-hidden="true">·</span>` : nothing}
            ${usage ? html`<span class="tokens" title=${tokenDetail(usage)}><span class="visually-hidden">Tokens: </span>${tokenSummary(usage)}</span>` : nothing}
          </p>`
          : nothing
      }
    </div>
  `;
}

/**
 * The Copy buttons of code blocks in agent messages: one click listener (`onClick`) on whatever
 * holds the messages serves every block. The button says Copied (or how to copy by hand) for a
 * moment.
 */
export class CodeCopyController implements ReactiveController {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
  }

  readonly onClick = (event: Event): void => {
    const button = (event.target as Element | null)?.closest?.('button.copy');
    if (!(button instanceof HTMLButtonElement)) return;
    const code = button.closest('.code-block')?.querySelector('pre')?.textContent ?? '';
    void copy(code).then((ok) => {
      button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
      clearTimeout(this.timer);
      this.timer = setTimeout(() => (button.textContent = 'Copy'), 1500);
    });
  };
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
