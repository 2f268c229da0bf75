import { existsSync } from 'node:fs';
import { ProcessProvider, type ProviderState, type StartContext, type StartedRuntime } from '@remote-chat/bff';
import {
  PushResponseSchema,
  type EventPageResponse,
  type LogPageResponse,
  type Runtime,
  type ThreadEvent,
} from '@remote-chat/protocol';
import { expect, test } from 'vitest';
import { clientId, readyRuntime, type TestBff } from './support/bff.js';
import { APP_REPO, startGitHubWorld } from './support/github-world.js';
import { capturedLogger, filesHolding, processesHolding } from './support/secret-scan.js';
import { tempDir } from './support/temp-dir.js';
import { waitFor } from './support/wait.js';

/** Sends a shell command line to the thread and returns what it printed once it ended. */
async function run(bff: TestBff, threadId: string, command: string): Promise<string> {
  const sent = await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: command } });
  expect(sent.status).toBe(202);
  const { event } = (await sent.json()) as { event: ThreadEvent };
  for (;;) {
    const page = (await (
      await bff.api(`/api/threads/${threadId}/events?after=${event.seq}`)
    ).json()) as EventPageResponse;
    const result = page.events.find((e) => e.kind === 'tool.result');
    if (result) {
      return page.events.flatMap((e) => (e.kind === 'tool.output' ? [e.data] : [])).join('');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The runtime's log until its status is ready or failed. */
async function settle(bff: TestBff, runtimeId: string): Promise<{ status: string; log: LogPageResponse['entries'] }> {
  for (;;) {
    const runtime = (await (await bff.api(`/api/runtimes/${runtimeId}`)).json()) as Runtime;
    if (runtime.status === 'ready' || runtime.status === 'failed') {
      const log = (await (await bff.api(`/api/runtimes/${runtimeId}/log`)).json()) as LogPageResponse;
      return { status: runtime.status, log: log.entries };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function cloneStep(log: LogPageResponse['entries']) {
  return log.find((e) => e.kind === 'step' && e.step === 'clone' && e.state !== 'started');
}

test('clones a private repository’s branch with the token, and pushes the agent’s work to a new branch; the token is left nowhere', async () => {
  const { logger, lines } = capturedLogger();
  const { github, git, bff } = await startGitHubWorld({ bff: { logger } });
  const token = github.issueToken();

  const { runtime, threadId } = await readyRuntime(bff, 'process', {
    repo: APP_REPO,
    branch: 'feature',
    githubToken: token,
  });
  const { log } = await settle(bff, runtime.id);
  const clone = cloneStep(log);
  expect(clone).toMatchObject({ state: 'ok' });
  expect(clone?.kind === 'step' && clone.detail).toMatch(/^acme\/app@feature\n(.|\n)*Receiving objects: 100%/);
  // The git server was asked with the token (Basic auth), as GitHub is.
  expect(git.requests.some((r) => r.authorized)).toBe(true);

  expect(await run(bff, threadId, 'git log -1 --format=%s')).toBe('feature: feature.txt\n');
  expect(await run(bff, threadId, 'git branch --show-current')).toBe('feature\n');
  // Nothing of the credential helper (nor the token) stayed in the workspace's git config.
  expect(await run(bff, threadId, 'git config --local --list | grep -ci credential || true')).toBe('0\n');

  await run(bff, threadId, 'echo "the agent was here" > work.txt');
  const pushed = await bff.api(`/api/threads/${threadId}/push`, {
    body: { branch: 'rc/agent-work', token, message: 'Work from the agent' },
  });
  expect(pushed.status).toBe(200);
  const result = PushResponseSchema.parse(await pushed.json());
  expect(git.revParse(APP_REPO, 'refs/heads/rc/agent-work')).toBe(result.commit);
  expect(git.subject(APP_REPO, 'refs/heads/rc/agent-work')).toBe('Work from the agent');
  expect(git.pushes).toEqual([{ repo: APP_REPO, user: 'x-access-token' }]);
  expect(result.pullRequestUrl).toBe(`${github.url}/${APP_REPO}/compare/feature...rc/agent-work?expand=1`);

  // The push is a git tool card in the thread, its command shown without the token.
  const events = ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as EventPageResponse).events;
  const call = events.find((e) => e.kind === 'tool.call' && e.tool === 'git');
  expect(call).toMatchObject({ title: 'git push origin HEAD:refs/heads/rc/agent-work' });
  expect(
    events.find((e) => e.kind === 'tool.result' && call?.kind === 'tool.call' && e.callId === call.callId),
  ).toMatchObject({
    ok: true,
  });
  const author = await run(bff, threadId, 'git log -1 --format=%an');
  expect(author).toBe('Remote Chat agent\n');

  // Secrets: not in any file of the data directory (database and WAL, workspace and .git, runtime log)…
  expect(filesHolding(bff.dataDir, [token])).toEqual([]);
  // …nor in the environment of the runtime or any process it started…
  const record = await bff.server.chat.store.getRuntime(runtime.id);
  const pid = Number((record?.providerState as { pid?: number } | undefined)?.pid);
  expect(existsSync(`/proc/${pid}/environ`)).toBe(true);
  expect(processesHolding(pid, [token])).toEqual([]);
  // …nor in any line the BFF logged, at trace level.
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((line) => line.includes(token))).toEqual([]);
});

test('a public repository clones without a token, on its default branch', async () => {
  const { git, bff } = await startGitHubWorld();
  const { threadId } = await readyRuntime(bff, 'process', { repo: 'acme/public-lib' });
  expect(await run(bff, threadId, 'git branch --show-current && cat lib.txt')).toBe('main\nshared\n');
  expect(git.requests.every((r) => !r.authorized)).toBe(true);
});

test('the clone step fails with what to do: no access, branch gone, too large, rate limit, network failure', async () => {
  const { github, git, bff } = await startGitHubWorld({ maxRepoMb: 0.2 });
  const failure = async (request: Record<string, unknown>) => {
    const created = await bff.api('/api/runtimes', { body: { provider: 'process', ...request } });
    expect(created.status).toBe(201);
    const { status, log } = await settle(bff, ((await created.json()) as Runtime).id);
    expect(status).toBe('failed');
    const step = cloneStep(log);
    expect(step).toMatchObject({ state: 'failed' });
    return step?.kind === 'step' ? (step.detail ?? '') : '';
  };
  expect(await failure({ repo: APP_REPO })).toMatch(/^No access to acme\/app: .*Sign in to GitHub/);
  expect(await failure({ repo: 'acme/public-lib', branch: 'gone' })).toMatch(
    /^Branch gone is gone from acme\/public-lib/,
  );
  const token = github.issueToken();
  expect(await failure({ repo: APP_REPO, githubToken: token })).toMatch(
    /too large to clone here: about 0.3 MB, and this server clones repositories up to 0.2 MB \(REMOTE_CHAT_GITHUB_MAX_REPO_MB\)/,
  );
  github.exhaustRateLimit(token);
  expect(await failure({ repo: APP_REPO, githubToken: token })).toMatch(
    new RegExp(`rate limit is used up; try again after ${new Date(github.resetAt * 1000).toISOString()}`),
  );
  // The git host gone (GitHub's API still answers), then GitHub's API gone too.
  await git.close();
  expect(await failure({ repo: 'acme/public-lib' })).toBe(
    'The git host cannot be reached to clone acme/public-lib (a network failure); try again in a moment.',
  );
  await github.close();
  expect(await failure({ repo: 'acme/public-lib' })).toBe(
    'Cannot clone acme/public-lib: GitHub cannot be reached from the server; try again in a moment.',
  );
});

test('a push with a token that may not push is refused as github_unauthorized and leaves no branch', async () => {
  const { github, git, bff } = await startGitHubWorld();
  const token = github.issueToken();
  const { threadId } = await readyRuntime(bff, 'process', { repo: APP_REPO, githubToken: token });
  github.revoke(token);
  const pushed = await bff.api(`/api/threads/${threadId}/push`, { body: { branch: 'rc/nope', token } });
  expect(pushed.status, await pushed.clone().text()).toBe(403);
  expect(((await pushed.json()) as { error: { code: string } }).error.code).toBe('github_unauthorized');
  expect(git.revParse(APP_REPO, 'refs/heads/rc/nope')).toBeNull();
});

/**
 * A provider whose runtimes pause: the Local process provider, pausing by stopping the runtime
 * (its workspace kept) and resuming by starting it again, as a platform that keeps files does.
 */
class PausableProcessProvider extends ProcessProvider {
  override readonly id = 'pausable';
  override readonly label = 'Pausable process';
  async pause(state: ProviderState): Promise<ProviderState> {
    await this.stop(state);
    return state;
  }
  resume(context: StartContext, state: ProviderState): Promise<StartedRuntime> {
    return this.start(context, state);
  }
}

test('a push to a paused runtime resumes it first, then pushes', async () => {
  const dataDir = tempDir('rc-pausable-');
  const { github, git, bff } = await startGitHubWorld({
    bff: {
      dataDir,
      configuredProviders: [new PausableProcessProvider({ dataDir })],
      idleTimeoutMs: 1_500,
      idleCheckMs: 100,
    },
  });
  const token = github.issueToken();
  const { runtime, threadId } = await readyRuntime(bff, 'pausable', { repo: APP_REPO, githubToken: token });
  await run(bff, threadId, 'echo "done before the pause" > paused.txt');
  await waitFor(
    async () => ((await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status === 'paused',
    'the runtime paused when idle',
    20_000,
  );
  const pushed = await bff.api(`/api/threads/${threadId}/push`, { body: { branch: 'rc/after-pause', token } });
  expect(pushed.status, await pushed.clone().text()).toBe(200);
  const { commit } = PushResponseSchema.parse(await pushed.json());
  expect(git.revParse(APP_REPO, 'refs/heads/rc/after-pause')).toBe(commit);
  expect(((await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime).status).toBe('ready');
});
