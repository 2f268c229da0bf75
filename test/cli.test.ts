import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { daytonaDefinition, E2B_PROVIDER, sshProviderDefinition } from '@remote-chat/bff';
import { describe, expect, it, onTestFinished } from 'vitest';
import { signIn } from './support/bff.js';
import { spawnBff } from './support/bff-process.js';
import { tempDir } from './support/temp-dir.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);
const bffCli = fileURLToPath(new URL('../packages/bff/dist/cli.js', import.meta.url));
const runtimeCli = fileURLToPath(new URL('../packages/runtime/dist/remote-chat-runtime.js', import.meta.url));

describe('remote-chat-bff', () => {
  it('shows the server flags, their environment variables and defaults, and the commands in the top-level --help', async () => {
    // `remote-chat-bff --help` is where people look first; `serve --help` says the same about serve.
    for (const args of [['--help'], ['serve', '--help']]) {
      const { stdout } = await run(process.execPath, [bffCli, ...args]);
      const help = stdout.replace(/\s+/g, ' ');
      for (const text of [
        '--port',
        '--host',
        '--data-dir',
        '--database-url',
        '--allowed-origins',
        '--sqlite-synchronous',
        '--idle-timeout',
        '--log-level',
        '--sandbox-network',
        '--process-provider-for',
        '--trust-proxy',
        'Local sandbox',
        'env: REMOTE_CHAT_PORT',
        'env: REMOTE_CHAT_SANDBOX_NETWORK',
        'env: REMOTE_CHAT_PROCESS_PROVIDER_FOR',
        'env: REMOTE_CHAT_TRUST_PROXY',
        'env: DATABASE_URL',
        'default: 8787',
        'REMOTE_CHAT_GITHUB_CLIENT_ID',
        'REMOTE_CHAT_GITHUB_CLIENT_SECRET',
        'REMOTE_CHAT_GITHUB_URL the web host (default https://github.com',
        'REMOTE_CHAT_GITHUB_API_URL the REST API (default https://api.github.com',
        '/api/github/oauth/callback',
      ]) {
        expect(help).toContain(text);
      }
    }
    const top = await run(process.execPath, [bffCli, '--help']);
    expect(top.stdout).toContain('signin-link');
    expect(top.stdout).toContain('--version');
  });

  it('names every setting of every built-in provider by its environment variable, in --help and in the README', async () => {
    const { stdout } = await run(process.execPath, [bffCli, '--help']);
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const definition of [E2B_PROVIDER, daytonaDefinition, sshProviderDefinition]) {
      expect(stdout, definition.id).toContain(`(${definition.id})`);
      for (const name of Object.values(definition.env)) {
        // Spelt out whole, so that searching the help for the variable finds it.
        expect(stdout, `${definition.id}: ${name} in --help`).toMatch(new RegExp(`\\b${name}\\b`));
        expect(readme, `${definition.id}: ${name} in the README`).toContain(`\`${name}\``);
      }
    }
    const help = stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--provider-module <file>');
    expect(help).toContain('env: REMOTE_CHAT_PROVIDER_MODULES');
    expect(help).toMatch(/--idle-timeout <minutes> pause a sandbox runtime .* where its provider cannot pause/);
  });

  it('prints the package version with --version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../packages/bff/package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect((await run(process.execPath, [bffCli, '--version'])).stdout.trim()).toBe(version);
  });

  it('refuses a bad flag with a usage error and exit code 2', async () => {
    const error = await run(process.execPath, [bffCli, '--port', 'eighty']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain('not a port');
  });

  it('prints the portal URL and a one-time sign-in link that works once', async () => {
    const dataDir = tempDir();
    const bff = await spawnBff(['--data-dir', dataDir]);
    expect(bff.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(bff.signinLink.startsWith(`${bff.url}/auth/signin?token=`)).toBe(true);
    const cookie = await signIn(bff.signinLink);
    expect(cookie).toMatch(/^rc_session=/);
    const reused = await fetch(bff.signinLink, { redirect: 'manual' });
    expect(reused.status).toBe(400);
    const config = (await (await fetch(`${bff.url}/api/config`, { headers: { cookie } })).json()) as {
      user: { id: string };
    };
    expect(config.user.id).toBe('owner');
    const portal = await fetch(`${bff.url}/`);
    expect(portal.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await portal.text()).toContain('<remote-chat');
    // Any site loads the elements from the BFF as a cross-origin module script.
    const elements = await fetch(`${bff.url}/remote-chat.js`, { headers: { origin: 'http://somewhere.example' } });
    expect(elements.status).toBe(200);
    expect(elements.headers.get('access-control-allow-origin')).toBe('*');
    expect(await elements.text()).toContain('customElements');
    // A machine fetches the one-file runtime from the server it will connect to.
    const bundle = await fetch(`${bff.url}/remote-chat-runtime.js`);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect(await bundle.text()).toMatch(/^#!\/usr\/bin\/env node/);
    // The token is printed for the person at the terminal, never logged.
    const token = new URL(bff.signinLink).searchParams.get('token')!;
    expect(
      bff
        .output()
        .split('\n')
        .filter((l) => l.includes(token) && !l.startsWith('Sign in')),
    ).toEqual([]);
  });

  it('takes its port and data directory from the environment', async () => {
    const dataDir = tempDir();
    const bff = await spawnBff([], { REMOTE_CHAT_DATA_DIR: dataDir, REMOTE_CHAT_HOST: '127.0.0.1' });
    await signIn(bff.signinLink);
    const { stdout } = await run(process.execPath, [bffCli, 'signin-link', '--url', bff.url], {
      env: { ...process.env, REMOTE_CHAT_DATA_DIR: dataDir },
    });
    expect(await signIn(stdout.trim())).toMatch(/^rc_session=/);
  });

  it('shuts down on SIGTERM with exit code 0, logging it as JSON when not at a terminal', async () => {
    const bff = await spawnBff(['--data-dir', tempDir()]);
    bff.child.kill('SIGTERM');
    expect(await bff.exited).toEqual({ code: 0, signal: null });
    const logged = bff
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; signal?: string });
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'shutting down', signal: 'SIGTERM' }));
    expect(bff.output()).not.toContain('Stopped.');
  });

  it('says it is shutting down in words at a terminal, after Ctrl+C, with no JSON line', async () => {
    // A pseudo-terminal from script(1): Ctrl+C typed into it reaches the server as SIGINT.
    const command = `exec '${process.execPath}' '${bffCli}' --port 0 --data-dir '${tempDir()}'`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => output.includes('Sign in'), 'the sign-in line', 30_000);
    child.stdin.write('\u0003');
    expect(await exited).toBe(0);
    const after = output.slice(output.indexOf('Sign in')).split(/\r?\n/).slice(1);
    expect(after.map((line) => line.replace(/^\^C/, '').trim()).filter(Boolean)).toEqual([
      'Shutting down (Ctrl+C)…',
      'Stopped.',
    ]);
  });
});

describe('remote-chat-runtime', () => {
  it('documents serve and its environment variables in --help', async () => {
    const { stdout } = await run(process.execPath, [runtimeCli, 'serve', '--help']);
    for (const text of ['--workspace', '--state-dir', '--port', '--socket', 'REMOTE_CHAT_RUNTIME_TOKEN'])
      expect(stdout).toContain(text);
  });

  it('prints the package version with --version', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../packages/runtime/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect((await run(process.execPath, [runtimeCli, '--version'])).stdout.trim()).toBe(version);
  });
});
