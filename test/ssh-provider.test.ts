import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry, Runtime, ThreadEvent } from '@remote-chat/protocol';
import { SshProvider, SshSettingsSchema, configuredProviders, createLogger } from '@remote-chat/bff';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { clientId, readyRuntime, startTestBff } from './support/bff.js';
import { startGitHttpServer } from './support/git-http-server.js';
import { startSshd, type TestSshd } from './support/sshd.js';

// The ssh provider against a real OpenSSH server on loopback, as this user, with throwaway keys.
// (test/provider-contract.test.ts runs the shared contract against it too.)

let sshd: TestSshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(() => sshd?.stop());

/** The provider for this sshd, with settings changed as a test needs. */
function provider(settings: Record<string, string | number> = {}): SshProvider {
  return SshProvider.fromSettings(
    SshSettingsSchema.parse({
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      key: sshd.keyFile,
      knownHosts: sshd.knownHostsFile,
      dir: sshd.remoteDir,
      ...settings,
    }),
    {},
  );
}

/** Waits until the runtime leaves `starting`, and returns it with its log. */
async function settled(bff: Awaited<ReturnType<typeof startTestBff>>, id: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runtime = (await (await bff.api(`/api/runtimes/${id}`)).json()) as Runtime;
    if (runtime.status !== 'starting' || Date.now() > deadline) {
      const log = (await (await bff.api(`/api/runtimes/${id}/log`)).json()) as { entries: LogEntry[] };
      return { runtime, entries: log.entries };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The step entries that failed. */
const failedSteps = (entries: LogEntry[]) =>
  entries.filter(
    (entry): entry is Extract<LogEntry, { kind: 'step' }> => entry.kind === 'step' && entry.state === 'failed',
  );

/** The TCP ports a process listens on (IPv4 and IPv6), from /proc: its sockets' inodes in the listen tables. */
function tcpListeners(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = execFileSync('readlink', [`/proc/${pid}/fd/${fd}`], { encoding: 'utf8' }).trim();
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // Closed meanwhile.
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // st 0A is LISTEN.
      if (fields[3] === '0A' && inodes.has(fields[9] ?? '')) ports.push(Number.parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** Whether a WebSocket upgrade to `url` is accepted (the runtime's link answers it, before any hello). */
function linkOpens(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.terminate();
      resolve(true);
    });
    socket.once('unexpected-response', () => {
      socket.terminate();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the ssh provider', { timeout: 120_000 }, () => {
  it('runs a runtime on the host with its link on a Unix socket reached through SSH, not on a TCP port', async () => {
    const logins = () => sshd.log().match(/Accepted publickey/g)?.length ?? 0;
    const before = logins();
    const bff = await startTestBff({ providers: [provider()] });
    const { runtime, threadId } = await readyRuntime(bff, 'ssh');
    const dir = join(sshd.remoteDir, runtime.id);
    const info = JSON.parse(readFileSync(join(dir, 'state', 'runtime.json'), 'utf8')) as {
      pid: number;
      port: number;
      socket?: string;
    };
    expect(info).toMatchObject({ port: 0, socket: join(dir, 'state', 'link.sock') });
    expect(statSync(info.socket!).isSocket()).toBe(true);

    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo over-ssh-$((6 * 7)) && pwd' },
    });
    const deadline = Date.now() + 20_000;
    let events: ThreadEvent[] = [];
    while (!events.some((event) => event.kind === 'tool.result') && Date.now() < deadline) {
      events = ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }).events;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const output = events.flatMap((event) => (event.kind === 'tool.output' ? [event.data] : [])).join('');
    expect(output).toContain('over-ssh-42');
    expect(output).toContain(join(dir, 'workspace'));
    // Every step, the probe and the link went over one SSH connection.
    expect(logins() - before).toBe(1);

    // The link is on the socket: none of the runtime's TCP listeners (its loopback agent and model
    // endpoints) answers a link upgrade at /link, and none listens beyond loopback.
    const listeners = tcpListeners(info.pid);
    for (const port of listeners) expect(await linkOpens(`ws://127.0.0.1:${port}/link`), `port ${port}`).toBe(false);
    // While the same upgrade through the forwarded socket is the link's.
    expect(await linkOpens('ws+unix://' + info.socket! + ':/link')).toBe(true);
    const everywhere = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(`pid=${info.pid},`));
    for (const line of everywhere) expect(line).toMatch(/\s(127\.0\.0\.1|\[::1\]|\[::ffff:127\.0\.0\.1\]):\d+\s/);
  });

  it('keeps the settings and state private, and the link token out of argv and off the disk', async () => {
    const bff = await startTestBff({ providers: [provider()] });
    const { runtime } = await readyRuntime(bff, 'ssh');
    const dir = join(sshd.remoteDir, runtime.id);
    expect(statSync(join(dir, 'settings.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
    const { pid } = JSON.parse(readFileSync(join(dir, 'state', 'runtime.json'), 'utf8')) as { pid: number };
    // The runtime got it in its environment (private to its user), from the start script's stdin.
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const token = environ.find((entry) => entry.startsWith('REMOTE_CHAT_RUNTIME_TOKEN='))?.split('=')[1];
    expect(token?.length).toBeGreaterThanOrEqual(16);
    for (const process of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
      const cmdline = (() => {
        try {
          return readFileSync(`/proc/${process}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })();
      expect(cmdline, `process ${process}`).not.toContain(token);
    }
    // No file lists the token. The runtime keeps writing its state meanwhile, so a file that vanishes
    // between grep listing its folder and opening it is no finding (grep then exits 2); any other
    // grep error is, since it may hide a file grep could not read.
    const onDisk = spawnSync('grep', ['-rlF', token!, dir], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    expect(onDisk.stdout, 'files that hold the token').toBe('');
    const errors = onDisk.stderr.split('\n').filter((line) => line !== '');
    expect(
      errors.filter((line) => !line.endsWith(': No such file or directory')),
      'grep errors other than a vanished file',
    ).toEqual([]);
    expect(onDisk.status, `grep exit status (stderr: ${onDisk.stderr})`).toBe(errors.length === 0 ? 1 : 2);
  });

  it('links again over a new SSH connection after the connection drops, without restarting the runtime', async () => {
    const logins = () => sshd.log().match(/Accepted publickey/g)?.length ?? 0;
    const bff = await startTestBff({ providers: [provider()] });
    const { runtime, threadId } = await readyRuntime(bff, 'ssh');
    const before = logins();
    sshd.dropConnections();
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'echo after-the-drop' } });
    const deadline = Date.now() + 60_000;
    let events: ThreadEvent[] = [];
    while (!events.some((event) => event.kind === 'tool.result') && Date.now() < deadline) {
      events = ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }).events;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(events.some((event) => event.kind === 'tool.output' && event.data.includes('after-the-drop'))).toBe(true);
    expect(logins()).toBeGreaterThan(before);
    const log = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as { entries: LogEntry[] };
    expect(
      log.entries.filter((entry) => entry.kind === 'step' && entry.step === 'start' && entry.state === 'started'),
    ).toHaveLength(1);
    expect(log.entries.some((entry) => entry.kind === 'link' && entry.state === 'offline')).toBe(true);
  });

  it('clones a private repository with the user’s token from stdin: not in argv, a file or the git config', async () => {
    const token = 'gho_sshCloneToken0123456789';
    const git = await startGitHttpServer({
      repos: [
        { fullName: 'acme/app', private: true, branches: { main: { 'a.txt': 'a\n' }, feature: { 'b.txt': 'b\n' } } },
      ],
      allows: (given) => given === token,
    });
    onTestFinished(() => git.close());
    const ssh = provider();
    const signal = AbortSignal.timeout(60_000);
    const { state } = await ssh.create({ runtimeId: 'rt_sshclone', signal });
    onTestFinished(() => ssh.destroy(state));
    const source = { repo: 'acme/app', url: `${git.url}/acme/app.git`, branch: 'feature' };
    await expect(ssh.clone({ runtimeId: 'rt_sshclone', signal }, state, source)).rejects.toThrow(/git clone .* failed/);
    const workspace = join(sshd.remoteDir, 'rt_sshclone', 'workspace');
    // The failed clone left nothing behind; the next one clones into the same empty folder.
    spawnSync('sh', ['-c', `rm -rf ${JSON.stringify(workspace)}/.git ${JSON.stringify(workspace)}/*`]);
    await ssh.clone({ runtimeId: 'rt_sshclone', signal }, state, { ...source, token });
    const log = execFileSync('git', ['-C', workspace, 'log', '-1', '--format=%s'], { encoding: 'utf8' });
    expect(log).toBe('feature: b.txt\n');
    expect(git.requests.some((r) => r.authorized)).toBe(true);
    const files = readdirSync(workspace, { recursive: true, encoding: 'utf8' }).map((name) => join(workspace, name));
    for (const file of files) if (statSync(file).isFile()) expect(readFileSync(file).includes(token), file).toBe(false);
  });

  it('fails the install step clearly when the host has a Node older than 20', async () => {
    const fakeBin = join(sshd.scratch, 'old-node-bin');
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, 'node'), '#!/bin/sh\necho v18.19.1\n', { mode: 0o755 });
    const oldNode = await startSshd({ sshdOptions: [`SetEnv=PATH=${fakeBin}:/usr/local/bin:/usr/bin:/bin`] });
    onTestFinished(() => oldNode.stop());
    const ssh = SshProvider.fromSettings(
      SshSettingsSchema.parse({
        host: oldNode.host,
        port: oldNode.port,
        user: oldNode.user,
        key: oldNode.keyFile,
        knownHosts: oldNode.knownHostsFile,
        dir: oldNode.remoteDir,
      }),
      {},
    );
    const bff = await startTestBff({ providers: [ssh] });
    const created = (await (await bff.api('/api/runtimes', { body: { provider: 'ssh' } })).json()) as Runtime;
    const { runtime, entries } = await settled(bff, created.id);
    expect(runtime.status).toBe('failed');
    expect(failedSteps(entries).map((entry) => entry.step)).toEqual(['install']);
    expect(failedSteps(entries)[0]?.detail).toMatch(/has Node v18\.19\.1: the runtime needs Node 20 or later there/);
  });

  it('refuses a host whose key is not the pinned one, with a clear failed create step', async () => {
    const other = sshd.newKey('other_host_key');
    const [type, blob] = readFileSync(`${other}.pub`, 'utf8').trim().split(/\s+/);
    const changed = join(sshd.scratch, 'changed_known_hosts');
    writeFileSync(changed, `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`);
    const unknown = join(sshd.scratch, 'unknown_known_hosts');
    writeFileSync(unknown, `otherhost ${type} ${blob}\n`);
    const bff = await startTestBff({ providers: [provider({ knownHosts: changed })] });
    const created = (await (await bff.api('/api/runtimes', { body: { provider: 'ssh' } })).json()) as Runtime;
    const { runtime, entries } = await settled(bff, created.id);
    expect(runtime.status).toBe('failed');
    expect(failedSteps(entries).map((entry) => entry.step)).toEqual(['create']);
    expect(failedSteps(entries)[0]?.detail).toMatch(/host key of \[127\.0\.0\.1\]:\d+ has changed/);
    expect(readdirSync(sshd.remoteDir)).not.toContain(created.id);

    await expect(
      provider({ knownHosts: unknown }).create({ runtimeId: 'rt_unknown', signal: AbortSignal.timeout(20_000) }),
    ).rejects.toThrow(/is not in .*unknown_known_hosts: refusing to connect to an unknown host/);
  });

  it('fails the create step clearly when the host does not accept the user key', async () => {
    const stranger = sshd.newKey('stranger_key');
    const bff = await startTestBff({ providers: [provider({ key: stranger })] });
    const created = (await (await bff.api('/api/runtimes', { body: { provider: 'ssh' } })).json()) as Runtime;
    const { runtime, entries } = await settled(bff, created.id);
    expect(runtime.status).toBe('failed');
    expect(failedSteps(entries).map((entry) => entry.step)).toEqual(['create']);
    expect(failedSteps(entries)[0]?.detail).toMatch(
      /refused the login .*authorized_keys does not hold the public key of REMOTE_CHAT_SSH_KEY/,
    );
  });

  it('stops and destroys safely, also a runtime that is already gone, and probes it as gone', async () => {
    const ssh = provider();
    const signal = AbortSignal.timeout(30_000);
    const { state } = await ssh.create({ runtimeId: 'rt_gone', signal });
    const dir = join(sshd.remoteDir, 'rt_gone');
    expect(existsSync(join(dir, 'workspace'))).toBe(true);
    await ssh.destroy(state);
    expect(existsSync(dir)).toBe(false);
    expect(await ssh.probe(state)).toBeNull();
    await ssh.stop(state);
    await ssh.destroy(state);
    // A state that is not ours (an older version, a path outside the folder) is left alone.
    await ssh.destroy({ dir: '/' });
    await ssh.destroy({ dir: 'relative' });
    expect(await ssh.probe({})).toBeNull();
    expect(existsSync(sshd.remoteDir)).toBe(true);
  });

  it('is switched on by REMOTE_CHAT_SSH_HOST, and a wrong setting stops the start naming its variable', async () => {
    const context = { dataDir: sshd.scratch, logger: createLogger('silent'), idleTimeoutMs: 3_600_000 };
    const env = {
      REMOTE_CHAT_SSH_HOST: sshd.host,
      REMOTE_CHAT_SSH_PORT: String(sshd.port),
      REMOTE_CHAT_SSH_KEY: sshd.keyFile,
      REMOTE_CHAT_SSH_KNOWN_HOSTS: sshd.knownHostsFile,
    };
    expect(await configuredProviders({ env: {}, context })).toEqual([]);
    const [ssh] = await configuredProviders({ env, context });
    expect(ssh).toMatchObject({ id: 'ssh', label: 'SSH host', audience: 'owner' });
    await expect(configuredProviders({ env: { ...env, REMOTE_CHAT_SSH_PORT: 'twenty-two' }, context })).rejects.toThrow(
      /provider ssh: port \(REMOTE_CHAT_SSH_PORT\)/,
    );
    await expect(
      configuredProviders({ env: { ...env, REMOTE_CHAT_SSH_AUDIENCE: 'everyone' }, context }),
    ).rejects.toThrow(/REMOTE_CHAT_SSH_AUDIENCE/);
    await expect(
      configuredProviders({ env: { ...env, REMOTE_CHAT_SSH_KEY: join(sshd.scratch, 'missing') }, context }),
    ).rejects.toThrow(/provider ssh: REMOTE_CHAT_SSH_KEY: cannot read the private key file/);
  });

  it('names the setting when the key file or the known_hosts file cannot be read', () => {
    expect(() => provider({ key: join(sshd.scratch, 'missing') })).toThrow(/REMOTE_CHAT_SSH_KEY: cannot read/);
    expect(() => provider({ knownHosts: join(sshd.scratch, 'missing') })).toThrow(
      /REMOTE_CHAT_SSH_KNOWN_HOSTS: cannot read/,
    );
    expect(() =>
      SshProvider.fromSettings(SshSettingsSchema.parse({ host: 'h', knownHosts: sshd.knownHostsFile }), {}),
    ).toThrow(/no private key file is set and no SSH agent runs/);
  });
});
