// How every test and benchmark launches Chromium: Debian's build, with flags that work as root on
// a machine without outside network. Plain JavaScript so that vitest.config.ts, the test global
// setup and bench/elements.mjs can all import it.

/** The Chromium binary: `CHROMIUM_PATH`, default `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium flags that work as root on this machine, with no outside network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** Playwright launch options for a headless Chromium with those flags. */
export const CHROMIUM_LAUNCH = { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS };
