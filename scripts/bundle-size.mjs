#!/usr/bin/env node
// Where the bytes of the one-file elements bundle go, from its source map:
//   node scripts/bundle-size.mjs [--top N] [file]
// (after `npm run build`; the file defaults to packages/chat-elements/dist/remote-chat.js).
// Per source module: the minified bytes the map gives it, and its marginal gzip bytes (how much
// smaller the bundle's gzip, level 9 as in test/e2e/strict-embed.test.ts, is without them), which
// is what removing or shrinking the module could save. `(unmapped)` is what no mapping points at:
// mostly the text of html`` templates, and helpers the bundler added.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 15;
const root = fileURLToPath(new URL('..', import.meta.url));
const file = resolve(args[0] ?? `${root}packages/chat-elements/dist/remote-chat.js`);

const code = readFileSync(file, 'utf8');
const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
const gzip = (text) => gzipSync(text, { level: 9 }).length;

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** One line of `mappings` as [generated column, source index or -1] pairs (columns are absolute). */
function decodeLine(line, state) {
  const segments = [];
  let column = 0;
  for (const segment of line.split(',')) {
    if (!segment) continue;
    const fields = [];
    let value = 0;
    let shift = 0;
    for (const char of segment) {
      const digit = BASE64.indexOf(char);
      value += (digit & 31) << shift;
      if (digit & 32) shift += 5;
      else {
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
    }
    column += fields[0];
    if (fields.length > 1) state.source += fields[1];
    segments.push([column, fields.length > 1 ? state.source : -1]);
  }
  return segments;
}

const names = map.sources.map((source) =>
  relative(root, resolve(dirname(file), map.sourceRoot ?? '', source)).replace(/^node_modules\//, ''),
);
/** The bundle as runs of text, each with the module it came from. */
const pieces = [];
const state = { source: 0 };
const mappingLines = map.mappings.split(';');
code.split('\n').forEach((line, index) => {
  const segments = decodeLine(mappingLines[index] ?? '', state);
  const starts = [[0, -1], ...segments];
  starts.forEach(([column, source], i) => {
    const end = i + 1 < starts.length ? starts[i + 1][0] : line.length;
    if (end > column) pieces.push([source < 0 ? '(unmapped)' : names[source], line.slice(column, end)]);
  });
  pieces.push(['(unmapped)', '\n']);
});

const total = gzip(code);
const bytes = new Map();
for (const [module, text] of pieces) bytes.set(module, (bytes.get(module) ?? 0) + Buffer.byteLength(text));
const rows = [...bytes].map(([module, size]) => {
  const without = pieces
    .filter(([m]) => m !== module)
    .map(([, text]) => text)
    .join('');
  return { module, size, marginal: total - gzip(without) };
});
rows.sort((a, b) => b.marginal - a.marginal);

const length = Buffer.byteLength(code);
console.log(`${relative(root, file)}: ${length} B minified, ${total} B gzip (level 9); ${rows.length} modules`);
console.log('minified   share  gzip (marginal)  module');
for (const { module, size, marginal } of rows.slice(0, top)) {
  const share = `${((100 * size) / length).toFixed(1)}%`;
  console.log(`${String(size).padStart(8)}  ${share.padStart(6)}  ${String(marginal).padStart(15)}  ${module}`);
}
