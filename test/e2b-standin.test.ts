// The E2B stand-in, driven by the real `e2b` SDK: what the e2b provider will rely on.
import './support/localhost-subdomains.mjs';
import { existsSync } from 'node:fs';
import {
  AuthenticationError,
  CommandExitError,
  RateLimitError,
  Sandbox,
  SandboxError,
  SandboxNotFoundError,
} from 'e2b';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type E2bStandin, startE2bStandin } from './support/e2b-standin.js';
import { echoServerScript } from './support/sandbox-echo-server.js';

let standin: E2bStandin;

beforeAll(async () => {
  standin = await startE2bStandin({ apiKey: 'e2b_test_key', templates: ['base', 'remote-chat'] });
});
afterAll(async () => {
  await standin?.close();
});

/** Starts the echo server in `sandbox` and resolves once it listens. */
async function startEchoServer(sandbox: Sandbox, port: number, name: string) {
  await sandbox.files.write('/home/user/echo.cjs', echoServerScript(port, name));
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const handle = await sandbox.commands.run('node echo.cjs', {
    background: true,
    onStdout: (line) => {
      if (line.includes('listening')) listening();
    },
  });
  await ready;
  return handle;
}

function wsEcho(url: string, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => socket.send(message));
    socket.once('message', (data) => {
      resolve(String(data));
      socket.close();
    });
    socket.once('error', reject);
  });
}

describe('the E2B stand-in through the e2b SDK', () => {
  it('runs a command with its stdout streamed, and reports a failing one as the SDK does', async () => {
    const sandbox = await Sandbox.create('base', standin.sdkOptions);
    const chunks: string[] = [];
    const result = await sandbox.commands.run('echo one; sleep 0.2; echo two; pwd', {
      onStdout: (chunk) => {
        chunks.push(chunk);
      },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('one\ntwo\n/home/user\n');
    expect(chunks.length).toBeGreaterThan(1);
    const failed = await sandbox.commands.run('echo oops >&2; exit 3').catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(CommandExitError);
    expect((failed as CommandExitError).exitCode).toBe(3);
    expect((failed as CommandExitError).stderr).toBe('oops\n');
    await sandbox.kill();
  });

  it('reaches a server in the sandbox through getHost with fetch and ws, each sandbox on its own network', async () => {
    const first = await Sandbox.create('base', standin.sdkOptions);
    const second = await Sandbox.create('base', standin.sdkOptions);
    const server = await startEchoServer(first, 3000, 'first');
    // The same port in another sandbox: no clash, as in E2B.
    await startEchoServer(second, 3000, 'second');

    expect(first.getHost(3000)).toBe(`3000-${first.sandboxId}.${standin.domain}`);
    const answer = await fetch(`http://${first.getHost(3000)}/hello?x=1`);
    expect(await answer.text()).toBe('first GET /hello?x=1');
    expect(await (await fetch(`http://${second.getHost(3000)}/`)).text()).toBe('second GET /');
    expect(await wsEcho(`ws://${first.getHost(3000)}/socket`, 'ping')).toBe('first: ping');
    // The same port through the SDK's headers on the sandbox URL.
    const byHeaders = await fetch(`${standin.apiUrl}/via-headers`, {
      headers: { 'E2b-Sandbox-Id': second.sandboxId, 'E2b-Sandbox-Port': '3000' },
    });
    expect(await byHeaders.text()).toBe('second GET /via-headers');
    // A port nobody listens on.
    expect((await fetch(`http://${first.getHost(3001)}/`)).status).toBe(502);

    const listed = await first.commands.list();
    expect(listed.map((each) => each.pid)).toEqual([server.pid]);
    expect(await first.commands.kill(server.pid)).toBe(true);
    await server.wait().catch(() => undefined);
    expect(await first.commands.list()).toEqual([]);
    expect(await first.commands.kill(server.pid)).toBe(false);
    await first.kill();
    await second.kill();
  });

  it('writes and reads files, and pause then connect keeps both the files and the processes', async () => {
    const sandbox = await Sandbox.create('remote-chat', standin.sdkOptions);
    await sandbox.files.write('/home/user/notes/a.txt', 'kept across a pause');
    expect(await sandbox.files.read('/home/user/notes/a.txt')).toBe('kept across a pause');
    expect(await sandbox.files.read('notes/a.txt')).toBe('kept across a pause');
    await expect(sandbox.files.read('/home/user/missing.txt')).rejects.toThrow(/does not exist/);
    await startEchoServer(sandbox, 8080, 'paused-one');

    expect(await sandbox.pause()).toBe(true);
    expect(await sandbox.pause()).toBe(false);
    expect((await Sandbox.getInfo(sandbox.sandboxId, standin.sdkOptions)).state).toBe('paused');
    expect(standin.sandboxes().find((each) => each.sandboxId === sandbox.sandboxId)?.state).toBe('paused');
    expect((await fetch(`http://${sandbox.getHost(8080)}/`)).status).toBe(502);
    expect(await sandbox.isRunning()).toBe(false);

    const resumed = await Sandbox.connect(sandbox.sandboxId, standin.sdkOptions);
    expect((await Sandbox.getInfo(sandbox.sandboxId, standin.sdkOptions)).state).toBe('running');
    expect(await resumed.files.read('/home/user/notes/a.txt')).toBe('kept across a pause');
    expect(await (await fetch(`http://${resumed.getHost(8080)}/again`)).text()).toBe('paused-one GET /again');
    await resumed.kill();
  });

  it('sets the timeout, lists sandboxes, and kills a sandbox with its processes (twice is harmless)', async () => {
    const sandbox = await Sandbox.create('base', { ...standin.sdkOptions, metadata: { thread: 't1' } });
    await startEchoServer(sandbox, 3000, 'doomed');
    const before = Date.now();
    await sandbox.setTimeout(600_000);
    const info = await sandbox.getInfo();
    expect(info.endAt.getTime()).toBeGreaterThanOrEqual(before + 599_000);
    expect(info.metadata).toEqual({ thread: 't1' });
    const listed = await Sandbox.list(standin.sdkOptions).nextItems();
    expect(listed.map((each) => each.sandboxId)).toContain(sandbox.sandboxId);

    const { dir } = standin.sandboxes().find((each) => each.sandboxId === sandbox.sandboxId) ?? { dir: '' };
    expect(existsSync(dir)).toBe(true);
    expect(await sandbox.kill()).toBe(true);
    expect(await sandbox.kill()).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(Sandbox.getInfo(sandbox.sandboxId, standin.sdkOptions)).rejects.toBeInstanceOf(SandboxNotFoundError);
    await expect(Sandbox.connect(sandbox.sandboxId, standin.sdkOptions)).rejects.toBeInstanceOf(SandboxNotFoundError);
    await expect(fetch(`http://${sandbox.getHost(3000)}/`).then((answer) => answer.status)).resolves.toBe(502);
  });

  it('answers a wrong key, a missing template and an exceeded quota with the SDK errors for them', async () => {
    await expect(Sandbox.create('base', { ...standin.sdkOptions, apiKey: 'e2b_wrong' })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    const missing = await Sandbox.create('no-such-template', standin.sdkOptions).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(SandboxError);
    expect(String(missing)).toMatch(/404: template 'no-such-template' not found/);

    const small = await startE2bStandin({ maxSandboxes: 1 });
    try {
      const only = await Sandbox.create('base', small.sdkOptions);
      await expect(Sandbox.create('base', small.sdkOptions)).rejects.toBeInstanceOf(RateLimitError);
      await only.kill();
      expect(small.sandboxes()).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
