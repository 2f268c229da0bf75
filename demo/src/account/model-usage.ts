import { Task } from '@lit/task';
import { LitElement, html, nothing } from 'lit';
import { property } from 'lit/decorators.js';
import type { ConfigResponse, UsageResponse, UsageTotals } from '@remote-chat/protocol';
import {
  ChatClientError,
  RemoteChatClient,
  modelLabel,
  sharedStyles,
  themeStyles,
  tokenDetail,
  tokenSummary,
} from '@remote-chat/elements';
import { accountStyles } from './account.styles.js';
import { modelUsageStyles } from './model-usage.styles.js';

/** The threads listed, most used first. */
const TOP_THREADS = 10;
/** Past this share of the daily budget the meter turns amber, then red. */
const BUDGET_LOW = 0.75;
const BUDGET_HIGH = 0.9;

const count = new Intl.NumberFormat();

type Agents = ConfigResponse['agents'];

/**
 * @summary Account → Model usage: the tokens (input and output) and model calls of the signed-in
 * person, today (UTC) and in all, the daily token budget with a meter of what is left, per
 * model and for the threads that used the most. Says so when the chat server has no model
 * configured or no call was made yet. Reads `GET /api/config` and `GET /api/usage` of this
 * page's origin with the owner's session.
 */
export class PortalModelUsage extends LitElement {
  static override styles = [themeStyles, sharedStyles, accountStyles, modelUsageStyles];

  private readonly usageTask = new Task(this, {
    task: async ([client], { signal }) => {
      const [config, usage] = await Promise.all([client.getConfig({ signal }), client.getUsage({ signal })]);
      return { agents: config.agents, usage };
    },
    args: () => [this.client] as const,
  });

  /** The client for the BFF; one for this page's origin, with its session cookie, by default. */
  @property({ attribute: false }) client = new RemoteChatClient();

  private renderTotals(id: string, title: unknown, totals: UsageTotals) {
    return html`
      <section class="totals" aria-labelledby=${id}>
        <h3 id=${id}>${title}</h3>
        <dl>
          <div><dt>Input tokens</dt><dd>${count.format(totals.inputTokens)}</dd></div>
          <div><dt>Output tokens</dt><dd>${count.format(totals.outputTokens)}</dd></div>
          <div><dt>Model calls</dt><dd>${count.format(totals.requests)}</dd></div>
        </dl>
      </section>
    `;
  }

  private renderBudget({ dailyTokens, today }: UsageResponse) {
    if (dailyTokens === null) return html`<p class="muted">No daily token budget: calls are not limited per day.</p>`;
    const used = today.inputTokens + today.outputTokens;
    const left = Math.max(0, dailyTokens - used);
    return html`
      <div class="budget">
        <div class="budget-text">
          <span id="budget-label" class="budget-title">Daily budget</span>
          <span id="budget-figures">
            ${count.format(used)} of ${count.format(dailyTokens)} tokens used today · <strong>${count.format(left)} left</strong>
          </span>
        </div>
        <meter
          aria-labelledby="budget-label"
          aria-describedby="budget-figures"
          min="0"
          max=${dailyTokens}
          low=${dailyTokens * BUDGET_LOW}
          high=${dailyTokens * BUDGET_HIGH}
          optimum="0"
          .value=${Math.min(used, dailyTokens)}
        ></meter>
        ${
          left === 0
            ? html`<p class="alert">Today's budget is spent: model calls are refused until midnight UTC.</p>`
            : nothing
        }
      </div>
    `;
  }

  /** Today's and all-time tokens, as two cells of a row. */
  private renderSpans(row: { today: UsageTotals; total: UsageTotals }) {
    return html`
      <td title=${tokenDetail(row.today)}>${tokenSummary(row.today)}</td>
      <td title=${tokenDetail(row.total)}>${tokenSummary(row.total)}</td>
      <td class="number">${count.format(row.total.requests)}</td>
    `;
  }

  private renderTable(id: string, title: string, first: string, rows: unknown[]) {
    return html`
      <section class="panel" aria-labelledby=${id}>
        <h3 id=${id}>${title}</h3>
        <div class="table-scroll" role="region" aria-labelledby=${id} tabindex="0">
          <table>
            <thead>
              <tr><th scope="col">${first}</th><th scope="col">Today</th><th scope="col">All time</th><th scope="col" class="number">Calls</th></tr>
            </thead>
            <tbody>${rows}</tbody>
          </table>
        </div>
      </section>
    `;
  }

  private renderUsage(agents: Agents, usage: UsageResponse) {
    if (!agents.some((agent) => agent.id === 'llm' || agent.id.startsWith('llm:')))
      return html`<p class="panel muted">
        No models configured: this chat server offers the shell agent only, so there is no model usage to show.
      </p>`;
    if (usage.total.requests === 0)
      return html`<div class="panel empty">
        <h3>No model calls yet</h3>
        <p class="muted">Pick a model in the chat's agent picker and ask it something: the tokens it takes show here.</p>
        ${this.renderBudget(usage)}
      </div>`;
    const models = usage.models.map(
      (row) =>
        html`<tr><th scope="row" title=${row.model}>${modelLabel(agents, row.model)}</th>${this.renderSpans(row)}</tr>`,
    );
    const threads = usage.threads
      .slice(0, TOP_THREADS)
      .map((row) => html`<tr><th scope="row"><code>${row.threadId}</code></th>${this.renderSpans(row)}</tr>`);
    return html`
      <div class="panel">
        <div class="spans">
          ${this.renderTotals('today-title', html`Today <span class="muted">${usage.day} (UTC)</span>`, usage.today)}
          ${this.renderTotals('total-title', 'All time', usage.total)}
        </div>
        ${this.renderBudget(usage)}
      </div>
      ${this.renderTable('models-title', 'By model', 'Model', models)}
      ${threads.length ? this.renderTable('threads-title', 'Top threads', 'Thread', threads) : nothing}
    `;
  }

  override render() {
    const loading = () =>
      html`<p class="status" role="status"><span class="spinner" aria-hidden="true"></span> Loading your usage…</p>`;
    return html`
      <section class="base" part="base" aria-labelledby="usage-title">
        <h2 id="usage-title">Model usage</h2>
        <p class="intro">The tokens your messages to models took, as the chat server counted them. Days are UTC.</p>
        ${this.usageTask.render({
          initial: loading,
          pending: loading,
          error: (error) =>
            error instanceof ChatClientError && error.code === 'unauthorized'
              ? html`<p class="muted">Sign in to see your model usage.</p>`
              : html`<div class="panel">
                  <p class="alert" role="alert">Could not load your usage: ${error instanceof Error ? error.message : String(error)}</p>
                  <button class="button" type="button" @click=${() => void this.usageTask.run()}>Try again</button>
                </div>`,
          complete: ({ agents, usage }) => this.renderUsage(agents, usage),
        })}
      </section>
    `;
  }
}
