#!/usr/bin/env node
// Bundles the runtime CLI and everything it imports (ws, commander, diff, zod, the link, the protocol) into
// one file, dist/remote-chat-runtime.js, so installing the runtime in a sandbox is one copy.
// `tsc -b` must have built @remote-chat/protocol and @remote-chat/link first (scripts/build.mjs does).
import { build } from 'esbuild';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.resolve(here, process.argv[2] ?? 'dist/remote-chat-runtime.js');

const result = await build({
  entryPoints: [path.join(here, 'src/cli.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  outfile,
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    // ws and commander are CommonJS and `require` Node's built-ins; ESM has no `require`.
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __remoteChatCreateRequire } from 'node:module';",
      'const require = __remoteChatCreateRequire(import.meta.url);',
    ].join('\n'),
  },
});

const [output] = result.outputFiles;
await mkdir(path.dirname(outfile), { recursive: true });
// Write beside and rename: a test or a provider copying the bundle never reads half of it.
const temporary = `${outfile}.${process.pid}.tmp`;
await writeFile(temporary, output.contents, { mode: 0o755 });
await chmod(temporary, 0o755);
await rename(temporary, outfile);
