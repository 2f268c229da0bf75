#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { serveCommand } from './commands/serve.js';
import { signinLinkCommand } from './commands/signin-link.js';

/** Exit codes: 1 for a failure while running, 2 for bad usage or configuration. */
const EXIT = { failure: 1, usage: 2 } as const;

const commands = [serveCommand(), signinLinkCommand()];
const program = new Command('remote-chat-bff')
  .description('Remote Chat: the backend-for-frontend, the relay between browsers and agents, and the portal.')
  .showHelpAfterError()
  .exitOverride();
for (const command of commands) program.addCommand(command.exitOverride(), { isDefault: command.name() === 'serve' });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT.usage);
  console.error(`remote-chat-bff: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(EXIT.failure);
});
