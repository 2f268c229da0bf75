import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { groupAlive } from './tools/terminal.js';
import { ensureBundle } from './test-support/bundle.js';
import { startStubBff, type StubBff } from './test-support/stub-bff.js';
import { tempDirs } from './test-support/temp.js';
import { waitFor } from '../../../test/support/wait.js';

const TOKEN = 'cli-api-token-SECRET-0123456789';
const temp = tempDirs();
let bundle: string;
let bff: StubBff;
let home: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  bundle = ensureBundle();
});
beforeEach(async () => {
  bff = await startStubBff({ token: TOKEN });
  home = await temp.make('rc-cli-home-');
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  await bff.close();
  await temp.cleanup();
});

/** `remote-chat-runtime connect` in `cwd`, with a home folder of its own. */
function runConnect(cwd: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const child = spawn(process.execPath, [bundle, 'connect', '--poll-interval', '200', ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr, output: () => stdout + stderr };
}

async function projectFolder(name = 'app'): Promise<string> {
  const folder = path.join(await temp.make('rc-cli-'), name);
  await mkdir(folder);
  return folder;
}

describe('remote-chat-runtime connect (the command)', () => {
  it('comes online from the current folder, runs commands, and on Ctrl-C stops them, closes the link as going away and exits 0', async () => {
    const app = await projectFolder();
    const connect = runConnect(app, { REMOTE_CHAT_URL: bff.url, REMOTE_CHAT_TOKEN: TOKEN });
    await waitFor(
      () => connect.stdout().includes('[app] online'),
      () => `online (output: ${connect.output()})`,
      10_000,
    );
    expect(connect.stdout()).toContain('[app] connecting…');
    const [runtimeId, runtime] = [...bff.runtimes.entries()][0]!;
    expect(connect.stdout()).toContain(`[app] ${app} is runtime ${runtimeId}`);
    await waitFor(() => runtime.infos()[0], 'runtime.info');
    expect(runtime.infos()[0]).toMatchObject({ project: 'app', machine: { id: expect.stringMatching(/^mc_/) } });
    // The machine's identity went to ~/.config/remote-chat, private.
    const machineFile = path.join(home, '.config/remote-chat/machine.json');
    expect(JSON.parse(await readFile(machineFile, 'utf8'))).toEqual(runtime.infos()[0]!.machine);
    expect((await stat(machineFile)).mode & 0o777).toBe(0o600);

    runtime.session.send({
      type: 'message.send',
      threadId: 'th_1',
      seq: 1,
      clientId: 'c1',
      text: 'echo $$; echo "token=${REMOTE_CHAT_TOKEN:-none}"; sleep 60',
      agent: 'shell',
    });
    const started = await waitFor(
      () => runtime.events('th_1').find((event) => event.kind === 'tool.output'),
      'the command to start',
    );
    const pgid = Number.parseInt(started.kind === 'tool.output' ? started.data : '', 10);
    await waitFor(
      () => runtime.events('th_1').some((event) => event.kind === 'tool.output' && event.data.includes('token=none')),
      'no token',
    );

    connect.child.kill('SIGINT');
    expect(await connect.exited).toBe(EXIT_CODES.ok);
    expect(runtime.events('th_1').find((event) => event.kind === 'tool.result')).toMatchObject({
      ok: false,
      error: 'cancelled',
    });
    expect(groupAlive(pgid)).toBe(false);
    await waitFor(() => runtime.session.state === 'offline', 'the link to close');
    // The runtime's goingAway close (4503), in words.
    expect(runtime.states.at(-1)?.[1]).toBe('Disconnected: runtime shutting down.');
    expect(connect.stdout()).toContain('disconnected');
    expect(connect.output()).not.toContain(TOKEN);
  });

  it('exits 7 with a clear message when the server refuses the token, without printing it', async () => {
    const app = await projectFolder();
    const revoked = 'revoked-api-token-SECRET-99999';
    const connect = runConnect(app, { REMOTE_CHAT_TOKEN: revoked }, ['--url', bff.url]);
    expect(await connect.exited).toBe(EXIT_CODES.unauthorized);
    expect(connect.stderr()).toContain('refused the API token (4401)');
    expect(connect.stderr()).toContain('Account → API tokens');
    expect(connect.output()).not.toContain(revoked);
    expect(bff.hellos).toHaveLength(1);
  });

  it('keeps retrying with backoff while the server is away, saying so', async () => {
    const app = await projectFolder();
    const url = bff.url;
    await bff.close();
    const connect = runConnect(app, { REMOTE_CHAT_URL: url, REMOTE_CHAT_TOKEN: TOKEN });
    await waitFor(
      () => /\[app\] offline: connect ECONNREFUSED .*; retrying in \d/.test(connect.stdout()),
      () => `a retry line (output: ${connect.output()})`,
      10_000,
    );
    connect.child.kill('SIGTERM');
    expect(await connect.exited).toBe(EXIT_CODES.ok);
    expect(connect.output()).not.toContain(TOKEN);
    bff = await startStubBff({ token: TOKEN });
  });

  it('exits with distinct codes for a missing URL, a missing token, a missing folder and a folder already connected', async () => {
    const app = await projectFolder();
    const run = (env: NodeJS.ProcessEnv, args: string[] = []) =>
      spawnSync(process.execPath, [bundle, 'connect', ...args], {
        cwd: app,
        env: { PATH: process.env.PATH, HOME: home, ...env },
        encoding: 'utf8',
      });
    expect(run({ REMOTE_CHAT_TOKEN: TOKEN }).status).toBe(EXIT_CODES.usage);
    const noToken = run({ REMOTE_CHAT_URL: bff.url });
    expect(noToken.status).toBe(EXIT_CODES.credentials);
    expect(noToken.stderr).toContain('REMOTE_CHAT_TOKEN');
    expect(run({ REMOTE_CHAT_URL: bff.url, REMOTE_CHAT_TOKEN: TOKEN }, [path.join(app, 'missing')]).status).toBe(
      EXIT_CODES.workspace,
    );

    const first = runConnect(app, { REMOTE_CHAT_URL: bff.url, REMOTE_CHAT_TOKEN: TOKEN });
    await waitFor(
      () => first.stdout().includes('[app] online'),
      () => `online (output: ${first.output()})`,
      10_000,
    );
    const second = run({ REMOTE_CHAT_URL: bff.url, REMOTE_CHAT_TOKEN: TOKEN });
    expect(second.status).toBe(EXIT_CODES.workspace);
    expect(second.stderr).toContain(`process ${first.child.pid} is already using`);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(EXIT_CODES.ok);
  });

  it('says in --help which setting wins and what every exit code means', () => {
    const help = spawnSync(process.execPath, [bundle, 'connect', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const text of [
      '--url',
      '--token',
      '--config',
      'REMOTE_CHAT_URL',
      'REMOTE_CHAT_TOKEN',
      'XDG_CONFIG_HOME',
      'first that has one wins',
      '7 the server refused the token',
    ]) {
      expect(help.stdout).toContain(text);
    }
    const top = spawnSync(process.execPath, [bundle, '--help'], { encoding: 'utf8' });
    expect(top.stdout).toContain('connect');
  });
});
