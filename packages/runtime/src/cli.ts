import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { connectCommand } from './commands/connect.js';
import { serveCommand } from './commands/serve.js';
import { EXIT_CODES } from './exit-codes.js';
import { RUNTIME_VERSION } from './version.js';

/** The `remote-chat-runtime` program; `main` runs it. */
export function createProgram(): Command {
  const program = new Command('remote-chat-runtime')
    .description('The Remote Chat agent host: runs agents in a workspace and talks to a BFF over the runtime link.')
    .version(RUNTIME_VERSION)
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      [
        '',
        'To chat with agents that work in folders on this computer:',
        '  remote-chat-runtime connect --url https://your-bff [folders...]   (connect --help: every option)',
        'serve is what a BFF starts in a sandbox it made (serve --help: every option).',
      ].join('\n'),
    );
  program.addCommand(serveCommand().exitOverride());
  program.addCommand(connectCommand().exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      const quiet =
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help';
      return quiet ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    if (error instanceof InvalidArgumentError) return EXIT_CODES.usage;
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return EXIT_CODES.failed;
  }
}

process.exit(await main(process.argv));
