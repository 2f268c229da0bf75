#!/usr/bin/env node
import { Command } from 'commander';
import { serveCommand } from './commands/serve.js';
import { signinLinkCommand } from './commands/signin-link.js';

/** Exit codes: 1 for a failure while running, 2 for bad usage or configuration. */
const EXIT = { failure: 1, usage: 2 } as const;

const program = new Command('remote-chat-bff')
  .description('Remote Chat: the backend-for-frontend, the relay between browsers and agents, and the portal.')
  .addCommand(serveCommand(), { isDefault: true })
  .addCommand(signinLinkCommand())
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT.usage));

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`remote-chat-bff: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(EXIT.failure);
});
