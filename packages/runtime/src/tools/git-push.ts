import { spawn } from 'node:child_process';
import {
  GIT_TOKEN_ENV,
  GIT_TOKEN_HELPER_ARGS,
  type EventBody,
  type WorkspacePushFrame,
  type WorkspacePushResultFrame,
} from '@remote-chat/protocol';

/** Who commits an agent's work when a person pushes it. */
export const AGENT_AUTHOR = { name: 'Remote Chat agent', email: 'agent@remote-chat.invalid' } as const;

interface GitRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs git in the workspace; `token` (for a push) only in that process's environment. */
function git(workspace: string, args: readonly string[], token?: string): Promise<GitRun> {
  return new Promise((resolve) => {
    const { GIT_ASKPASS: _askpass, SSH_ASKPASS: _ssh, ...env } = process.env;
    const child = spawn('git', args, {
      cwd: workspace,
      env: { ...env, GIT_TERMINAL_PROMPT: '0', ...(token !== undefined && { [GIT_TOKEN_ENV]: token }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-64_000)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-64_000)));
    child.once('error', (error) => resolve({ code: null, stdout, stderr: `${stderr}${error.message}` }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A failed push's reason and a sentence for the person. */
function pushFailure(stderr: string, branch: string): Pick<WorkspacePushResultFrame, 'reason' | 'error'> {
  if (/\[rejected\]|non-fast-forward|fetch first|failed to push some refs/i.test(stderr))
    return {
      reason: 'rejected',
      error: `Branch ${branch} already exists with other commits: push to a new branch name.`,
    };
  if (
    /Authentication failed|could not read Username|terminal prompts disabled|returned error: 40[134]|Permission to .* denied|Repository not found|repository '[^']*' not found/i.test(
      stderr,
    )
  )
    return {
      reason: 'no_access',
      error:
        'GitHub refused the push: your account may not push to this repository, or your sign-in expired. Sign in to GitHub again, or fork it.',
    };
  if (/Could not resolve host|Failed to connect|Connection refused|timed out|Network is unreachable/i.test(stderr))
    return { reason: 'network', error: 'The git host cannot be reached from the runtime; try again in a moment.' };
  return { reason: 'failed', error: `git push failed: ${stderr.trim().split('\n').slice(-3).join(' ')}` };
}

/**
 * Pushes the workspace to `refs/heads/<branch>` of `origin`: commits any changes first (as
 * {@link AGENT_AUTHOR}), then `git push` with the user's token handed to that one command through
 * its environment and an inline credential helper (never argv, a file or an agent's environment).
 * Shows it in the thread as a `git` tool card through `emit`, the token never in it.
 */
export async function pushWorkspace(
  workspace: string,
  frame: WorkspacePushFrame,
  emit: (event: EventBody) => void,
): Promise<WorkspacePushResultFrame> {
  const started = performance.now();
  const callId = `push-${frame.requestId}`;
  const refspec = `HEAD:refs/heads/${frame.branch}`;
  const hide = (text: string) => text.split(frame.token).join('***');
  emit({
    kind: 'tool.call',
    callId,
    tool: 'git',
    title: `git push origin ${refspec}`,
    input: { branch: frame.branch },
  });
  const output = (text: string, stream: 'stdout' | 'stderr' = 'stderr') => {
    if (text.trim()) emit({ kind: 'tool.output', callId, stream, data: hide(text).slice(-16_000) });
  };
  const finish = (result: Omit<WorkspacePushResultFrame, 'type' | 'requestId'>, exitCode: number | null) => {
    emit({
      kind: 'tool.result',
      callId,
      ok: result.ok,
      exitCode,
      durationMs: Math.round(performance.now() - started),
      ...(result.error !== undefined && { error: result.error }),
    });
    return { type: 'workspace.pushResult' as const, requestId: frame.requestId, ...result };
  };

  const base = (await git(workspace, ['branch', '--show-current'])).stdout.trim() || null;
  const status = await git(workspace, ['status', '--porcelain']);
  if (status.code !== 0) {
    output(status.stderr);
    return finish({ ok: false, reason: 'failed', error: 'The workspace is not a git repository.' }, status.code);
  }
  if (status.stdout.trim()) {
    const identity = ['-c', `user.name=${AGENT_AUTHOR.name}`, '-c', `user.email=${AGENT_AUTHOR.email}`];
    const added = await git(workspace, ['add', '-A']);
    const committed =
      added.code === 0 ? await git(workspace, [...identity, 'commit', '--quiet', '-m', frame.message]) : added;
    output(`$ git add -A && git commit -m ${JSON.stringify(frame.message)}\n${committed.stdout}${committed.stderr}`);
    if (committed.code !== 0)
      return finish(
        { ok: false, reason: 'failed', error: 'Committing the changes failed; see the output.' },
        committed.code,
      );
  }
  const pushed = await git(
    workspace,
    [...GIT_TOKEN_HELPER_ARGS, 'push', '--porcelain', 'origin', refspec],
    frame.token,
  );
  output(`${pushed.stdout}${pushed.stderr}`);
  if (pushed.code !== 0)
    return finish({ ok: false, ...pushFailure(pushed.stderr + pushed.stdout, frame.branch) }, pushed.code);
  const commit = (await git(workspace, ['rev-parse', 'HEAD'])).stdout.trim();
  return finish({ ok: true, commit, base }, 0);
}
