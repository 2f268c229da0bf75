import { css } from 'lit';

/** Agent messages: the markdown, code blocks with their Copy button, and the caret while an answer streams. */
export const agentMessageStyles = css`
  .message.agent {
    align-self: stretch;
    max-width: 100%;
    line-height: 1.55;
  }

  /* Which model answered and the tokens it took: quiet, under the answer. */
  .answer-meta {
    margin: 0.35rem 0 0;
    color: var(--_muted);
    font-size: 0.78em;
    font-variant-numeric: tabular-nums;
  }

  /* Markdown */
  .markdown > :first-child {
    margin-top: 0;
  }
  .markdown > :last-child {
    margin-bottom: 0;
  }
  .markdown p,
  .markdown ul,
  .markdown ol,
  .markdown blockquote,
  .markdown table {
    margin: 0 0 0.7em;
  }
  .markdown h1,
  .markdown h2,
  .markdown h3,
  .markdown h4,
  .markdown h5,
  .markdown h6 {
    margin: 1em 0 0.4em;
    line-height: 1.25;
  }
  .markdown h1 {
    font-size: 1.35em;
  }
  .markdown h2 {
    font-size: 1.2em;
  }
  .markdown h3 {
    font-size: 1.05em;
  }
  .markdown ul,
  .markdown ol {
    padding-inline-start: 1.4em;
  }
  .markdown li + li {
    margin-top: 0.2em;
  }
  .markdown blockquote {
    padding-inline-start: 0.8em;
    border-inline-start: 3px solid var(--_border);
    color: var(--_muted);
  }
  .markdown code {
    padding: 0.08em 0.32em;
    border-radius: 4px;
    background: var(--_surface);
    font-family: var(--_mono);
    font-size: 0.88em;
  }
  .markdown a {
    color: var(--_accent);
    text-underline-offset: 2px;
  }
  .markdown .image-link {
    font-style: italic;
  }
  .markdown table {
    display: block;
    max-width: 100%;
    overflow-x: auto;
    border-collapse: collapse;
  }
  .markdown th,
  .markdown td {
    padding: 0.3rem 0.6rem;
    border: 1px solid var(--_border);
    text-align: start;
  }
  .markdown hr {
    border: 0;
    border-top: 1px solid var(--_border);
  }
  .code-block {
    margin: 0 0 0.7em;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    overflow: hidden;
  }
  .code-header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    min-height: 2rem;
    padding: 0.15rem 0.3rem 0.15rem 0.75rem;
    border-bottom: 1px solid var(--_border);
    color: var(--_muted);
    font-size: 0.78em;
  }
  .copy {
    min-height: 1.6rem;
    padding: 0.1rem 0.55rem;
    border: 1px solid transparent;
    border-radius: calc(var(--_radius) - 2px);
    background: transparent;
    color: var(--_muted);
    font: inherit;
    cursor: pointer;
  }
  .copy:hover {
    color: var(--_text);
    border-color: var(--_border);
  }
  .code-block pre {
    margin: 0;
    padding: 0.65rem 0.8rem;
    overflow-x: auto;
  }
  .code-block code {
    padding: 0;
    background: none;
    font-size: 0.85em;
    line-height: 1.5;
  }
  /* The caret sits at the end of the text still streaming in. */
  .streaming .markdown > :last-child::after,
  .streaming .markdown:empty::after {
    content: '';
    display: inline-block;
    width: 0.5em;
    height: 1em;
    margin-inline-start: 2px;
    vertical-align: text-bottom;
    background: var(--_accent);
    animation: rc-blink 1s steps(2) infinite;
  }
  @keyframes rc-blink {
    50% {
      opacity: 0;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .streaming .markdown > :last-child::after {
      animation: none;
    }
  }
`;
