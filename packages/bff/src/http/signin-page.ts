/**
 * The page a used or expired sign-in link answers with: in the portal's look (its colours, light
 * or dark as the browser prefers), with the next step, the command that prints a new link.
 * Static: nothing from the request is in it.
 */
export function usedSigninLinkPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in link already used · Remote Chat</title>
<link rel="icon" href="/favicon.svg">
<style>
  :root {
    color-scheme: light dark;
    --bg: light-dark(#eef0f4, #0d0f13);
    --surface: light-dark(#ffffff, #1b1e25);
    --text: light-dark(#1c2026, #e6e8ed);
    --muted: light-dark(#566170, #a2abb9);
    --border: light-dark(#d4d8df, #2a2f3a);
    --accent: light-dark(#1f56d0, #86a8ff);
    --code-bg: light-dark(#f5f6f8, #14161b);
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    background: var(--bg);
    color: var(--text);
  }
  body { margin: 0; }
  .topbar { display: flex; align-items: center; padding: 0.5rem 1rem; border-bottom: 1px solid var(--border); }
  .brand { display: inline-flex; align-items: center; gap: 0.5rem; color: inherit; font-weight: 700; text-decoration: none; }
  main { max-width: 34rem; margin: 3rem auto; padding: 0 1rem; }
  .card { padding: 1.25rem 1.5rem; border: 1px solid var(--border); border-radius: 12px; background: var(--surface); }
  h1 { margin: 0 0 0.75rem; font-size: 1.35rem; }
  p { line-height: 1.5; }
  .muted { color: var(--muted); }
  pre { margin: 0.75rem 0; padding: 0.6rem 0.8rem; overflow-x: auto; border: 1px solid var(--border); border-radius: 8px; background: var(--code-bg); }
  code { font-family: ui-monospace, 'SF Mono', 'Cascadia Mono', Menlo, Consolas, monospace; font-size: 0.92em; }
  a { color: var(--accent); }
  a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
</style>
</head>
<body>
<header class="topbar">
  <a class="brand" href="/"><img src="/favicon.svg" alt="" width="22" height="22"> Remote Chat</a>
</header>
<main>
  <section class="card" aria-labelledby="title">
    <h1 id="title">This sign-in link was already used</h1>
    <p>A sign-in link works once, and only for a while. For a new one, run this where the server runs (with the same <code>--data-dir</code>, if you gave one):</p>
    <pre><code>npx remote-chat-bff signin-link</code></pre>
    <p class="muted">Restarting the server prints a fresh link too.</p>
    <p><a href="/">Open Remote Chat</a>: if this browser is signed in already, that is all you need.</p>
  </section>
</main>
</body>
</html>
`;
}
