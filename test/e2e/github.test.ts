// GitHub in Chromium, end to end: a real BFF configured to the GitHub stand-in (OAuth and REST)
// and a git server that checks tokens, the portal signing in to GitHub through its popup, cloning a
// private repository's non-default branch into a Local process runtime, a thread started from an
// open issue, and the workspace pushed to a new branch with the push dialog.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeListResponse } from '@remote-chat/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { composerReady, newContext } from '../support/browser.js';
import { APP_REPO, startGitHubWorld } from '../support/github-world.js';
import { capturedLogger, filesHolding, processesHolding } from '../support/secret-scan.js';

const TIMEOUT = 20_000;

/** Sends a command line from the composer and returns what it printed once it exited 0. */
async function run(page: Page, command: string): Promise<string> {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(command);
  await composer.press('Enter');
  const card = page.getByRole('region', { name: `Command: ${command}` });
  await card.getByText('Exit 0').waitFor({ timeout: TIMEOUT });
  const output = card.getByRole('group', { name: 'Output' });
  // A command that printed nothing has no output.
  return (await output.count()) ? output.innerText() : '';
}

describe('GitHub in Chromium', () => {
  it('signs in through the popup, clones a branch it searched for, starts a thread from an issue and pushes to a new branch', async () => {
    const { logger, lines } = capturedLogger();
    const { github, git, bff } = await startGitHubWorld({
      bff: { logger },
      extraRepos: [
        { fullName: 'acme/website', private: false, branches: ['main'] },
        { fullName: 'acme/infra', private: true, branches: ['main'] },
      ],
    });
    const context = await newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(await bff.server.signinLink());

    // 1. Sign in to GitHub through the popup, which closes itself once it handed the token over.
    await page.getByRole('radio', { name: 'New' }).click();
    await page.getByRole('radio', { name: 'Local process' }).check();
    await page.getByRole('button', { name: 'Select repository' }).click();
    const popupOpened = context.waitForEvent('page', { timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Sign in with GitHub' }).click();
    const popup = await popupOpened;
    if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: TIMEOUT });
    expect(github.authorizeRequests).toHaveLength(1);
    expect(github.authorizeRequests[0]).toMatchObject({ redirectUri: `${bff.url}/api/github/oauth/callback` });
    expect(github.tokens).toHaveLength(1);

    // Search by typing: only the matching repository stays listed.
    const repos = page.getByRole('list', { name: 'Repositories' });
    await repos.getByRole('button', { name: /acme\/website/ }).waitFor({ timeout: TIMEOUT });
    await page.getByRole('searchbox', { name: 'Search repositories' }).pressSequentially('app');
    await expect
      .poll(() => repos.getByRole('button').allInnerTexts(), { timeout: TIMEOUT })
      // Its name, then its "private" badge.
      .toEqual([expect.stringMatching(/^acme\/app\s*private$/)]);
    await repos.getByRole('button', { name: /acme\/app/ }).click();

    // A branch that is not the default one.
    const branch = page.getByRole('combobox', { name: /^Branch/ });
    await branch.locator('option[value="feature"]').waitFor({ state: 'attached', timeout: TIMEOUT });
    await branch.selectOption('feature');
    await page.getByRole('button', { name: 'Use repository' }).click();
    await page.getByRole('button', { name: 'acme/app · feature' }).waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Create runtime' }).click();

    const log = page.getByRole('log', { name: 'Sandbox log' });
    await log.locator('[data-step="ready"][data-state="ok"]').waitFor({ timeout: TIMEOUT });
    const clone = log.locator('[data-step="clone"][data-state="ok"]');
    expect(await clone.count()).toBe(1);
    await clone.locator('summary').click();
    expect(await clone.innerText()).toContain('acme/app@feature');
    // The clone asked the git server with the token, as GitHub's git host is asked.
    expect(git.requests.some((r) => r.authorized)).toBe(true);

    // 2. The workspace is that branch, at its commit.
    await composerReady(page);
    expect(await run(page, 'git log -1 --format=%s')).toContain('feature: feature.txt');
    expect((await run(page, 'git branch --show-current')).trim()).toBe('feature');
    await run(page, 'echo "made in the chat" > chat.txt');

    // 3. A thread from an open issue (the pull request mixed into the issues is not offered).
    await page.getByRole('button', { name: 'acme/app · feature' }).click();
    await repos.getByRole('button', { name: /acme\/app/ }).click();
    const issues = page.getByRole('list', { name: 'Open issues' });
    await issues.getByRole('button', { name: '#7 Crash on start' }).waitFor({ timeout: TIMEOUT });
    expect(await issues.getByRole('button', { name: /Add dark mode/ }).count()).toBe(0);
    await issues.getByRole('button', { name: '#7 Crash on start' }).click();
    await page.getByRole('button', { name: 'Use repository' }).click();

    const composer = page.getByRole('textbox', { name: 'Message' });
    await expect.poll(() => composer.inputValue(), { timeout: TIMEOUT }).toMatch(/^Crash on start/);
    expect(await composer.inputValue()).toContain('It crashes when started without a config.');
    const issueLink = page.getByRole('link', { name: /Issue #7/ });
    await issueLink.waitFor({ timeout: TIMEOUT });
    expect(await issueLink.getAttribute('href')).toBe(`${github.url}/${APP_REPO}/issues/7`);

    // 4. Push the workspace to a new branch.
    await page.getByRole('button', { name: 'Push to branch…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Push to branch' });
    const branchField = dialog.getByRole('textbox', { name: /^Branch/ });
    // Named after the thread, which is named after the issue.
    expect(await branchField.inputValue()).toMatch(/^remote-chat\/.*crash-on-start$/);
    await branchField.fill('rc/crash-on-start');
    await dialog.getByRole('textbox', { name: /^Commit message/ }).fill('Fix the crash on start');
    await dialog.getByRole('button', { name: 'Push', exact: true }).click();
    const pullRequest = dialog.getByRole('link', { name: 'Open a pull request' });
    await pullRequest.waitFor({ timeout: TIMEOUT });
    expect(await pullRequest.getAttribute('href')).toBe(
      `${github.url}/${APP_REPO}/compare/feature...rc/crash-on-start?expand=1`,
    );

    // The git server has the branch, with the chat's file in its commit.
    expect(git.pushes).toEqual([{ repo: APP_REPO, user: 'x-access-token' }]);
    expect(git.revParse(APP_REPO, 'refs/heads/rc/crash-on-start')).toMatch(/^[0-9a-f]{40}$/);
    expect(git.subject(APP_REPO, 'refs/heads/rc/crash-on-start')).toBe('Fix the crash on start');
    const files = execFileSync(
      'git',
      [
        '--git-dir',
        join(git.root, `${APP_REPO}.git`),
        'show',
        '--format=',
        '--name-only',
        'refs/heads/rc/crash-on-start',
      ],
      { encoding: 'utf8' },
    );
    expect(files.split('\n').filter(Boolean)).toEqual(['chat.txt']);
    // On top of the branch it was cloned from.
    const feature = git.revParse(APP_REPO, 'refs/heads/feature');
    expect(feature).toMatch(/^[0-9a-f]{40}$/);
    expect(git.revParse(APP_REPO, 'refs/heads/rc/crash-on-start^')).toBe(feature);

    // 5. Secrets: the token is in this browser's IndexedDB and nowhere else the page keeps things…
    const [token] = github.tokens;
    expect(token).toBeTruthy();
    const kept = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('remote-chat');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const values = await new Promise<unknown[]>((resolve, reject) => {
        const all = db.transaction('keyval').objectStore('keyval').getAll();
        all.onsuccess = () => resolve(all.result);
        all.onerror = () => reject(all.error);
      });
      db.close();
      return {
        indexedDb: JSON.stringify(values),
        elsewhere: JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]),
      };
    });
    expect(kept.indexedDb).toContain(token);
    expect(kept.elsewhere).not.toContain(token);
    // …in no file of the data directory (database and WAL, the workspace and its .git, the runtime's log)…
    expect(filesHolding(bff.dataDir, [token!])).toEqual([]);
    // …in the environment of neither the runtime nor anything it started…
    const { runtimes } = (await (await bff.api('/api/runtimes')).json()) as RuntimeListResponse;
    expect(runtimes).toHaveLength(1);
    const record = await bff.server.chat.store.getRuntime(runtimes[0]!.id);
    const pid = Number((record?.providerState as { pid?: number } | undefined)?.pid);
    expect(existsSync(`/proc/${pid}/environ`)).toBe(true);
    expect(processesHolding(pid, [token!])).toEqual([]);
    // …and in no line the BFF logged, at trace level.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.includes(token!))).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);
});
