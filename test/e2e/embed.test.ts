import type { CreatedApiToken, Runtime, User } from '@remote-chat/protocol';
import type { Page } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawnBff, type BffProcess } from '../support/bff-process.js';
import { signIn } from '../support/bff.js';
import { composerReady, newPage } from '../support/browser.js';
import { freePort, hostChatToken, spawnHostSite, type HostSite } from '../support/host-site.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 20_000;
const runtimeCli = fileURLToPath(new URL('../../packages/runtime/dist/remote-chat-runtime.js', import.meta.url));

/** A BFF, the owner's session on it, and the host site ("Acme Notes") on another origin with an API token. */
interface Embedding {
  bff: BffProcess;
  ownerCookie: string;
  /** The id of the API token the host site's backend holds. */
  apiTokenId: string;
  site: HostSite;
}

/**
 * Where the embedded chat runs its commands: a Local sandbox (bubblewrap) created from the page (a
 * host site's users are not offered the unsandboxed Local process), or a machine connected with
 * `remote-chat-runtime connect`; both take the same two steps (make it exist, then pick it in the page).
 */
interface EmbeddedRuntime {
  readonly name: string;
  /** Makes the runtime available to the signed-in host user and opens it in the page, ready for a command. */
  open(page: Page, embedding: Embedding): Promise<void>;
}

const sandboxRuntime: EmbeddedRuntime = {
  name: 'a Local sandbox runtime',
  async open(page) {
    await page.getByRole('radio', { name: 'New' }).click();
    await page.getByRole('radio', { name: 'Local sandbox' }).check();
    await page.getByRole('button', { name: 'Create runtime' }).click();
    // Ready, with a thread open: the composer takes a message (the sandbox log may be folded away on a phone).
    await composerReady(page);
  },
};

/** Alice's own computer: she asks the host site for a connection command and runs it in a folder. */
const machineRuntime: EmbeddedRuntime = {
  name: 'her own machine',
  async open(page) {
    await page.getByText('Use your own computer').click();
    await page.getByRole('button', { name: 'Create a connection command' }).click();
    const command = page.locator('#machine-command');
    await command.waitFor({ timeout: TIMEOUT });
    const text = await command.innerText();
    const token = /REMOTE_CHAT_TOKEN=(\S+)/.exec(text)?.[1];
    const url = /--url (\S+)/.exec(text)?.[1];
    expect(token).toMatch(/^rc_/);
    // What Alice does in a terminal on her computer, in a project folder of hers.
    const home = tempDir('rc-alice-');
    const folder = join(home, 'notes-app');
    mkdirSync(folder);
    execFileSync('git', ['init', '-q', folder]);
    const child = spawn(process.execPath, [runtimeCli, 'connect', '--url', url!, folder], {
      env: { PATH: process.env.PATH!, HOME: home, REMOTE_CHAT_TOKEN: token! },
      stdio: 'ignore',
    });
    onTestFinished(() => {
      child.kill('SIGTERM');
    });
    // It appears under Existing, as hers, and she picks it.
    await page.getByRole('radio', { name: 'Existing' }).click();
    await page.getByRole('combobox', { name: 'Runtime' }).click();
    await page.getByRole('option', { name: /notes-app/ }).click({ timeout: TIMEOUT });
    await composerReady(page);
  },
};

async function startEmbedding(): Promise<Embedding> {
  const port = await freePort();
  // The host site is on `localhost`, the BFF on `127.0.0.1`: different sites, not only different origins.
  const bff = await spawnBff(['--data-dir', tempDir(), '--allowed-origins', `http://localhost:${port}`]);
  const ownerCookie = await signIn(bff.signinLink);
  const created = await fetch(`${bff.url}/api/tokens`, {
    method: 'POST',
    headers: { cookie: ownerCookie, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Acme Notes backend' }),
  });
  expect(created.status).toBe(201);
  const { token, id } = (await created.json()) as CreatedApiToken;
  const site = await spawnHostSite({ chatUrl: bff.url, apiToken: token, port });
  return { bff, ownerCookie, apiTokenId: id, site };
}

/** Signs in to the host site as one of its users, from its own sign-in page. */
async function signInToHost(page: Page, name: string): Promise<void> {
  await page.getByRole('group', { name: 'Sign in as' }).getByRole('radio', { name }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${name}`).waitFor();
}

/** The chat's API as the host site's user, with the client token its backend hands out. */
async function asHostUser(embedding: Embedding, userId: string) {
  const token = await hostChatToken(embedding.site, userId);
  const headers = { authorization: `Bearer ${token}`, origin: embedding.site.url };
  const get = async <T>(path: string) => (await (await fetch(`${embedding.bff.url}${path}`, { headers })).json()) as T;
  return {
    user: async () => (await get<{ user: User | null }>('/api/config')).user,
    runtimes: async () => (await get<{ runtimes: Runtime[] }>('/api/runtimes')).runtimes,
  };
}

describe('the third-party page', () => {
  it.each([sandboxRuntime, machineRuntime])(
    "embeds the chat for the host site's signed-in user and runs a command on $name",
    async (runtime) => {
      const embedding = await startEmbedding();
      const { bff, site, ownerCookie } = embedding;
      const { page, errors } = await newPage({ viewport: { width: 1280, height: 800 } });

      await page.goto(site.url);
      await signInToHost(page, 'Alice Archer');
      await runtime.open(page, embedding);

      const composer = page.getByRole('textbox', { name: 'Message' });
      await composer.fill('echo hi-from-embed');
      await composer.press('Enter');
      // The command line comes back as the user's message; its output is a line of its own.
      const conversation = page.getByRole('log', { name: 'Conversation' });
      await conversation.getByText('Exit 0').waitFor({ timeout: TIMEOUT });
      const lines = (await conversation.innerText()).split('\n').map((line) => line.trim());
      expect(lines).toContain('hi-from-embed');

      // The runtime is Alice's, as the host site knows her: not the owner's, and not Bob's.
      const alice = await asHostUser(embedding, 'alice');
      expect(await alice.user()).toMatchObject({ name: 'Alice Archer' });
      const alices = await alice.runtimes();
      expect(alices).toHaveLength(1);
      const owners = (await (await fetch(`${bff.url}/api/runtimes`, { headers: { cookie: ownerCookie } })).json()) as {
        runtimes: Runtime[];
      };
      expect(owners.runtimes.map((r) => r.id)).not.toContain(alices[0]!.id);
      const bob = await asHostUser(embedding, 'bob');
      expect(await bob.runtimes()).toEqual([]);

      // Bob, signed in to the same page in the same tab, sees none of it.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signInToHost(page, 'Bob Baker');
      await expect.poll(() => page.getByRole('radio', { name: 'New' }).isChecked(), { timeout: TIMEOUT }).toBe(true);
      await page.getByRole('radio', { name: 'Existing' }).click();
      // Polled, not read once: until Bob's own list has loaded, and it is empty.
      await expect
        .poll(() => page.getByRole('combobox', { name: 'Runtime' }).innerText(), { timeout: TIMEOUT })
        .toContain('No runtimes yet');
      expect(await page.getByText(alices[0]!.name).count()).toBe(0);

      // No CSP violation, no failed request, no uncaught error on the strict page.
      expect(errors).toEqual([]);
    },
    60_000,
  );

  it('gets a fresh token from the host page when the BFF refuses one, and explains when the host can give none', async () => {
    const embedding = await startEmbedding();
    const { bff, site } = embedding;
    const { page, errors } = await newPage({ viewport: { width: 390, height: 800 } });
    await page.goto(site.url);
    await signInToHost(page, 'Bob Baker');
    await page.getByRole('radio', { name: 'New' }).waitFor({ timeout: TIMEOUT });

    // The token the chat holds stops working, as an expired one does: it asks the host page for
    // another and carries on, without the person noticing.
    await page.evaluate(() => {
      const chat = document.querySelector('remote-chat') as unknown as { tokenProvider: () => Promise<unknown> };
      const fromHost = chat.tokenProvider;
      const counter = window as unknown as { tokenRequests: number };
      counter.tokenRequests = 0;
      chat.tokenProvider = async () => (++counter.tokenRequests === 1 ? 'rcc_expired.token' : fromHost());
    });
    await sandboxRuntime.open(page, embedding);
    expect(await page.evaluate(() => (window as unknown as { tokenRequests: number }).tokenRequests)).toBe(2);

    // The owner revokes the host site's API token: the chat's token is refused, and the host's
    // backend can get no other. The chat says so instead of failing silently.
    const revoked = await fetch(`${bff.url}/api/tokens/${embedding.apiTokenId}`, {
      method: 'DELETE',
      headers: { cookie: embedding.ownerCookie },
    });
    expect(revoked.status).toBe(204);
    const lapse = page.evaluate(
      () =>
        new Promise<string>((resolve) =>
          document
            .querySelector('remote-chat')!
            .addEventListener('rc-token-expired', (e) => resolve((e as CustomEvent).detail.reason), { once: true }),
        ),
    );
    await page.getByRole('radio', { name: 'New' }).click();
    await page.getByRole('radio', { name: 'Local sandbox' }).check();
    await page.getByRole('button', { name: 'Create runtime' }).click();
    await page.getByRole('heading', { name: 'Your chat session has ended' }).waitFor({ timeout: TIMEOUT });
    expect(await lapse).toBe('refresh-failed');
    expect(await page.getByRole('alert').first().innerText()).toContain('The chat server refused');
    // Chromium logs each refused request; nothing else may go wrong.
    expect(errors.filter((e) => !/status of (401|502)/.test(e))).toEqual([]);
  });
});
