import { fileURLToPath } from 'node:url';
import type { StorybookConfig } from '@storybook/web-components-vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const config: StorybookConfig = {
  // Stories sit beside their elements.
  stories: ['../../chat-elements/src/**/*.stories.ts'],
  addons: ['@storybook/addon-docs'],
  framework: { name: '@storybook/web-components-vite', options: {} },
  core: { disableTelemetry: true },
  async viteFinal(config) {
    // The packages' sources, as in the root vite.config.ts: no need for `tsc -b` first.
    const alias = [
      { find: /^@remote-chat\/protocol$/, replacement: here('../../protocol/src/index.ts') },
      { find: /^@remote-chat\/elements\/define$/, replacement: here('../../chat-elements/src/define.ts') },
      { find: /^@remote-chat\/elements$/, replacement: here('../../chat-elements/src/index.ts') },
    ];
    const existing = config.resolve?.alias;
    return {
      ...config,
      resolve: {
        ...config.resolve,
        alias: Array.isArray(existing)
          ? [...alias, ...existing]
          : [...alias, ...Object.entries(existing ?? {}).map(([find, replacement]) => ({ find, replacement }))],
      },
    };
  },
};

export default config;
