import { css } from 'lit';

/** Model usage: the totals, the budget meter and the tables (after accountStyles). */
export const modelUsageStyles = css`
  .spans {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
    gap: 1rem 2rem;
  }
  .totals {
    display: grid;
    gap: 0.5rem;
  }
  .totals h3 .muted {
    font-weight: 400;
    font-size: 0.9em;
  }
  dl {
    display: grid;
    gap: 0.25rem;
    margin: 0;
  }
  dl div {
    display: flex;
    justify-content: space-between;
    gap: 1rem;
    padding-block: 0.15rem;
    border-bottom: 1px solid var(--_border);
  }
  dt {
    color: var(--_muted);
  }
  dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
  }

  .budget {
    display: grid;
    gap: 0.4rem;
  }
  .budget-text {
    display: flex;
    flex-wrap: wrap;
    justify-content: space-between;
    gap: 0.25rem 1rem;
    font-variant-numeric: tabular-nums;
  }
  .budget-title {
    font-weight: 600;
  }
  meter {
    width: 100%;
    height: 0.75rem;
    border-radius: 999px;
    background: var(--_surface);
  }
  meter::-webkit-meter-bar {
    height: 0.75rem;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_surface);
  }
  meter::-webkit-meter-optimum-value {
    border-radius: 999px;
    background: var(--_ok);
  }
  meter::-webkit-meter-suboptimum-value {
    border-radius: 999px;
    background: var(--_warn);
  }
  meter::-webkit-meter-even-less-good-value {
    border-radius: 999px;
    background: var(--_danger);
  }
  meter::-moz-meter-bar {
    border-radius: 999px;
    background: var(--_accent);
  }

  .empty h3 {
    font-size: 1rem;
  }

  .table-scroll {
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  th,
  td {
    padding: 0.4rem 0.75rem 0.4rem 0;
    border-bottom: 1px solid var(--_border);
    text-align: start;
    white-space: nowrap;
  }
  thead th {
    color: var(--_muted);
    font-weight: 600;
    font-size: 0.85em;
  }
  tbody th {
    font-weight: 550;
  }
  .number {
    text-align: end;
    padding-inline-end: 0;
  }

  @container (max-width: 34rem) {
    .panel {
      padding: 0.75rem;
    }
  }
`;
