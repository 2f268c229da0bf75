import { css } from 'lit';

export const fileCardStyles = css`
  .diff {
    padding: 0.35rem 0;
    background: var(--_bg);
    border-top: 1px solid var(--_border);
  }
  .diff .line {
    display: block;
    min-width: max-content;
    padding-inline-end: 0.75rem;
    white-space: pre;
  }
  .diff .line::before {
    display: inline-block;
    width: 6.5ch;
    margin-inline-end: 1ch;
    padding-inline-end: 0.5ch;
    border-inline-end: 1px solid var(--_border);
    color: var(--_muted);
    text-align: end;
    content: attr(data-new) '  ';
  }
  .diff .line.add::before {
    content: attr(data-new) ' +';
    color: inherit;
  }
  .diff .line.del::before {
    content: attr(data-old) ' −';
    color: inherit;
  }
  .diff .add {
    background: var(--_diff-add-bg);
    color: var(--_diff-add-text);
  }
  .diff .del {
    background: var(--_diff-del-bg);
    color: var(--_diff-del-text);
  }
  .diff .line.hunk::before,
  .diff .line.note::before {
    content: none;
  }
  .diff .line.hunk {
    display: block;
    margin: 0.2rem 0;
    padding: 0.1rem 0.75rem;
    background: color-mix(in srgb, var(--_diff-hunk-text) 10%, transparent);
    color: var(--_diff-hunk-text);
    font-style: italic;
  }
  .diff .line.note {
    display: block;
    color: var(--_muted);
    font-style: italic;
  }
  .show-all {
    width: 100%;
    border-radius: 0;
    border-top: 1px solid var(--_border);
  }
  .stat-add {
    color: var(--_diff-add-text);
  }
  .stat-del {
    color: var(--_diff-del-text);
  }
`;
