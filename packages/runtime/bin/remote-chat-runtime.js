#!/usr/bin/env node
// The `remote-chat-runtime` command: runs the one-file bundle. Committed, not built, so that npm
// links it at install time (see packages/bff/bin/remote-chat-bff.js for why that matters).
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/', import.meta.url))) {
  const { buildIfMissing } = await import('../../../scripts/build-if-missing.mjs');
  buildIfMissing('remote-chat-runtime');
}
await import('../dist/remote-chat-runtime.js');
