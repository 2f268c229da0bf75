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
  .header rc-repo-selector {
    flex: none;
    max-width: 100%;
  }

  /*
   * The sidebar holds whatever its parts hold: the thread list takes the space left and scrolls
   * its threads (never fewer than about five rows while there is room), the sandbox log takes at
   * most two fifths and scrolls itself, so neither draws over the other however long they grow.
   */
  .sidebar {
    grid-area: sidebar;
    display: flex;
    flex-direction: column;
    gap: 1rem;
    min-height: 0;
    overflow: hidden;
    padding: 0.75rem;
    border-inline-end: 1px solid var(--_border);
    background: var(--_surface);
  }
  .sidebar > .alert {
    flex: none;
  }
  .sidebar rc-thread-list {
    flex: 1 1 0;
    min-height: min(16rem, 50%);
  }
  .sidebar rc-sandbox-log {
    flex: 0 1 auto;
    min-height: 0;
    max-height: 40%;
    overflow: auto;
  }

  .main {
    grid-area: main;
    display: flex;
    flex-direction: column;
    min-width: 0;
    min-height: 0;
  }
  .main rc-chat {
    flex: 1 1 auto;
    min-height: 0;
  }
  .main > .alert {
    flex: none;
    margin: 0.75rem;
  }

  /* Shown only while it has the focus: the first Tab stop, straight to the message box. */
  .skip-link {
    position: absolute;
    z-index: 5;
    top: 0.5rem;
    left: 0.5rem;
    padding: 0.4rem 0.75rem;
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_accent);
    transform: translateY(-200%);
  }
  .skip-link:focus {
    transform: none;
  }
  .base {
    position: relative;
  }

  .main rc-welcome {
    flex: 1 1 auto;
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

  .scrim {
    display: none;
  }

  /* Narrow (a phone): one column; the sidebar is a drawer that slides over the chat. */
  @container rc-root (max-width: 720px) {
    .base {
      position: relative;
      grid-template-columns: minmax(0, 1fr);
      grid-template-rows: auto minmax(0, 1fr);
      grid-template-areas:
        'header'
        'main';
    }
    .header {
      gap: 0.4rem;
      padding: 0.45rem 0.5rem;
    }
    /* The picker keeps the first row beside the drawer's button; the repository button wraps to
       a row of its own rather than drawing over the picker. */
    .header rc-runtime-picker {
      flex: 1 1 12rem;
    }
    .header rc-repo-selector {
      flex: 1 1 100%;
    }
    .sidebar-toggle {
      display: inline-flex;
      flex: none;
      min-width: 2.5rem;
      min-height: 2.5rem;
      padding: 0;
    }
    .burger,
    .burger::before,
    .burger::after {
      display: block;
      width: 1.1rem;
      height: 2px;
      border-radius: 1px;
      background: var(--_text);
    }
    .burger {
      position: relative;
    }
    .burger::before,
    .burger::after {
      content: '';
      position: absolute;
      left: 0;
    }
    .burger::before {
      top: -6px;
    }
    .burger::after {
      top: 6px;
    }
    .sidebar {
      position: absolute;
      inset: 0 auto 0 0;
      z-index: 3;
      width: min(20rem, 86%);
      border-inline-end: 1px solid var(--_border);
      box-shadow: 8px 0 24px rgb(0 0 0 / 0.2);
      transform: translateX(-105%);
      visibility: hidden;
      transition:
        transform 0.2s ease,
        visibility 0s linear 0.2s;
    }
    .sidebar-open .sidebar {
      transform: none;
      visibility: visible;
      transition: transform 0.2s ease;
    }
    .sidebar-open .scrim {
      display: block;
      position: absolute;
      inset: 0;
      z-index: 2;
      background: rgb(0 0 0 / 0.35);
    }

  }
  @media (prefers-reduced-motion: reduce) {
    .sidebar {
      transition: none !important;
    }
  }
`;
