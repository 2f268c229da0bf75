// Browser builds, one `vite build` for both:
// - `client`: the portal (demo/index.html, demo/runtimes/index.html at `/runtimes/` and
//   demo/account/index.html at `/account/`) into
//   demo/dist, which the BFF serves at `/`;
// - `elements`: packages/chat-elements/dist/remote-chat.js, one self-contained ES module that
//   defines every element, for a plain `<script type="module">` on any site.
// `vite` (dev) serves the portal and proxies the BFF (REMOTE_CHAT_BFF, default 127.0.0.1:8787).
// The elements build swaps the protocol's zod schemas for `@remote-chat/protocol/lite` (the same
// names, structural checks, no zod), squeezes the whitespace out of Lit's css`` literals and the
// indentation out of its html`` ones, minifies with Terser and then Rolldown, and keeps no
// comments: the one-file bundle has to stay under 50 KB gzip (`node scripts/bundle-size.mjs`
// says where its bytes go).
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const bff = process.env['REMOTE_CHAT_BFF'] ?? 'http://127.0.0.1:8787';
const protocolEntry = here('packages/protocol/src/index.ts');

/** In the one-file elements bundle, the protocol's browser entry stands in for the main one. */
export function protocolLite(): Plugin {
  return {
    name: 'remote-chat:protocol-lite',
    enforce: 'pre',
    applyToEnvironment: (environment) => environment.name === 'elements',
    async resolveId(source, importer, options) {
      if (source !== '@remote-chat/protocol' && source !== protocolEntry) return null;
      return this.resolve(here('packages/protocol/src/lite.ts'), importer, { ...options, skipSelf: true });
    },
  };
}

/** Collapses runs of whitespace and drops comments inside css`…` template literals. */
export function minifyCssLiterals(): Plugin {
  return {
    name: 'remote-chat:minify-css-literals',
    applyToEnvironment: (environment) => environment.name === 'elements',
    transform: {
      filter: { id: /chat-elements\/src\/.*\.ts$/ },
      handler(code) {
        if (!code.includes('css`')) return null;
        const out = code.replace(/\bcss`([^`]*)`/g, (_match, body: string) => {
          const min = body
            .replace(/\/\*[\s\S]*?\*\//g, '')
            .replace(/\s+/g, ' ')
            .replace(/ ?([{};,>]) ?/g, '$1')
            .replace(/: /g, ':')
            .replace(/;}/g, '}')
            .trim();
          return `css\`${min}\``;
        });
        return { code: out, map: null };
      },
    },
  };
}

/**
 * Folds the indentation out of Lit's html`…` templates: every run of white space that holds a
 * line break becomes one line break. Outside elements that keep white space it renders the same
 * (a run of white space shows as one space, or none); a template whose white space shows (in a
 * `pre-wrap` element, say) says so with a `/* keep white space *\/` comment before `html`.
 */
export function minifyHtmlLiterals(): Plugin {
  return {
    name: 'remote-chat:minify-html-literals',
    // Before TypeScript is compiled away: the source, with its comments.
    enforce: 'pre',
    applyToEnvironment: (environment) => environment.name === 'elements',
    transform: {
      filter: { id: /chat-elements\/src\/.*\.ts$/ },
      handler(code, id) {
        if (!code.includes('html`')) return null;
        const source = ts.createSourceFile(id, code, ts.ScriptTarget.Latest, true);
        const edits: Array<{ start: number; end: number; text: string }> = [];
        const fold = (node: ts.TemplateLiteralLikeNode, tail: number) => {
          // The raw text sits between the opening token (` or }) and the closing one (` or ${).
          const start = node.getStart(source) + 1;
          const end = node.getEnd() - tail;
          const raw = code.slice(start, end);
          const text = raw.replace(/[ \t]*\n[ \t\n]*/g, '\n');
          if (text !== raw) edits.push({ start, end, text });
        };
        const visit = (node: ts.Node): void => {
          if (
            ts.isTaggedTemplateExpression(node) &&
            ts.isIdentifier(node.tag) &&
            node.tag.text === 'html' &&
            !/keep white space/.test(code.slice(node.getFullStart(), node.getStart(source)))
          ) {
            const template = node.template;
            if (ts.isNoSubstitutionTemplateLiteral(template)) fold(template, 1);
            else {
              fold(template.head, 2);
              for (const span of template.templateSpans) fold(span.literal, ts.isTemplateTail(span.literal) ? 1 : 2);
            }
          }
          ts.forEachChild(node, visit);
        };
        visit(source);
        if (edits.length === 0) return null;
        let out = code;
        for (const edit of edits.sort((a, b) => b.start - a.start))
          out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
        return { code: out, map: null };
      },
    },
  };
}

export default defineConfig({
  root: here('demo'),
  plugins: [protocolLite(), minifyCssLiterals(), minifyHtmlLiterals()],
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
        rolldownOptions: {
          input: {
            main: here('demo/index.html'),
            runtimes: here('demo/runtimes/index.html'),
            account: here('demo/account/index.html'),
          },
        },
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
        // Terser runs on the chunk, then Rolldown's own minifier over its output: 1 KB gzip less
        // than Rolldown's alone. Terser's defaults give half of it; `hoist_funs` (function
        // declarations together at the top of their scope, where gzip finds more repeats) most of
        // the rest; `console.assert` goes too: streaming-markdown's development checks of its own
        // parser state, which only ever log. About 4 s more build, hence no plugin-timing notice.
        minify: 'terser',
        terserOptions: { compress: { hoist_funs: true, pure_funcs: ['console.assert'] }, format: { comments: false } },
        rolldownOptions: { output: { minify: true, comments: false }, checks: { pluginTimings: false } },
      },
    },
  },
});
