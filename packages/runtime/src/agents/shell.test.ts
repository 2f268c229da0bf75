import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS } from '@remote-chat/protocol';
import { ShellAgent, type ShellAgentOptions } from './shell.js';
import { commandEnv, groupAlive } from '../tools/terminal.js';
import { tempDirs } from '../test-support/temp.js';
import { ofKind, outputOf, resultOf, runTurn, type SeenEvent } from '../test-support/turns.js';
import { waitFor } from '../../../../test/support/wait.js';

const temp = tempDirs();
let workspace: string;
let outside: string;

function shell(options: Partial<ShellAgentOptions> = {}): ShellAgent {
  return new ShellAgent({ workspace, ...options });
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: workspace, encoding: 'utf8' });
}

beforeEach(async () => {
  workspace = await temp.make('rc-workspace-');
  outside = await temp.make('rc-outside-');
  await writeFile(path.join(outside, 'secret.txt'), 'do not read\n');
});
afterEach(() => temp.cleanup());

describe('shell agent: commands', () => {
  it('streams a command’s output as it happens, in order, and reports the exit code', async () => {
    const events = await runTurn(shell(), 'for i in 1 2 3; do echo "line $i"; sleep 0.1; done; echo oops >&2; exit 3');
    expect(events[0]).toMatchObject({ kind: 'status', state: 'running' });
    expect(events[1]).toMatchObject({
      kind: 'tool.call',
      tool: 'terminal',
      title: expect.stringContaining('for i in'),
      input: { command: expect.any(String) },
    });
    expect(events.at(-1)).toMatchObject({ kind: 'status', state: 'idle' });
    expect(outputOf(events)).toBe('line 1\nline 2\nline 3\n');
    expect(outputOf(events, 'stderr')).toBe('oops\n');
    const outputs = ofKind(events, 'tool.output');
    // Streamed: the lines arrived in separate events spread over time, not all at the end.
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    expect(outputs.at(-1)!.at - outputs[0]!.at).toBeGreaterThan(150);
    const result = resultOf(events);
    expect(result).toMatchObject({ ok: false, exitCode: 3, signal: null });
    expect(result.error).toBeUndefined();
    expect(result.durationMs).toBeGreaterThan(250);
    expect(events.indexOf(result)).toBeGreaterThan(events.indexOf(outputs.at(-1)!));
  });

  it('reports success for exit code 0 and runs in the workspace', async () => {
    const events = await runTurn(shell(), 'pwd');
    expect(outputOf(events).trim()).toBe(await realpathOf(workspace));
    expect(resultOf(events)).toMatchObject({ ok: true, exitCode: 0 });
  });

  it('coalesces a burst of output into few events no larger than the limit', async () => {
    const events = await runTurn(shell(), 'seq 1 200000');
    const expected = Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('');
    expect(outputOf(events)).toBe(expected);
    const outputs = ofKind(events, 'tool.output');
    expect(outputs.length).toBeLessThan(200);
    expect(Math.max(...outputs.map((o) => o.data.length))).toBeLessThanOrEqual(LIMITS.maxOutputChunkChars);
  });

  it('keeps multi-byte characters intact across chunk boundaries', async () => {
    const line = 'héllo wörld ✓ 🎉 日本語';
    const events = await runTurn(shell(), `for i in $(seq 1 5000); do echo '${line}'; done`);
    const output = outputOf(events);
    expect(output).not.toContain('\uFFFD');
    expect(output).toBe(`${line}\n`.repeat(5000));
  });

  it('gives commands colour-friendly settings and never the runtime token or the API token', async () => {
    const agent = shell({
      env: commandEnv({
        ...process.env,
        REMOTE_CHAT_RUNTIME_TOKEN: 'super-secret-token-value',
        REMOTE_CHAT_TOKEN: 'api-token-value-0123456789',
      }),
    });
    const events = await runTurn(
      agent,
      'echo "token=${REMOTE_CHAT_RUNTIME_TOKEN:-none} api=${REMOTE_CHAT_TOKEN:-none} term=$TERM color=$FORCE_COLOR"; test -t 0 || echo "no stdin"',
    );
    expect(outputOf(events)).toBe('token=none api=none term=xterm-256color color=1\nno stdin\n');
  });

  it('stops `sleep 60` within moments of a cancel, and its whole process group is gone', async () => {
    const controller = new AbortController();
    let pgid: number | undefined;
    const pending = runTurn(shell(), 'echo $$; sleep 60 & sleep 60; echo never', {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.kind === 'tool.output' && !pgid) pgid = Number(event.data.trim());
      },
    });
    await waitFor(() => pgid, 'the command to start');
    expect(groupAlive(pgid!)).toBe(true);
    const cancelledAt = Date.now();
    controller.abort();
    const events = await pending;
    expect(Date.now() - cancelledAt).toBeLessThan(1_500);
    expect(resultOf(events)).toMatchObject({ ok: false, error: 'cancelled', signal: 'SIGTERM', exitCode: null });
    expect(outputOf(events)).not.toContain('never');
    expect(groupAlive(pgid!)).toBe(false);
    expect(events.at(-1)).toMatchObject({ kind: 'status', state: 'idle' });
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    const controller = new AbortController();
    let pgid: number | undefined;
    const pending = runTurn(shell({ killGraceMs: 300 }), "trap '' TERM; echo $$; sleep 60", {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.kind === 'tool.output' && !pgid) pgid = Number(event.data.trim());
      },
    });
    await waitFor(() => pgid, 'the command to start');
    controller.abort();
    const events = await pending;
    expect(resultOf(events)).toMatchObject({ ok: false, error: 'cancelled', signal: 'SIGKILL' });
    expect(groupAlive(pgid!)).toBe(false);
  });

  it('stops a command at the time limit and says so', async () => {
    const events = await runTurn(shell({ commandTimeoutMs: 300 }), 'echo start; sleep 30');
    expect(outputOf(events)).toBe('start\n');
    const result = resultOf(events);
    expect(result).toMatchObject({ ok: false, error: 'timed out after 0.3 s', signal: 'SIGTERM' });
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('does not wait for background processes that keep the output open', async () => {
    const started = Date.now();
    const events = await runTurn(shell(), 'sleep 5 & echo $$');
    expect(Date.now() - started).toBeLessThan(2_000);
    const pgid = Number(outputOf(events).trim());
    expect(resultOf(events)).toMatchObject({ ok: true, exitCode: 0 });
    // The background process was left running, as in a terminal; the test cleans it up.
    expect(groupAlive(pgid)).toBe(true);
    process.kill(-pgid, 'SIGKILL');
  });

  it('runs a command line that starts with a path', async () => {
    const events = await runTurn(shell(), '/bin/echo from a path');
    expect(outputOf(events)).toBe('from a path\n');
  });
});

describe('shell agent: built-ins', () => {
  it('/help answers with the built-in commands as markdown', async () => {
    const events = await runTurn(shell(), '/help');
    const deltas = ofKind(events, 'message.delta');
    const [message] = ofKind(events, 'message.agent');
    expect(deltas.length).toBeGreaterThan(0);
    expect(message?.text).toBe(deltas.map((d) => d.text).join(''));
    for (const command of ['/ls', '/read', '/write', '/diff', '/help']) expect(message?.text).toContain(command);
    expect(events.indexOf(deltas[0]!)).toBeLessThan(events.indexOf(message!));
  });

  it('an unknown /command says so and points at /help', async () => {
    const events = await runTurn(shell(), '/frobnicate now');
    const [message] = ofKind(events, 'message.agent');
    expect(message?.text).toContain('/frobnicate');
    expect(message?.text).toContain('/help');
    expect(ofKind(events, 'tool.call')).toHaveLength(0);
  });

  it('/write creates a file (and its folders) and shows the diff', async () => {
    const events = await runTurn(shell(), '/write src/hello.txt\nline one\nline two\n');
    expect(await readFile(path.join(workspace, 'src/hello.txt'), 'utf8')).toBe('line one\nline two\n');
    expect(ofKind(events, 'tool.call')[0]).toMatchObject({ tool: 'write', input: { path: 'src/hello.txt' } });
    const [write] = ofKind(events, 'file.write');
    expect(write).toMatchObject({ path: 'src/hello.txt', created: true, bytes: 18, callId: resultOf(events).callId });
    expect(write?.diff).toContain('--- a/src/hello.txt');
    expect(write?.diff).toContain('+++ b/src/hello.txt');
    expect(write?.diff).toContain('+line one');
    expect(resultOf(events).ok).toBe(true);

    const again = await runTurn(shell(), '/write src/hello.txt\nline one\nline 2\n');
    const [change] = ofKind(again, 'file.write');
    expect(change).toMatchObject({ created: false });
    expect(change?.diff).toContain('-line two');
    expect(change?.diff).toContain('+line 2');
    expect(change?.diff).not.toContain('-line one');

    const same = await runTurn(shell(), '/write src/hello.txt\nline one\nline 2\n');
    expect(ofKind(same, 'file.write')[0]?.diff).toBe('');
  });

  it('/write without content explains its usage', async () => {
    const events = await runTurn(shell(), '/write only-a-path.txt');
    expect(ofKind(events, 'message.agent')[0]?.text).toContain('Usage');
  });

  it('/read shows a text file', async () => {
    await writeFile(path.join(workspace, 'notes.md'), '# Notes\nsome text\n');
    const events = await runTurn(shell(), '/read notes.md');
    expect(ofKind(events, 'tool.call')[0]).toMatchObject({ tool: 'read', input: { path: 'notes.md' } });
    expect(outputOf(events)).toBe('# Notes\nsome text\n');
    expect(resultOf(events).ok).toBe(true);
  });

  it('/read says a binary file is not shown', async () => {
    await writeFile(path.join(workspace, 'image.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
    const events = await runTurn(shell(), '/read image.bin');
    expect(outputOf(events)).toBe('');
    expect(resultOf(events)).toMatchObject({ ok: false, error: expect.stringContaining('binary') });
  });

  it('/read shows the start of a big file and says it was cut', async () => {
    await writeFile(path.join(workspace, 'big.txt'), 'x'.repeat(100_000));
    const events = await runTurn(shell({ maxReadBytes: 1000 }), '/read big.txt');
    expect(outputOf(events)).toBe('x'.repeat(1000));
    expect(outputOf(events, 'stderr')).toContain('first 1000 B of 98 KB');
  });

  it('/read of a missing file fails with the path the user gave', async () => {
    const events = await runTurn(shell(), '/read nope.txt');
    expect(resultOf(events)).toMatchObject({ ok: false, error: 'nope.txt: no such file or folder' });
  });

  it('/ls lists folders first, then files with sizes', async () => {
    await mkdir(path.join(workspace, 'src'));
    await writeFile(path.join(workspace, 'a.txt'), 'hello');
    await writeFile(path.join(workspace, 'src/b.txt'), 'b');
    const root = await runTurn(shell(), '/ls');
    expect(outputOf(root)).toBe('src/\na.txt  5 B\n');
    expect(ofKind(root, 'tool.call')[0]).toMatchObject({ tool: 'list' });
    const sub = await runTurn(shell(), '/ls src');
    expect(outputOf(sub)).toBe('b.txt  1 B\n');
  });

  it('refuses paths that leave the workspace, through .. or a symlink', async () => {
    await symlink(outside, path.join(workspace, 'elsewhere'));
    await symlink(path.join(outside, 'secret.txt'), path.join(workspace, 'secret-link'));
    await symlink(path.join(outside, 'missing.txt'), path.join(workspace, 'dangling'));
    const attempts = [
      `/read ../${path.basename(outside)}/secret.txt`,
      `/read ${path.join(outside, 'secret.txt')}`,
      '/read secret-link',
      '/read elsewhere/secret.txt',
      '/ls elsewhere',
      '/ls ..',
      '/write elsewhere/new.txt\nowned\n',
      '/write dangling\nowned\n',
      '/write ../escape.txt\nowned\n',
    ];
    for (const attempt of attempts) {
      const events = await runTurn(shell(), attempt);
      const result = resultOf(events);
      expect(result.ok, attempt).toBe(false);
      expect(result.error, attempt).toMatch(/^refused ".*": /);
      expect(outputOf(events), attempt).toBe('');
    }
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('do not read\n');
    await expect(readFile(path.join(outside, 'new.txt'))).rejects.toThrow();
    await expect(readFile(path.join(outside, 'missing.txt'))).rejects.toThrow();
  });

  it('follows symlinks that stay inside the workspace', async () => {
    await mkdir(path.join(workspace, 'real'));
    await writeFile(path.join(workspace, 'real/file.txt'), 'inside\n');
    await symlink(path.join(workspace, 'real'), path.join(workspace, 'alias'));
    const events = await runTurn(shell(), '/read alias/file.txt');
    expect(outputOf(events)).toBe('inside\n');
  });

  it('writes through symlinks that stay inside the workspace, and refuses a symlink loop and a FIFO without hanging', async () => {
    await mkdir(path.join(workspace, 'real'));
    await symlink('real', path.join(workspace, 'alias'));
    await symlink('../real/target.txt', path.join(workspace, 'real/link.txt'));
    await symlink('loop-b', path.join(workspace, 'loop-a'));
    await symlink('loop-a', path.join(workspace, 'loop-b'));
    execFileSync('mkfifo', [path.join(workspace, 'pipe')]);

    expect(resultOf(await runTurn(shell(), '/write alias/link.txt\nthrough two links\n')).ok).toBe(true);
    expect(await readFile(path.join(workspace, 'real/target.txt'), 'utf8')).toBe('through two links\n');
    expect(outputOf(await runTurn(shell(), '/ls alias'))).toBe('link.txt -> ../real/target.txt\ntarget.txt  18 B\n');

    const loop = resultOf(await runTurn(shell(), '/read loop-a/x'));
    expect(loop).toMatchObject({ ok: false, error: 'refused "loop-a/x": too many symlinks on the path' });
    const fifo = resultOf(await runTurn(shell(), '/read pipe'));
    expect(fifo).toMatchObject({ ok: false, error: 'pipe is not a regular file' });
  });

  it('/diff shows changed and new files without staging anything', async () => {
    git('init', '-q');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'Test');
    await writeFile(path.join(workspace, 'tracked.txt'), 'old line\n');
    await writeFile(path.join(workspace, 'staged.txt'), 'first\n');
    git('add', '.');
    git('commit', '-qm', 'initial');
    await writeFile(path.join(workspace, 'tracked.txt'), 'new line\n');
    await writeFile(path.join(workspace, 'staged.txt'), 'second\n');
    git('add', 'staged.txt');
    await mkdir(path.join(workspace, 'docs'));
    await writeFile(path.join(workspace, 'docs/brand-new.md'), 'hello new file\n');
    const statusBefore = git('status', '--porcelain');

    const events = await runTurn(shell(), '/diff');
    const output = stripAnsi(outputOf(events));
    expect(ofKind(events, 'tool.call')[0]).toMatchObject({ tool: 'terminal', title: 'git diff' });
    expect(output).toContain('-old line');
    expect(output).toContain('+new line');
    expect(output).toContain('+second');
    expect(output).toContain('docs/brand-new.md');
    expect(output).toContain('+hello new file');
    expect(resultOf(events)).toMatchObject({ ok: true, exitCode: 0 });
    // What the user staged, and did not, is as it was.
    expect(git('status', '--porcelain')).toBe(statusBefore);
    expect(statusBefore).toContain('?? docs/');
  });

  it('/diff in a fresh repository shows the new files, and "No changes." when clean', async () => {
    git('init', '-q');
    await writeFile(path.join(workspace, 'first.txt'), 'one\n');
    const events = await runTurn(shell(), '/diff');
    expect(stripAnsi(outputOf(events))).toContain('+one');

    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'Test');
    git('add', '.');
    git('commit', '-qm', 'initial');
    const clean = await runTurn(shell(), '/diff');
    expect(outputOf(clean)).toBe('No changes.\n');
  });

  it('/diff outside a git repository says so', async () => {
    const events = await runTurn(shell(), '/diff');
    expect(outputOf(events, 'stderr')).toContain('not a git repository');
    expect(resultOf(events).ok).toBe(false);
  });
});

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

async function realpathOf(dir: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(dir);
}

export type { SeenEvent };
