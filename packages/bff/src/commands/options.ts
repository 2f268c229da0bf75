import { resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';

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

export const publicUrlOption = () =>
  new Option(
    '--public-url <url>',
    'the URL browsers and machines use (behind a load balancer: its URL); printed links use it',
  )
    .env('REMOTE_CHAT_PUBLIC_URL')
    .argParser((v) => {
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        throw new InvalidArgumentError(`not a URL: ${v}`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new InvalidArgumentError(`not an http(s) URL: ${v}`);
      return url.toString().replace(/\/+$/, '');
    });

export const redisUrlOption = () =>
  new Option(
    '--redis-url <url>',
    'redis://… to fan events out across instances through Redis pub/sub instead of Postgres LISTEN/NOTIFY',
  ).env('REDIS_URL');

export const instanceIdOption = () =>
  new Option(
    '--instance-id <id>',
    "this process's name in a cluster, under which it holds link leases; default the host name and a hash of the data directory",
  )
    .env('REMOTE_CHAT_INSTANCE_ID')
    .argParser((v) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(v))
        throw new InvalidArgumentError(`not an instance id (1-64 of A-Z a-z 0-9 . _ -): ${v}`);
      return v;
    });
