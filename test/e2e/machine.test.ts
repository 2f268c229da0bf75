import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runtime } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { signIn } from '../support/bff.js';
import { spawnBff } from '../support/bff-process.js';
import { newPage } from '../support/browser.js';
import { freePort, project, startConnect } from '../support/machine.js';
import { tempDir } from '../support/temp-dir.js';

const TIMEOUT = 20_000;

describe('your own machine', () => {
  it('connects folders, survives a BFF restart with the same id, follows a folder switch, and runs a command from Chromium', async () => {
    const dataDir = tempDir();
    const home = tempDir('rc-home-');
    const port = await freePort();
    let bff = await spawnBff(['--data-dir', dataDir, '--port', String(port)]);
    const cookie = await signIn(bff.signinLink);
    const api = async <T>(path: string, body?: unknown): Promise<T> =>
      (await (
        await fetch(`${bff.url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        })
      ).json()) as T;
    const { token } = await api<{ token: string }>('/api/tokens', { name: 'laptop' });
    const machines = async () =>
      (await api<{ runtimes: Runtime[] }>('/api/runtimes')).runtimes.filter((r) => r.kind === 'machine');
    const until = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
      const deadline = Date.now() + TIMEOUT;
      for (;;) {
        const value = await read().catch(() => undefined);
        if (value !== undefined && done(value)) return value;
        if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(value)}\n${connect.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const alpha = project(home, 'alpha', 'https://github.com/octo/alpha.git');
    const beta = project(home, 'beta', 'https://github.com/octo/beta.git');
    const config = join(home, '.config', 'remote-chat', 'config.json');
    mkdirSync(join(home, '.config', 'remote-chat'), { recursive: true });
    writeFileSync(config, JSON.stringify({ url: bff.url, folders: [alpha] }));
    const connect = startConnect([], { HOME: home, REMOTE_CHAT_TOKEN: token });

    const [first] = await until(machines, (list) => list.some((r) => r.status === 'ready' && r.project === 'alpha'));
    expect(first).toMatchObject({
      kind: 'machine',
      project: 'alpha',
      gitRemote: 'https://github.com/octo/alpha.git',
      status: 'ready',
      link: 'open',
      machine: { name: expect.any(String) },
    });
    expect(connect.output()).not.toContain(token);

    // The BFF dies and comes back: the machine reconnects by itself, with the same runtime id.
    bff.child.kill('SIGKILL');
    await bff.exited;
    bff = await spawnBff(['--data-dir', dataDir, '--port', String(port)]);
    const back = await until(machines, (list) =>
      list.some((r) => r.id === first!.id && r.status === 'ready' && r.link === 'open'),
    );
    expect(back.map((r) => r.id)).toEqual([first!.id]);

    // The user switches project: the config now lists beta, which appears with an id of its own.
    writeFileSync(config, JSON.stringify({ url: bff.url, folders: [beta] }));
    const switched = await until(
      machines,
      (list) =>
        list.some((r) => r.project === 'beta' && r.status === 'ready') &&
        list.some((r) => r.id === first!.id && r.status === 'offline'),
    );
    const betaRuntime = switched.find((r) => r.project === 'beta')!;
    expect(betaRuntime.id).not.toBe(first!.id);
    expect(betaRuntime.machine?.id).toBe(first!.machine?.id);

    // Chat with beta from a phone-width Chromium: the command runs in that folder.
    const { page, errors } = await newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(await newSigninLink(dataDir, bff.url));
    await page.getByRole('combobox', { name: 'Runtime' }).click();
    await page.getByRole('option', { name: /beta/ }).click();
    const composer = page.getByRole('textbox', { name: 'Message' });
    await composer.waitFor({ timeout: TIMEOUT });
    await until(
      async () => composer.isEnabled(),
      (enabled) => enabled,
    );
    await composer.fill('pwd && git remote get-url origin');
    await composer.press('Enter');
    const card = page.getByRole('region', { name: 'Command: pwd && git remote get-url origin' });
    await card.getByText('Exit 0').waitFor({ timeout: TIMEOUT });
    const output = await card.getByRole('group', { name: 'Output' }).innerText();
    expect(output).toContain(beta);
    expect(output).toContain('https://github.com/octo/beta.git');
    expect(errors).toEqual([]);
  });
});

/** A fresh one-time sign-in link from the running server's data directory. */
async function newSigninLink(dataDir: string, url: string): Promise<string> {
  const bffCli = fileURLToPath(new URL('../../packages/bff/dist/cli.js', import.meta.url));
  return execFileSync(process.execPath, [bffCli, 'signin-link', '--url', url, '--data-dir', dataDir], {
    encoding: 'utf8',
  }).trim();
}
