import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/support/chromium.mjs';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          // Element tests run in Chromium, in the project below.
          exclude: ['**/node_modules/**', '**/*.browser.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
        },
      },
      {
        // The elements in real Chromium: rendering, keyboard, events, storage, the hostile-output
        // corpus and axe. Sources, as in the root vite.config.ts.
        resolve: {
          alias: [
            { find: /^@remote-chat\/protocol$/, replacement: here('packages/protocol/src/index.ts') },
            { find: /^@remote-chat\/elements\/define$/, replacement: here('packages/chat-elements/src/define.ts') },
            { find: /^@remote-chat\/elements$/, replacement: here('packages/chat-elements/src/index.ts') },
          ],
        },
        test: {
          name: 'browser',
          include: ['packages/chat-elements/src/**/*.browser.test.ts', 'demo/src/**/*.browser.test.ts'],
          testTimeout: 15_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium', viewport: { width: 1024, height: 768 } }],
          },
        },
      },
    ],
  },
});
