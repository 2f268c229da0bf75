import { css } from 'lit';

export const toolCardStyles = css`
  .result.ok {
    color: var(--_ok);
  }
  .result.failed {
    color: var(--_danger);
  }
  .result.running {
    color: var(--_accent);
  }

  .terminal {
    padding: 0.6rem 0.75rem;
    background: var(--_terminal-bg);
    color: var(--_terminal-text);
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .terminal:empty {
    display: none;
  }
  .terminal .stderr {
    color: var(--_terminal-stderr);
  }
  .terminal .dropped {
    display: block;
    color: #9aa4b2;
    font-style: italic;
  }

  .ansi-black-fg { color: #5c6370; }
  .ansi-red-fg { color: #ff6b6b; }
  .ansi-green-fg { color: #5fd47f; }
  .ansi-yellow-fg { color: #f0c454; }
  .ansi-blue-fg { color: #6cb2ff; }
  .ansi-magenta-fg { color: #d68cf0; }
  .ansi-cyan-fg { color: #4fd3d9; }
  .ansi-white-fg { color: #dce2ea; }
  .ansi-bright-black-fg { color: #8b93a1; }
  .ansi-bright-red-fg { color: #ff8f8f; }
  .ansi-bright-green-fg { color: #8af0a5; }
  .ansi-bright-yellow-fg { color: #ffe08a; }
  .ansi-bright-blue-fg { color: #9ccbff; }
  .ansi-bright-magenta-fg { color: #ecb1ff; }
  .ansi-bright-cyan-fg { color: #8cf0f3; }
  .ansi-bright-white-fg { color: #ffffff; }
  .ansi-black-bg { background: #2b3038; }
  .ansi-red-bg { background: #7a2626; }
  .ansi-green-bg { background: #1f5a31; }
  .ansi-yellow-bg { background: #6b5417; }
  .ansi-blue-bg { background: #1d4677; }
  .ansi-magenta-bg { background: #5d2a6e; }
  .ansi-cyan-bg { background: #1b5a5e; }
  .ansi-white-bg { background: #c7cdd6; color: #11151b; }
  .ansi-bold { font-weight: 700; }
  .ansi-dim { opacity: 0.7; }
  .ansi-italic { font-style: italic; }
  .ansi-underline { text-decoration: underline; }
  .ansi-strikethrough { text-decoration: line-through; }
  .ansi-hidden { visibility: hidden; }
`;
