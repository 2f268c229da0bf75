import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../exit-codes.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import { RUNTIME_VERSION } from '../version.js';
import { startStubBff, type StubBff } from '../test-support/stub-bff.js';
import { tempDirs } from '../test-support/temp.js';
import { sleep, waitFor } from '../../../../test/support/wait.js';
import { readConfigFolders } from './config.js';
import { connect, type Connection, type ConnectOptions } from './connector.js';
import { parseBffUrl } from './link-url.js';
import { FOLDER_DATA_DIR, RUNTIME_IDS_FILE_NAME } from './runtime-ids.js';

const TOKEN = 'api-token-for-connect-tests-0123';
const MACHINE = { id: 'mc_testmachine000001', name: 'test-laptop' };
const temp = tempDirs();
let bff: StubBff;
/** Runtime ids the stub BFF says belong to another account. */
let foreign: Set<string>;
let output: string[];
const connections: Connection[] = [];

beforeEach(async () => {
  foreign = new Set();
  bff = await startStubBff({ token: TOKEN, foreign });
  output = [];
});
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.stop()));
  await bff.close();
  await temp.cleanup();
});

async function project(name: string, remote?: string): Promise<string> {
  const folder = path.join(await temp.make('rc-connect-'), name);
  execFileSync('mkdir', ['-p', folder]);
  if (remote !== undefined) {
    execFileSync('git', ['init', '-q'], { cwd: folder });
    execFileSync('git', ['remote', 'add', 'origin', remote], { cwd: folder });
  }
  return folder;
}

async function start(folders: string[], options: Partial<ConnectOptions> = {}): Promise<Connection> {
  const connection = await connect({
    bff: parseBffUrl(bff.url),
    token: TOKEN,
    machine: MACHINE,
    folders,
    pollMs: 100,
    dialer: { minDelayMs: 20, maxDelayMs: 200 },
    out: (line) => output.push(line),
    err: (line) => output.push(line),
    ...options,
  });
  connections.push(connection);
  return connection;
}

function runtimeIdOf(connection: Connection, folder: string): string {
  const found = connection.links().find((link) => link.folder === folder);
  if (!found) throw new Error(`${folder} is not connected`);
  return found.runtimeId;
}

const info = (runtimeId: string) =>
  waitFor(() => bff.runtimes.get(runtimeId)?.infos().at(-1), `runtime.info from ${runtimeId}`);

describe('remote-chat-runtime connect', () => {
  it("reports the ACP agents it found, saying which use the person's own login", async () => {
    const app = await project('app');
    const agent = (id: string, ownLogin?: boolean) => ({
      id,
      label: id,
      command: process.execPath,
      args: [],
      env: {},
      ...(ownLogin !== undefined && { ownLogin }),
    });
    const settings = { ...DEFAULT_SETTINGS, acpAgents: [agent('claude', true), agent('codex')] };
    const connection = await start([app], { settings });
    expect((await info(runtimeIdOf(connection, app))).agents.slice(2)).toEqual([
      { id: 'claude', label: 'claude', kind: 'acp', modelAccess: 'own' },
      { id: 'codex', label: 'codex', kind: 'acp', modelAccess: 'gateway' },
    ]);
  });

  it('registers each folder as its own runtime, with the same id on every start', async () => {
    const app = await project('app', 'https://user:ghp_secret@github.com/acme/app.git');
    const notes = await project('notes');
    const first = await start([app, notes]);
    const appId = runtimeIdOf(first, app);
    const notesId = runtimeIdOf(first, notes);
    expect(appId).toMatch(/^rt_[A-Za-z0-9_-]{16}$/);
    expect(notesId).not.toBe(appId);

    expect(await info(appId)).toEqual({
      type: 'runtime.info',
      version: RUNTIME_VERSION,
      agents: [
        { id: 'shell', label: 'Shell', kind: 'built-in' },
        { id: 'llm', label: 'LLM', kind: 'built-in', modelAccess: 'gateway' },
      ],
      project: 'app',
      gitRemote: 'https://github.com/acme/app.git',
      machine: MACHINE,
    });
    expect(await info(notesId)).toMatchObject({ project: 'notes', gitRemote: null, machine: MACHINE });
    await waitFor(
      () => output.includes('[app] online') && output.includes('[notes] online'),
      () => `online in ${output.join('\n')}`,
    );

    // Kept in the folder, keyed by the BFF, never committed.
    const ids = JSON.parse(await readFile(path.join(app, FOLDER_DATA_DIR, RUNTIME_IDS_FILE_NAME), 'utf8')) as unknown;
    expect(ids).toEqual({ [bff.url]: appId });
    expect(await readFile(path.join(app, FOLDER_DATA_DIR, '.gitignore'), 'utf8')).toBe('*\n');
    expect(execFileSync('git', ['status', '--porcelain', '--ignored'], { cwd: app, encoding: 'utf8' })).not.toContain(
      'runtime-ids',
    );

    await first.stop();
    const second = await start([app]);
    expect(runtimeIdOf(second, app)).toBe(appId);
    await waitFor(() => bff.runtimes.get(appId)!.infos().length >= 2, 'runtime.info after the restart');
  });

  it('runs the chat’s commands in the folder', async () => {
    const app = await project('app');
    const connection = await start([app]);
    const runtime = await waitFor(() => bff.runtimes.get(runtimeIdOf(connection, app)), 'the link');
    runtime.session.send({
      type: 'message.send',
      threadId: 'th_1',
      seq: 1,
      clientId: 'c1',
      text: 'pwd',
      agent: 'shell',
    });
    await waitFor(() => runtime.events('th_1').some((event) => event.kind === 'tool.result'), 'the command');
    const printed = runtime.events('th_1').flatMap((event) => (event.kind === 'tool.output' ? [event.data] : []));
    expect(printed.join('').trim()).toBe(app);
  });

  it('re-registers within a poll when the folder’s git remote changes', async () => {
    const app = await project('app', 'https://github.com/acme/app.git');
    const connection = await start([app]);
    const appId = runtimeIdOf(connection, app);
    await info(appId);
    execFileSync('git', ['remote', 'set-url', 'origin', 'git@github.com:acme/renamed.git'], { cwd: app });
    const changed = await waitFor(
      () =>
        bff.runtimes
          .get(appId)!
          .infos()
          .find((reported) => reported.gitRemote === 'git@github.com:acme/renamed.git'),
      'a runtime.info with the new remote',
      2_000,
    );
    expect(changed).toMatchObject({ project: 'app', machine: MACHINE });
    expect(output).toContain('[app] git remote is now git@github.com:acme/renamed.git; re-registering');
  });

  it('connects and disconnects folders as the config file’s list changes', async () => {
    const app = await project('app');
    const other = await project('other');
    const configFile = path.join(await temp.make('rc-config-'), 'config.json');
    await writeFile(configFile, JSON.stringify({ folders: [app] }));
    const connection = await start([app], { reloadFolders: () => readConfigFolders(configFile, process.env) });
    const appId = runtimeIdOf(connection, app);
    await info(appId);

    // The project switch: a new folder gets its own runtime and shows up; the old one goes offline.
    await writeFile(configFile, JSON.stringify({ folders: [other] }));
    await waitFor(() => connection.links().some((link) => link.folder === other), 'the new folder to connect', 3_000);
    const otherId = runtimeIdOf(connection, other);
    expect(otherId).not.toBe(appId);
    expect(await info(otherId)).toMatchObject({ project: 'other' });
    await waitFor(() => bff.runtimes.get(appId)!.session.state === 'offline', 'the old folder to disconnect');
    // The runtime's goingAway close (4503), in words.
    expect(bff.runtimes.get(appId)!.states.at(-1)?.[1]).toBe('Disconnected: runtime shutting down.');
    expect(connection.links().map((link) => link.folder)).toEqual([other]);
  });

  it('says in words, without close codes, why the link went down and that it retries', async () => {
    const app = await project('app');
    const connection = await start([app]);
    const runtime = await waitFor(() => bff.runtimes.get(runtimeIdOf(connection, app)), 'the link');
    await waitFor(() => runtime.session.state === 'open', 'open');
    runtime.session.detach(4503, 'server shutting down');
    const offline = await waitFor(() => output.find((line) => line.startsWith('[app] offline')), 'the offline line');
    expect(offline).toMatch(/^\[app\] offline: the link closed: server shutting down; retrying in /);
    expect(output.join('\n')).not.toMatch(/\(\d{4}/);
  });

  it('disconnects a folder that disappears', async () => {
    const app = await project('app');
    const connection = await start([app]);
    const appId = runtimeIdOf(connection, app);
    await info(appId);
    await rm(app, { recursive: true, force: true });
    await waitFor(() => connection.links().length === 0, 'the link to stop', 3_000);
    expect(output).toContain('[app] the folder is gone; disconnected');
    await waitFor(() => bff.runtimes.get(appId)!.session.state === 'offline', 'the BFF to see it go');
  });

  it('stops for good when the server refuses the token', async () => {
    const app = await project('app');
    const connection = await connect({
      bff: parseBffUrl(bff.url),
      token: 'a-revoked-token-0000000000',
      machine: MACHINE,
      folders: [app],
      dialer: { minDelayMs: 10, maxDelayMs: 20 },
      out: (line) => output.push(line),
      err: (line) => output.push(line),
    });
    const exit = await connection.done;
    expect(exit.code).toBe(EXIT_CODES.unauthorized);
    expect(exit.message).toContain('4401');
    await sleep(200);
    expect(bff.hellos).toHaveLength(1);
  });

  it('stops for good when the runtime id belongs to someone else, and says how to fix it', async () => {
    const app = await project('app');
    const first = await start([app]);
    const appId = runtimeIdOf(first, app);
    await first.stop();
    foreign.add(appId);
    const second = await start([app]);
    const exit = await second.done;
    expect(exit.code).toBe(EXIT_CODES.forbidden);
    expect(exit.message).toContain('4403');
    expect(exit.message).toContain(path.join(app, FOLDER_DATA_DIR, RUNTIME_IDS_FILE_NAME));
  });

  it('disconnects a folder whose runtime was deleted in the portal, and ends when none is left', async () => {
    const app = await project('app');
    const connection = await start([app]);
    const runtime = await waitFor(() => bff.runtimes.get(runtimeIdOf(connection, app)), 'the link');
    await waitFor(() => runtime.session.state === 'open', 'open');
    runtime.session.send({ type: 'runtime.shutdown', reason: 'deleted by the user' });
    expect(await connection.done).toEqual({ code: EXIT_CODES.ok });
    expect(output).toContain('[app] the server asked this runtime to stop (deleted by the user); disconnected');
  });
});
