import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES, RuntimeStartError } from '../exit-codes.js';
import { tempDirs } from '../test-support/temp.js';
import { configDir, resolveConnectSettings, type ConnectFlags } from './config.js';
import { bffKey, linkUrlFor, parseBffUrl } from './link-url.js';
import { loadMachine, MACHINE_FILE_NAME } from './machine.js';
import { folderRuntimeId } from './runtime-ids.js';

const temp = tempDirs();
let home: string;
let cwd: string;

beforeEach(async () => {
  home = await temp.make('rc-home-');
  cwd = await temp.make('rc-cwd-');
});
afterEach(() => temp.cleanup());

async function writeConfig(
  config: unknown,
  file = path.join(home, '.config/remote-chat/config.json'),
): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

function resolve(flags: ConnectFlags, env: NodeJS.ProcessEnv = {}, folders: string[] = []) {
  return resolveConnectSettings({ flags, folders, env: { HOME: home, ...env }, cwd });
}

async function failure(promise: Promise<unknown>): Promise<RuntimeStartError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeStartError);
  return error as RuntimeStartError;
}

describe('connect settings', () => {
  it('takes the ACP agents and the permission timeout from the config file, and refuses a bad agent', async () => {
    const base = { url: 'https://config.example.com', token: 'token-from-the-config-file' };
    const claude = { id: 'claude', command: 'claude-code-acp' };
    await writeConfig({ ...base, acpAgents: [claude], permissionTimeoutMs: 1_000 });
    expect(await resolve({})).toMatchObject({
      acpAgents: [{ ...claude, args: [], env: {} }],
      permissionTimeoutMs: 1_000,
    });
    await writeConfig({ ...base, acpAgents: [{ ...claude, id: 'llm' }] });
    const error = await failure(resolve({}));
    expect(error.exitCode).toBe(EXIT_CODES.settings);
    expect(error.message).toContain('acpAgents.0.id: is the id of a built-in agent');
  });

  it('takes a flag over the environment over the config file', async () => {
    await writeConfig({ url: 'https://config.example.com', token: 'token-from-the-config-file' });
    const env = { REMOTE_CHAT_URL: 'https://env.example.com', REMOTE_CHAT_TOKEN: 'token-from-the-environment' };

    const fromFlags = await resolve({ url: 'https://flag.example.com', token: 'token-from-the-flag-xxxx' }, env);
    expect([fromFlags.bff.href, fromFlags.token, fromFlags.sources]).toEqual([
      'https://flag.example.com/',
      'token-from-the-flag-xxxx',
      { url: 'flag', token: 'flag' },
    ]);
    const fromEnv = await resolve({}, env);
    expect([fromEnv.bff.href, fromEnv.token]).toEqual(['https://env.example.com/', 'token-from-the-environment']);
    const fromFile = await resolve({});
    expect([fromFile.bff.href, fromFile.token, fromFile.sources]).toEqual([
      'https://config.example.com/',
      'token-from-the-config-file',
      { url: 'config file', token: 'config file' },
    ]);
  });

  it('finds the config file through XDG_CONFIG_HOME, or --config', async () => {
    const xdg = await temp.make('rc-xdg-');
    expect(configDir({ HOME: home, XDG_CONFIG_HOME: xdg })).toBe(path.join(xdg, 'remote-chat'));
    expect(configDir({ HOME: home, XDG_CONFIG_HOME: 'relative/is/ignored' })).toBe(
      path.join(home, '.config/remote-chat'),
    );
    await writeConfig(
      { url: 'https://xdg.example.com', token: 'token-in-the-xdg-config' },
      path.join(xdg, 'remote-chat/config.json'),
    );
    expect((await resolve({}, { XDG_CONFIG_HOME: xdg })).bff.host).toBe('xdg.example.com');

    const explicit = await writeConfig(
      { url: 'https://explicit.example.com', token: 'token-in-the-explicit-file' },
      path.join(cwd, 'my.json'),
    );
    expect((await resolve({ config: 'my.json' }, { XDG_CONFIG_HOME: xdg })).bff.host).toBe('explicit.example.com');
    expect(explicit).toBe(path.join(cwd, 'my.json'));
    // Asked for by name, a missing file is an error; the default one may be missing.
    expect((await failure(resolve({ config: 'missing.json' }))).exitCode).toBe(EXIT_CODES.settings);
  });

  it('connects the arguments, else the config file’s folders, else the current folder', async () => {
    const file = await writeConfig({
      url: 'https://x.example.com',
      token: 'token-0123456789abcdef',
      folders: ['~/src/app', '../rel', '/abs/path'],
    });
    expect((await resolve({}, {}, ['a', '/b'])).folders).toEqual({
      from: 'arguments',
      list: [path.join(cwd, 'a'), '/b'],
    });
    expect((await resolve({})).folders).toEqual({
      from: 'config file',
      list: [path.join(home, 'src/app'), path.resolve(path.dirname(file), '../rel'), '/abs/path'],
    });
    await writeConfig({ url: 'https://x.example.com', token: 'token-0123456789abcdef' });
    expect((await resolve({})).folders).toEqual({ from: 'current folder', list: [cwd] });
  });

  it('says what is missing or wrong with distinct exit codes, never echoing the token', async () => {
    expect((await failure(resolve({ token: 'token-0123456789abcdef' }))).exitCode).toBe(EXIT_CODES.usage);
    expect((await failure(resolve({ url: 'ftp://x.example.com', token: 'token-0123456789abcdef' }))).exitCode).toBe(
      EXIT_CODES.usage,
    );
    const noToken = await failure(resolve({ url: 'https://x.example.com' }));
    expect(noToken.exitCode).toBe(EXIT_CODES.credentials);
    expect(noToken.message).toContain('REMOTE_CHAT_TOKEN');
    const short = await failure(resolve({ url: 'https://x.example.com', token: 'shorty' }));
    expect(short.exitCode).toBe(EXIT_CODES.credentials);
    expect(short.message).not.toContain('shorty');
    const pasted = await failure(
      resolve({ url: 'secret-token-pasted-in-the-wrong-place', token: 'token-0123456789abcdef' }),
    );
    expect(pasted.message).not.toContain('pasted-in-the-wrong-place');
    await writeConfig({ url: 42 });
    expect((await failure(resolve({}))).exitCode).toBe(EXIT_CODES.settings);
  });

  it('warns when a config file with the token is readable by others', async () => {
    const file = await writeConfig({ url: 'https://x.example.com', token: 'token-0123456789abcdef' });
    expect((await resolve({})).warnings).toEqual([]);
    await chmod(file, 0o644);
    expect((await resolve({})).warnings.join('')).toContain(`chmod 600 ${file}`);
  });
});

describe('the link URL', () => {
  it('turns http into ws and https into wss, keeping a path prefix', () => {
    expect(linkUrlFor(parseBffUrl('http://localhost:8787'))).toBe('ws://localhost:8787/api/link');
    expect(linkUrlFor(parseBffUrl('https://chat.example.com/'))).toBe('wss://chat.example.com/api/link');
    expect(linkUrlFor(parseBffUrl('https://example.com/remote-chat/?x=1#y'))).toBe(
      'wss://example.com/remote-chat/api/link',
    );
    expect(linkUrlFor(parseBffUrl('wss://example.com/rc'))).toBe('wss://example.com/rc/api/link');
    expect(bffKey(parseBffUrl('https://example.com/remote-chat/'))).toBe('https://example.com/remote-chat');
    expect(bffKey(parseBffUrl('https://chat.example.com'))).toBe('https://chat.example.com');
    expect(() => parseBffUrl('https://me:pw@example.com')).toThrow(/user name or password/);
  });
});

describe('identities', () => {
  it('makes this computer’s identity once, private, random rather than from the host name', async () => {
    const dir = path.join(home, '.config/remote-chat');
    const machine = await loadMachine(dir);
    expect(machine).toEqual({ id: expect.stringMatching(/^mc_[A-Za-z0-9_-]{16}$/), name: hostname() });
    expect((await stat(path.join(dir, MACHINE_FILE_NAME))).mode & 0o777).toBe(0o600);
    expect(await loadMachine(dir)).toEqual(machine);
    // Another config folder (a reinstall elsewhere) is another machine; the same host name is no identity.
    expect((await loadMachine(await temp.make('rc-other-config-'))).id).not.toBe(machine.id);

    await writeFile(path.join(dir, MACHINE_FILE_NAME), '{"id":');
    expect((await failure(loadMachine(dir))).exitCode).toBe(EXIT_CODES.settings);
  });

  it('keeps one runtime id per folder and server', async () => {
    const app = await temp.make('rc-app-');
    const other = await temp.make('rc-other-');
    const first = await folderRuntimeId(app, 'https://a.example.com');
    expect(first).toMatch(/^rt_[A-Za-z0-9_-]{16}$/);
    expect(await folderRuntimeId(app, 'https://a.example.com')).toBe(first);
    const atB = await folderRuntimeId(app, 'https://b.example.com');
    expect(atB).not.toBe(first);
    expect(await folderRuntimeId(other, 'https://a.example.com')).not.toBe(first);
    expect(JSON.parse(await readFile(path.join(app, '.remote-chat/runtime-ids.json'), 'utf8'))).toEqual({
      'https://a.example.com': first,
      'https://b.example.com': atB,
    });
  });
});
