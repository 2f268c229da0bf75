#!/usr/bin/env node
import { Command, CommanderError, Help, type Option } from 'commander';
import { SERVE_HELP, serveCommand } from './commands/serve.js';
import { signinLinkCommand } from './commands/signin-link.js';
import { ConfigError } from './gateway/gateway-config.js';
import { BFF_VERSION } from './version.js';

/** Exit codes: 1 for a failure while running, 2 for bad usage or configuration. */
const EXIT = { failure: 1, usage: 2 } as const;

const serve = serveCommand();
const commands = [serve, signinLinkCommand()];
const program = new Command('remote-chat-bff')
  .description(
    'Remote Chat: the backend-for-frontend, the relay between browsers and agents, and the portal.\n' +
      'Without a command it runs serve, with the options below; each has an environment variable.',
  )
  .usage('[serve] [options]\n       remote-chat-bff <command> [options]')
  .version(BFF_VERSION)
  .showHelpAfterError()
  .exitOverride()
  .configureHelp({
    // `remote-chat-bff --help` is where people look first: show serve's flags there, not only under `serve --help`.
    visibleOptions(command): Option[] {
      const own = Help.prototype.visibleOptions.call(this, command);
      if (command !== program) return own;
      const serveFlags = Help.prototype.visibleOptions.call(this, serve).filter((option) => option.long !== '--help');
      return [...serveFlags, ...own];
    },
  });
program.addHelpText('after', SERVE_HELP);
for (const command of commands) program.addCommand(command.exitOverride(), { isDefault: command.name() === 'serve' });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT.usage);
  console.error(`remote-chat-bff: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof ConfigError ? EXIT.usage : EXIT.failure);
});
