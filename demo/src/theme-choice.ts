// The portal's theme choice (System / Light / Dark) in the top bar of every page: kept in
// localStorage, applied to the page and to every <remote-chat> on it.

const THEME_KEY = 'remote-chat-portal:theme';

type Theme = '' | 'light' | 'dark';

function readTheme(): Theme {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return value === 'light' || value === 'dark' ? value : '';
  } catch {
    return '';
  }
}

function applyTheme(theme: Theme): void {
  if (theme) document.documentElement.dataset['theme'] = theme;
  else delete document.documentElement.dataset['theme'];
  // <remote-chat> sets its own color-scheme, so it is told rather than left to inherit.
  for (const chat of document.querySelectorAll('remote-chat')) {
    if (theme) chat.setAttribute('theme', theme);
    else chat.removeAttribute('theme');
  }
}

/** Applies the remembered theme and wires the `#theme-choice` select. */
export function setUpThemeChoice(): void {
  const choice = document.querySelector<HTMLSelectElement>('#theme-choice');
  const initial = readTheme();
  applyTheme(initial);
  if (!choice) return;
  choice.value = initial;
  choice.addEventListener('change', () => {
    const theme = choice.value === 'light' || choice.value === 'dark' ? choice.value : '';
    applyTheme(theme);
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      // Not remembered; it still applies now.
    }
  });
}
