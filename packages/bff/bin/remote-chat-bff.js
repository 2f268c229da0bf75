#!/usr/bin/env node
// The `remote-chat-bff` command. npm links a bin when it installs, before anything is built, and
// leaves out one whose file does not exist yet; `npx remote-chat-bff` would then ask the public
// registry for a package of that name. So the bin is this committed file, which runs the built
// CLI, and in a checkout of the repository (it has src/) builds what is missing first.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/', import.meta.url))) {
  const { buildIfMissing } = await import('../../../scripts/build-if-missing.mjs');
  buildIfMissing('remote-chat-bff');
}
await import('../dist/cli.js');
