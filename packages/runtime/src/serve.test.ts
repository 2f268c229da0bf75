import { spawnSync } from 'node:child_process';
import { access, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '@remote-chat/protocol';
import { LinkHandshakeError, dialLink } from '@remote-chat/link';
import { groupAlive } from './tools/terminal.js';
import { RUNTIME_VERSION } from './version.js';
import { bffSession } from './test-support/bff-session.js';
import { ensureBundle } from './test-support/bundle.js';
import { killAll, startServe, type ServeProcess } from './test-support/serve-process.js';
import { tempDirs } from './test-support/temp.js';
import { waitFor } from '../../../test/support/wait.js';

const RUNTIME_ID = 'rt_serve_test';
const TOKEN = 'serve-test-token-0123456789';
const temp = tempDirs();
let bundle: string;

beforeAll(() => {
  bundle = ensureBundle();
});

afterEach(async () => {
  await killAll();
  await temp.cleanup();
});

type Started = ServeProcess & { stateDir: string; workspace: string };

async function startRuntime(extraArgs: string[] = []): Promise<Started> {
  const workspace = await temp.make('rc-serve-ws-');
  const stateDir = path.join(await temp.make('rc-serve-state-'), 'state');
  spawnSync('git', ['init', '-q'], { cwd: workspace });
  spawnSync('git', ['remote', 'add', 'origin', 'https://token-user:secret@example.com/acme/app.git'], {
    cwd: workspace,
  });
  const started = await startServe({
    bundle,
    workspace,
    stateDir,
    runtimeId: RUNTIME_ID,
    token: TOKEN,
    args: extraArgs,
  });
  return { ...started, stateDir, workspace };
}

describe('remote-chat-runtime serve', () => {
  it('runs a command for a BFF that dials in and streams its output live', async () => {
    const runtime = await startRuntime();
    expect(runtime.info).toMatchObject({ pid: runtime.child.pid, host: '127.0.0.1', version: RUNTIME_VERSION });
    await waitFor(() => runtime.stdout().includes('\n'), 'the listening line');
    expect(JSON.parse(runtime.stdout().trim())).toEqual({ listening: runtime.info.port, pid: runtime.child.pid });

    const health = await fetch(`http://127.0.0.1:${runtime.info.port}/healthz`).then((r) => r.json());
    expect(health).toEqual({ ok: true, runtimeId: RUNTIME_ID, version: RUNTIME_VERSION });

    const bff = bffSession();
    await dialLink({
      url: `ws://127.0.0.1:${runtime.info.port}/link`,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: bff.session,
    });
    const info = await waitFor(
      () => bff.received.find((r) => r.message.type === 'runtime.info')?.message,
      'runtime.info',
    );
    expect(info).toEqual({
      type: 'runtime.info',
      version: RUNTIME_VERSION,
      agents: [
        { id: 'shell', label: 'Shell', kind: 'built-in' },
        { id: 'llm', label: 'LLM', kind: 'built-in', modelAccess: 'gateway' },
      ],
      project: path.basename(runtime.workspace),
      gitRemote: 'https://example.com/acme/app.git',
    });

    bff.session.send({
      type: 'message.send',
      threadId: 'th_1',
      seq: 1,
      clientId: 'c1',
      text: 'echo hello && sleep 1 && echo world',
      agent: 'shell',
    });
    await waitFor(
      () => bff.events('th_1').some((e) => e.kind === 'status' && e.state === 'idle'),
      'the command to finish',
      10_000,
    );
    const outputs = bff.events('th_1').filter((e) => e.kind === 'tool.output');
    const hello = outputs.find((e) => e.kind === 'tool.output' && e.data.includes('hello'));
    const world = outputs.find((e) => e.kind === 'tool.output' && e.data.includes('world'));
    expect(hello && world).toBeTruthy();
    expect(world!.at - hello!.at).toBeGreaterThan(700);
    expect(bff.events('th_1').find((e) => e.kind === 'tool.result')).toMatchObject({ ok: true, exitCode: 0 });
    // The runtime acknowledged the message, so the BFF keeps nothing.
    await waitFor(() => bff.session.pending === 0, 'the ack');

    const closedBy = new Promise<string | undefined>((resolve) =>
      bff.session.onState((state, detail) => state === 'offline' && resolve(detail)),
    );
    runtime.child.kill('SIGTERM');
    expect(await runtime.exited).toBe(0);
    // The runtime's goingAway close (4503), in words.
    expect(await closedBy).toBe('Disconnected: runtime shutting down.');
    await expect(access(path.join(runtime.stateDir, 'runtime.json'))).rejects.toThrow();
  });

  it('serves the link on a Unix socket, with no TCP port, for a runtime in its own network namespace', async () => {
    const socketDir = await temp.make('rc-serve-sock-');
    const socket = path.join(socketDir, 'link.sock');
    const runtime = await startRuntime(['--socket', socket]);
    expect(runtime.info).toMatchObject({ port: 0, host: '', socket });
    await waitFor(() => runtime.stdout().includes('\n'), 'the listening line');
    expect(JSON.parse(runtime.stdout().trim())).toEqual({ listening: socket, pid: runtime.child.pid });
    expect((await stat(socket)).mode & 0o777).toBe(0o600);

    const bff = bffSession();
    await dialLink({ url: `ws+unix://${socket}:/link`, runtimeId: RUNTIME_ID, token: TOKEN, session: bff.session });
    bff.session.send({
      type: 'message.send',
      threadId: 'th_1',
      seq: 1,
      clientId: 'c1',
      text: 'echo over-the-socket',
      agent: 'shell',
    });
    await waitFor(() => bff.events('th_1').some((e) => e.kind === 'tool.result'), 'the command to finish', 10_000);
    expect(bff.events('th_1').some((e) => e.kind === 'tool.output' && e.data.includes('over-the-socket'))).toBe(true);

    // A socket file a killed runtime left behind does not stop the next one.
    runtime.child.kill('SIGKILL');
    await runtime.exited;
    const again = await startRuntime(['--socket', socket]);
    expect(again.info.socket).toBe(socket);
  });

  it('refuses a BFF with the wrong token', async () => {
    const runtime = await startRuntime();
    const bff = bffSession();
    const error = await dialLink({
      url: `ws://127.0.0.1:${runtime.info.port}/link`,
      runtimeId: RUNTIME_ID,
      token: 'not-the-right-token-at-all',
      session: bff.session,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkHandshakeError);
    expect((error as LinkHandshakeError).code).toBe(CLOSE_CODES.unauthorized);
    runtime.child.kill('SIGTERM');
    expect(await runtime.exited).toBe(0);
  });

  it('cancels running commands and exits 0 on runtime.shutdown', async () => {
    const settings = path.join(await temp.make('rc-settings-'), 'settings.json');
    await writeFile(settings, JSON.stringify({ agent: 'shell', commandTimeoutMs: 60_000 }));
    const runtime = await startRuntime(['--settings', settings]);
    const bff = bffSession();
    await dialLink({
      url: `ws://127.0.0.1:${runtime.info.port}/link`,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      session: bff.session,
    });
    bff.session.send({
      type: 'message.send',
      threadId: 'th_1',
      seq: 1,
      clientId: 'c1',
      text: 'echo $$; sleep 60',
      agent: 'shell',
    });
    const started = await waitFor(
      () => bff.events('th_1').find((e) => e.kind === 'tool.output'),
      'the command to start',
    );
    const pgid = Number(started.kind === 'tool.output' ? started.data.trim() : NaN);

    const began = Date.now();
    bff.session.send({ type: 'runtime.shutdown', reason: 'deleted' });
    expect(await runtime.exited).toBe(0);
    expect(Date.now() - began).toBeLessThan(5_000);
    // The cancelled result went out before the link closed.
    expect(bff.events('th_1').find((e) => e.kind === 'tool.result')).toMatchObject({ ok: false, error: 'cancelled' });
    expect(groupAlive(pgid)).toBe(false);
    await expect(access(path.join(runtime.stateDir, 'runtime.json'))).rejects.toThrow();
  });

  it('exits with distinct codes when the credentials or the workspace are missing', async () => {
    const state = await temp.make('rc-state-');
    const workspace = await temp.make('rc-ws-');
    const run = (env: NodeJS.ProcessEnv, args: string[]) =>
      spawnSync(process.execPath, [bundle, 'serve', ...args], {
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
      });

    const noToken = run({ REMOTE_CHAT_RUNTIME_ID: RUNTIME_ID }, ['--workspace', workspace, '--state-dir', state]);
    expect(noToken.status).toBe(3);
    expect(noToken.stderr).toContain('REMOTE_CHAT_RUNTIME_TOKEN');

    const credentials = { REMOTE_CHAT_RUNTIME_ID: RUNTIME_ID, REMOTE_CHAT_RUNTIME_TOKEN: TOKEN };
    const noWorkspace = run(credentials, ['--workspace', path.join(workspace, 'missing'), '--state-dir', state]);
    expect(noWorkspace.status).toBe(4);

    const badSettings = path.join(state, 'settings.json');
    await writeFile(badSettings, '{"commandTimeoutMs": "soon"}');
    const settings = run(credentials, ['--workspace', workspace, '--state-dir', state, '--settings', badSettings]);
    expect(settings.status).toBe(5);
    expect(settings.stderr).toContain('commandTimeoutMs');

    const usage = run(credentials, ['--workspace', workspace]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--state-dir');
    const badPort = run(credentials, ['--workspace', workspace, '--state-dir', state, '--port', 'abc']);
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain('not a port: abc');
  });

  it('documents every flag and environment variable in --help', () => {
    const help = spawnSync(process.execPath, [bundle, 'serve', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const text of [
      '--workspace',
      '--state-dir',
      '--host',
      '--port',
      '--settings',
      'REMOTE_CHAT_RUNTIME_ID',
      'REMOTE_CHAT_RUNTIME_TOKEN',
    ]) {
      expect(help.stdout).toContain(text);
    }
    const top = spawnSync(process.execPath, [bundle, '--help'], { encoding: 'utf8' });
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('serve');
  });
});
