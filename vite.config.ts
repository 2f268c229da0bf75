// Browser builds, one `vite build` for both:
// - `client`: the portal (demo/index.html) into demo/dist, which the BFF serves at `/`;
// - `elements`: packages/chat-elements/dist/remote-chat.js, one self-contained ES module that
//   defines every element, for a plain `<script type="module">` on any site.
// `vite` (dev) serves the portal and proxies the BFF (REMOTE_CHAT_BFF, default 127.0.0.1:8787).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const bff = process.env['REMOTE_CHAT_BFF'] ?? 'http://127.0.0.1:8787';

export default defineConfig({
  root: here('demo'),
  appType: 'mpa',
  logLevel: 'info',
  resolve: {
    // Sources, not the packages' tsc output: the browser builds don't wait for `tsc -b`.
    alias: [
      { find: /^@remote-chat\/protocol$/, replacement: here('packages/protocol/src/index.ts') },
      { find: /^@remote-chat\/elements\/define$/, replacement: here('packages/chat-elements/src/define.ts') },
      { find: /^@remote-chat\/elements$/, replacement: here('packages/chat-elements/src/index.ts') },
    ],
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: bff, ws: true, changeOrigin: false },
      '/auth': { target: bff, changeOrigin: false },
    },
  },
  builder: {
    async buildApp(builder) {
      await builder.build(builder.environments['client']!);
      await builder.build(builder.environments['elements']!);
    },
  },
  environments: {
    client: {
      build: {
        outDir: here('demo/dist'),
        emptyOutDir: true,
        target: 'es2023',
        sourcemap: true,
        rolldownOptions: { input: here('demo/index.html') },
      },
    },
    elements: {
      consumer: 'client',
      build: {
        outDir: here('packages/chat-elements/dist'),
        // tsc's output lives here too.
        emptyOutDir: false,
        target: 'es2023',
        sourcemap: true,
        copyPublicDir: false,
        lib: {
          entry: here('packages/chat-elements/src/standalone.ts'),
          formats: ['es'],
          fileName: () => 'remote-chat.js',
        },
        rolldownOptions: { output: { minify: true } },
      },
    },
  },
});
