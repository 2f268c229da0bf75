import { resolve } from 'node:path';
import { Option } from 'commander';

/** Flags shared by the commands, each with its environment variable. */
export const dataDirOption = () =>
  new Option('--data-dir <dir>', 'where the database, the server secret and runtimes live')
    .env('REMOTE_CHAT_DATA_DIR')
    .default('./.remote-chat-data');

export const databaseUrlOption = () =>
  new Option('--database-url <url>', 'postgres://… to use Postgres instead of SQLite in the data directory').env(
    'DATABASE_URL',
  );

export function resolveDataDir(dir: string): string {
  return resolve(dir);
}
