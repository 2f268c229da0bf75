import { chmodSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { type Server, connect, createServer } from 'node:net';
import { networkInterfaces, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Runtime, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import { clientId, readyRuntime, startTestBff, type TestBff } from './support/bff.js';

/**
 * What a user of the chat might try from inside a runtime, through the shell agent as a user
 * would. `SANDBOX_TEST_PROVIDER=process npx vitest run test/sandbox.test.ts` runs the same
 * attempts in runtimes of the unsandboxed Local process provider: every escape test then fails.
 */
const PROVIDER = process.env.SANDBOX_TEST_PROVIDER ?? 'bubblewrap';
const HOST = 'http://host.example';

/** Runs a command line in a thread through the shell agent; resolves with its output once it ended. */
async function shell(bff: TestBff, threadId: string, command: string): Promise<string> {
  const sent = await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: command } });
  expect(sent.status).toBe(202);
  const { event } = (await sent.json()) as { event: ThreadEvent };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const page = (await (await bff.api(`/api/threads/${threadId}/events?after=${event.seq}`)).json()) as {
      events: ThreadEvent[];
    };
    if (page.events.some((e) => e.kind === 'tool.result')) {
      return page.events.map((e) => (e.kind === 'tool.output' ? e.data : '')).join('');
    }
    if (Date.now() > deadline) throw new Error(`no result for ${command}: ${JSON.stringify(page.events)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until a runtime, as `read` sees it, is ready with its link open. */
async function untilAttached(read: () => Promise<Response>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const current = (await (await read()).json()) as Runtime;
    if (current.status === 'ready' && current.link === 'open') return;
    if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(current)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Two runtimes of the provider under test: a victim and the one the attempts come from. */
async function twoRuntimes(bff: TestBff) {
  const [victim, attacker] = await Promise.all([readyRuntime(bff, PROVIDER), readyRuntime(bff, PROVIDER)]);
  return { victim, attacker };
}

/** A node one-liner that prints CONNECTED, then what it hears, when a TCP `host:port` or a Unix socket path accepts it. */
function tryConnect(target: string): string {
  const script =
    "const t=process.argv[1];const m=/^(.*):(\\d+)$/.exec(t);const s=m?require('net').connect(+m[2],m[1]):require('net').connect(t);" +
    "s.on('connect',()=>console.log('CONNECTED'));s.on('data',d=>console.log(String(d)));s.on('close',()=>process.exit(0));" +
    "s.on('error',e=>{console.log('refused: '+e.code);process.exit(1)});setTimeout(()=>{console.log('timed out');process.exit(1)},3000)";
  return `node -e "${script}" '${target}'`;
}

/** Where the BFF reaches a runtime's link: its Unix socket on the host, or its loopback port. */
function linkEndpoint(bff: TestBff, runtimeId: string): string {
  const dir = join(bff.dataDir, 'runtimes', runtimeId);
  const file = JSON.parse(readFileSync(join(dir, 'state', 'runtime.json'), 'utf8')) as {
    port: number;
    socket?: string;
  };
  return file.socket ? join(dir, 'state', 'link.sock') : `127.0.0.1:${file.port}`;
}

/** The host pid of a runtime's `remote-chat-runtime serve` process (the tests run as root and see all). */
function runtimePid(runtimeId: string): number {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      // Node itself, not the prlimit/bwrap/setpriv that started it with the same environment.
      const [program = '', script = ''] = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      const runtime = /(^|\/)node$/.test(program) && script.endsWith('remote-chat-runtime.js');
      if (runtime && environ.includes(`REMOTE_CHAT_RUNTIME_ID=${runtimeId}\0`)) {
        return Number(entry);
      }
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error(`no process for runtime ${runtimeId}`);
}

/** A TCP server that greets whoever connects; closed when the test ends. */
async function greeter(host: string, greeting: string): Promise<number> {
  const server: Server = createServer((socket) => socket.end(`${greeting}\n`));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** This host's first non-loopback IPv4 address: "the internet", as far as a test can tell. */
function outsideAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  if (!address) throw new Error('this host has no non-loopback IPv4 address to stand in for the internet');
  return address.address;
}

describe(`escapes from a runtime (${PROVIDER})`, () => {
  it('cannot read the server secret or the database', async () => {
    const bff = await startTestBff();
    const { attacker } = await twoRuntimes(bff);
    const secret = readFileSync(join(bff.dataDir, 'secret'), 'utf8').trim();
    const output = await shell(
      bff,
      attacker.threadId,
      `cat ${bff.dataDir}/secret; head -c 64 ${bff.dataDir}/remote-chat.db; ls ${bff.dataDir} && echo LISTED`,
    );
    expect(output).toMatch(/No such file or directory/);
    expect(output).not.toContain(secret);
    expect(output).not.toContain('SQLite format');
    expect(output).not.toContain('LISTED');
  });

  it("cannot read another runtime's workspace", async () => {
    const bff = await startTestBff();
    const { victim, attacker } = await twoRuntimes(bff);
    const marker = `private-${clientId()}`;
    await shell(bff, victim.threadId, `echo ${marker} > notes.txt`);
    const workspace = join(bff.dataDir, 'runtimes', victim.runtime.id, 'workspace');
    expect(readFileSync(join(workspace, 'notes.txt'), 'utf8')).toContain(marker);

    const output = await shell(
      bff,
      attacker.threadId,
      `cat ${workspace}/notes.txt; ls ${bff.dataDir}/runtimes && echo LISTED`,
    );
    expect(output).not.toContain(marker);
    expect(output).not.toContain('LISTED');
  });

  it("cannot read another runtime's environment", async () => {
    const bff = await startTestBff();
    const { victim, attacker } = await twoRuntimes(bff);
    const pid = runtimePid(victim.runtime.id);
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).toContain('REMOTE_CHAT_RUNTIME_TOKEN=');

    const output = await shell(bff, attacker.threadId, `tr '\\0' '\\n' < /proc/${pid}/environ; ps -eo pid,args`);
    expect(output).not.toContain('REMOTE_CHAT_RUNTIME_TOKEN=');
    expect(output).not.toContain(victim.runtime.id);
  });

  it("cannot connect to another runtime's link", async () => {
    const bff = await startTestBff();
    const { victim, attacker } = await twoRuntimes(bff);
    const endpoint = linkEndpoint(bff, victim.runtime.id);
    // The endpoint is real: the host reaches it.
    await new Promise<void>((resolve, reject) => {
      const [, host, port] = /^(.*):(\d+)$/.exec(endpoint) ?? [];
      const socket = port ? connect(Number(port), host) : connect(endpoint);
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });

    const output = await shell(bff, attacker.threadId, tryConnect(endpoint));
    expect(output).not.toContain('CONNECTED');
  });

  it("cannot reach services on the host's loopback or network", async () => {
    const bff = await startTestBff();
    const { attacker } = await readyRuntime(bff, PROVIDER).then((attacker) => ({ attacker }));
    const loopback = await greeter('127.0.0.1', 'host loopback service');
    const outside = outsideAddress();
    const lan = await greeter(outside, 'host network service');

    const output = await shell(
      bff,
      attacker.threadId,
      `${tryConnect(`127.0.0.1:${loopback}`)}; ${tryConnect(`${outside}:${lan}`)}`,
    );
    expect(output).not.toContain('CONNECTED');
    expect(output).not.toContain('service');
  });

  it("reaches the internet with --sandbox-network internet, and still not the host's loopback", async () => {
    const bff = await startTestBff({ sandboxNetwork: 'internet' });
    const { attacker } = await readyRuntime(bff, PROVIDER).then((attacker) => ({ attacker }));
    const loopback = await greeter('127.0.0.1', 'host loopback service');
    const outside = outsideAddress();
    const internet = await greeter(outside, 'a server out there');

    const reached = await shell(bff, attacker.threadId, tryConnect(`${outside}:${internet}`));
    expect(reached).toContain('a server out there');
    // slirp4netns forwards 10.0.2.2 to the host's loopback unless told not to.
    const output = await shell(
      bff,
      attacker.threadId,
      `${tryConnect(`127.0.0.1:${loopback}`)}; ${tryConnect(`10.0.2.2:${loopback}`)}`,
    );
    expect(output).not.toContain('CONNECTED');
    expect(output).not.toContain('host loopback service');
  });
});

describe('the environment commands run with', () => {
  const probe = 'printf "%s|%s|%s|%s|%s" "$USER" "$LOGNAME" "$HOME" "$SHELL" "$(id -un)"';

  it("is the sandbox's own user in a Local sandbox: USER, LOGNAME, HOME and SHELL as its passwd says", async () => {
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff, 'bubblewrap');
    const [user, logname, home, shellPath, id] = (await shell(bff, threadId, probe)).split('|');
    expect({ user, logname, shellPath, id }).toEqual({
      user: 'runtime',
      logname: 'runtime',
      shellPath: '/bin/bash',
      id: 'runtime',
    });
    expect(home).toMatch(/^\/.+/);
    expect((await shell(bff, threadId, 'cd ~ && pwd')).trim()).toBe(home);
  });

  it("is the BFF's user in a Local process runtime, even when the BFF's environment has no USER", async () => {
    // A service manager may start the BFF without USER or LOGNAME.
    const kept = { USER: process.env.USER, LOGNAME: process.env.LOGNAME };
    delete process.env.USER;
    delete process.env.LOGNAME;
    onTestFinished(() => {
      for (const [name, value] of Object.entries(kept)) if (value !== undefined) process.env[name] = value;
    });
    const bff = await startTestBff();
    const { threadId } = await readyRuntime(bff, 'process');
    const [user, logname, home, shellPath, id] = (await shell(bff, threadId, probe)).split('|');
    const account = userInfo();
    expect({ user, logname, home, id }).toEqual({
      user: account.username,
      logname: account.username,
      home: process.env.HOME || account.homedir,
      id: account.username,
    });
    expect(shellPath).toMatch(/^\/.+sh$/);
  });
});

describe("the Local sandbox's lifecycle", () => {
  it('keeps running while the BFF is down and is re-attached, not restarted', async () => {
    const first = await startTestBff();
    const { runtime, threadId } = await readyRuntime(first, 'bubblewrap');
    await shell(first, threadId, 'echo kept > kept.txt');
    const pid = runtimePid(runtime.id);
    await first.stop();

    const second = await startTestBff({ dataDir: first.dataDir });
    await untilAttached(() => second.api(`/api/runtimes/${runtime.id}`));
    expect(runtimePid(runtime.id)).toBe(pid);
    expect(await shell(second, threadId, 'cat kept.txt')).toContain('kept');
  });
  it('restarts a sandbox whose runtime died, in the same workspace, and ends every process when deleted', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff, 'bubblewrap');
    await shell(bff, threadId, 'echo kept > kept.txt');
    const { pgid } = JSON.parse(readFileSync(join(bff.dataDir, 'runtimes', runtime.id, 'sandbox.json'), 'utf8')) as {
      pgid: number;
    };
    process.kill(runtimePid(runtime.id), 'SIGKILL');

    const deadline = Date.now() + 20_000;
    let restarted = 0;
    while (!restarted) {
      const current = (await (await bff.api(`/api/runtimes/${runtime.id}`)).json()) as Runtime;
      const state = (await bff.server.chat.store.getRuntime(runtime.id))?.providerState as { pgid?: number };
      if (current.status === 'ready' && current.link === 'open' && state.pgid !== pgid) restarted = state.pgid ?? 0;
      else if (Date.now() > deadline) throw new Error(`not restarted: ${JSON.stringify(current)}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(await shell(bff, threadId, 'cat kept.txt')).toContain('kept');

    expect((await bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' })).status).toBe(204);
    const alive = (group: number) => {
      try {
        process.kill(-group, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect([alive(pgid), alive(restarted)]).toEqual([false, false]);
    expect(existsSync(join(bff.dataDir, 'runtimes', runtime.id))).toBe(false);
  });
});

describe('who may use the Local process provider', () => {
  async function hostUser(bff: TestBff, userId: string) {
    const created = await bff.api('/api/tokens', { body: { name: 'host backend' } });
    const { token } = (await created.json()) as { token: string };
    const minted = await fetch(`${bff.url}/api/client-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId, origin: HOST }),
    });
    const client = ((await minted.json()) as { token: string }).token;
    const headers = { authorization: `Bearer ${client}`, origin: HOST };
    /** A request as that user: JSON for an object body, as it is for a string. */
    return (path: string, body?: unknown) =>
      fetch(`${bff.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ...headers, ...(typeof body === 'object' && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
  }

  it("is not offered to a host site's user, who cannot create a process runtime", async () => {
    const bff = await startTestBff({ allowedOrigins: [HOST] });
    const alice = await hostUser(bff, 'alice');
    const config = (await (await alice('/api/config')).json()) as { providers: { id: string }[] };
    expect(config.providers.map((p) => p.id)).not.toContain('process');
    const created = await alice('/api/runtimes', { provider: 'process' });
    expect(created.status).toBe(403);
    expect(((await (await alice('/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes).toEqual([]);
    // The owner keeps it.
    const owners = (await (await bff.api('/api/config')).json()) as { providers: { id: string }[] };
    expect(owners.providers.map((p) => p.id)).toContain('process');
  });

  it("refuses a host site's user's messages to a process runtime made while it was open to all", async () => {
    const open = await startTestBff({ allowedOrigins: [HOST], processProviderFor: 'all' });
    const alice = await hostUser(open, 'alice');
    const created = await alice('/api/runtimes', { provider: 'process' });
    expect(created.status).toBe(201);
    const runtime = (await created.json()) as Runtime;
    const thread = (await (await alice(`/api/runtimes/${runtime.id}/threads`, {})).json()) as { id: string };
    await untilAttached(() => alice(`/api/runtimes/${runtime.id}`));
    await open.stop();

    const closed = await startTestBff({ dataDir: open.dataDir, allowedOrigins: [HOST] });
    const aliceAgain = await hostUser(closed, 'alice');
    // Re-attached and able to take work: only the policy stands in the way.
    await untilAttached(() => aliceAgain(`/api/runtimes/${runtime.id}`));
    const sent = await aliceAgain(`/api/threads/${thread.id}/messages`, {
      clientId: clientId(),
      text: 'cat /etc/hostname',
    });
    expect(sent.status).toBe(403);
    expect((await aliceAgain(`/api/threads/${thread.id}/uploads?name=x.txt`, 'x')).status).toBe(403);
    // Her thread is still hers to read.
    expect((await aliceAgain(`/api/threads/${thread.id}`)).status).toBe(200);
  });
});

describe('the data directory', () => {
  function mode(path: string): string {
    return (statSync(path).mode & 0o777).toString(8);
  }

  function modes(dataDir: string): Record<string, string> {
    const files = readdirSync(dataDir).filter((name) => statSync(join(dataDir, name)).isFile());
    return Object.fromEntries([
      ['.', mode(dataDir)],
      ['runtimes', mode(join(dataDir, 'runtimes'))],
      ...files.map((name) => [name, mode(join(dataDir, name))]),
    ]);
  }

  it("is the BFF user's alone: the folder 0700, the database, its WAL and the secret 0600", async () => {
    const bff = await startTestBff();
    await readyRuntime(bff, 'process');
    const dataDir = bff.dataDir;
    expect(existsSync(join(dataDir, 'remote-chat.db-wal'))).toBe(true);
    const expected = (m: Record<string, string>) =>
      Object.fromEntries(Object.keys(m).map((k) => [k, k === '.' || k === 'runtimes' ? '700' : '600']));
    const first = modes(dataDir);
    expect(first).toEqual(expected(first));
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['secret', 'remote-chat.db', 'remote-chat.db-wal']));

    // A data directory an older version left readable is made private at the next start.
    await bff.stop();
    chmodSync(dataDir, 0o755);
    for (const name of readdirSync(dataDir)) chmodSync(join(dataDir, name), 0o755);
    const again = await startTestBff({ dataDir });
    const second = modes(again.dataDir);
    expect(second).toEqual(expected(second));
  });
});
