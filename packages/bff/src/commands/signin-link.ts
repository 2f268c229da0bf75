import { Command, Option } from 'commander';
import { Auth } from '../auth.js';
import { ServerSecret } from '../secrets.js';
import { openStore } from '../store/open-store.js';
import { dataDirOption, databaseUrlOption, resolveDataDir } from './options.js';

/** Makes a one-time sign-in token for the owner in the given store. */
export async function createSigninToken(flags: { dataDir: string; databaseUrl?: string }): Promise<string> {
  const dataDir = resolveDataDir(flags.dataDir);
  const store = await openStore({ dataDir, databaseUrl: flags.databaseUrl });
  try {
    return await new Auth(store, ServerSecret.load(dataDir, process.env.REMOTE_CHAT_SECRET), []).createOwnerSignin();
  } finally {
    await store.close();
  }
}

export function signinLinkCommand(): Command {
  return new Command('signin-link')
    .description('print a fresh one-time sign-in link for the owner of a running server')
    .addOption(
      new Option('--url <url>', "the server's address (a cluster's: its load balancer's)")
        .env('REMOTE_CHAT_PUBLIC_URL')
        .default('http://127.0.0.1:8787'),
    )
    .addOption(dataDirOption())
    .addOption(databaseUrlOption())
    .action(async (flags: { url: string; dataDir: string; databaseUrl?: string }) => {
      const token = await createSigninToken(flags);
      console.log(`${flags.url.replace(/\/$/, '')}/auth/signin?token=${token}`);
    });
}
