// The portal's Remote Chat page: the element fills the page below the top bar. The theme choice
// (System / Light / Dark) is kept in localStorage and applied to the page and to the element.
import '@remote-chat/elements/define';
import './portal.css';

const THEME_KEY = 'remote-chat-portal:theme';

function readTheme(): '' | 'light' | 'dark' {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return value === 'light' || value === 'dark' ? value : '';
  } catch {
    return '';
  }
}

function applyTheme(theme: '' | 'light' | 'dark'): void {
  const chat = document.querySelector('remote-chat');
  if (theme) {
    document.documentElement.dataset['theme'] = theme;
    chat?.setAttribute('theme', theme);
  } else {
    delete document.documentElement.dataset['theme'];
    chat?.removeAttribute('theme');
  }
}

const choice = document.querySelector<HTMLSelectElement>('#theme-choice');
const initial = readTheme();
applyTheme(initial);
if (choice) {
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
