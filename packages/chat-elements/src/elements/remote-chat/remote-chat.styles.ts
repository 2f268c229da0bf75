import { css } from 'lit';

export const remoteChatStyles = css`
  :host {
    display: block;
    height: 100%;
    min-height: 24rem;
    container-type: inline-size;
    container-name: rc-root;
  }
  :host([theme='light']) {
    --rc-color-scheme: light;
  }
  :host([theme='dark']) {
    --rc-color-scheme: dark;
  }

  .base {
    display: grid;
    grid-template-columns: minmax(15rem, 18rem) minmax(0, 1fr);
    grid-template-rows: auto minmax(0, 1fr);
    grid-template-areas:
      'header header'
      'sidebar main';
    height: 100%;
    min-height: 0;
    background: var(--_bg);
    color: var(--_text);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    overflow: hidden;
  }

  .header {
    grid-area: header;
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 0.75rem;
    padding: 0.6rem 0.75rem;
    border-bottom: 1px solid var(--_border);
    background: var(--_surface);
  }
  .header rc-runtime-picker {
    flex: 1 1 auto;
    min-width: 0;
  }
  .connection {
    display: inline-flex;
    align-items: center;
    gap: 0.4rem;
    font-size: 0.85em;
    color: var(--_warn);
  }
  .connection:empty {
    display: none;
  }

  .sidebar-toggle {
    display: none;
  }

  .sidebar {
    grid-area: sidebar;
    display: flex;
    flex-direction: column;
    gap: 1rem;
    min-height: 0;
    overflow-y: auto;
    padding: 0.75rem;
    border-inline-end: 1px solid var(--_border);
    background: var(--_surface);
  }
  .sidebar rc-thread-list {
    flex: 0 1 auto;
    max-height: 45%;
  }
  .sidebar rc-sandbox-log {
    flex: 1 0 auto;
  }

  .main {
    grid-area: main;
    min-width: 0;
    min-height: 0;
  }

  .center {
    display: grid;
    place-content: center;
    gap: 0.75rem;
    height: 100%;
    min-height: 16rem;
    padding: 2rem;
    text-align: center;
    background: var(--_bg);
    color: var(--_text);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  .center h2 {
    margin: 0;
    font-size: 1.15em;
  }
  .center p {
    max-width: 34rem;
    margin: 0 auto;
    color: var(--_muted);
  }
  .center code {
    font-family: var(--_mono);
    font-size: 0.9em;
    overflow-wrap: anywhere;
  }
  .center .status {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.5rem;
  }

  /* Narrow: one column; the sidebar folds away behind a toggle. */
  @container rc-root (max-width: 720px) {
    .base {
      grid-template-columns: minmax(0, 1fr);
      grid-template-rows: auto auto auto minmax(0, 1fr);
      grid-template-areas:
        'header'
        'toggle'
        'sidebar'
        'main';
    }
    .sidebar-toggle {
      grid-area: toggle;
      display: flex;
      justify-content: space-between;
      width: 100%;
      min-height: 2.5rem;
      border: 0;
      border-bottom: 1px solid var(--_border);
      border-radius: 0;
      background: var(--_surface);
    }
    .sidebar-toggle .chevron {
      width: 0.5rem;
      height: 0.5rem;
      border-right: 2px solid var(--_muted);
      border-bottom: 2px solid var(--_muted);
      transform: rotate(45deg);
    }
    .sidebar-toggle[aria-expanded='true'] .chevron {
      transform: rotate(-135deg);
    }
    .sidebar {
      max-height: 50vh;
      border-inline-end: 0;
      border-bottom: 1px solid var(--_border);
    }
    .base:not(.sidebar-open) .sidebar {
      display: none;
    }
    .sidebar rc-thread-list {
      flex: none;
      max-height: none;
    }
  }
`;
