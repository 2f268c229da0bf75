// The Daytona stand-in, driven by the real `@daytonaio/sdk`: what the daytona provider will rely on.
import './support/localhost-subdomains.mjs';
import { existsSync } from 'node:fs';
import {
  Daytona,
  DaytonaAuthenticationError,
  DaytonaAuthorizationError,
  DaytonaNotFoundError,
  type Sandbox,
} from '@daytonaio/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DaytonaStandin, startDaytonaStandin } from './support/daytona-standin.js';
import { echoServerScript } from './support/sandbox-echo-server.js';

let standin: DaytonaStandin;
let daytona: Daytona;

beforeAll(async () => {
  standin = await startDaytonaStandin({ apiKey: 'dtn_test_key', snapshots: ['remote-chat:1', 'other:1'] });
  daytona = new Daytona(standin.sdkOptions);
});
afterAll(async () => {
  await standin?.close();
});

/** Starts the echo server in a session and resolves once it prints `listening`. */
async function startEchoServer(sandbox: Sandbox, port: number, name: string) {
  await sandbox.fs.uploadFile(Buffer.from(echoServerScript(port, name)), '/home/daytona/echo.cjs');
  await sandbox.process.createSession('server');
  const { cmdId } = await sandbox.process.executeSessionCommand('server', {
    command: 'node /home/daytona/echo.cjs',
    runAsync: true,
  });
  await new Promise<void>((resolve) => {
    void sandbox.process.getSessionCommandLogs(
      'server',
      String(cmdId),
      (chunk) => {
        if (chunk.includes('listening')) resolve();
      },
      () => {},
    );
  });
  return String(cmdId);
}

function wsEcho(url: string, token: string, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { 'x-daytona-preview-token': token } });
    socket.once('open', () => socket.send(message));
    socket.once('message', (data) => {
      resolve(String(data));
      socket.close();
    });
    socket.once('error', reject);
  });
}

describe('the Daytona stand-in through @daytonaio/sdk', () => {
  it('executes a command, and streams a session command’s output with its exit code after', async () => {
    const sandbox = await daytona.create({ snapshot: 'remote-chat:1' });
    expect(sandbox.state).toBe('started');
    const executed = await sandbox.process.executeCommand('sh -c "echo hello; pwd"');
    expect(executed).toMatchObject({ exitCode: 0, result: 'hello\n/home/daytona\n' });
    expect((await sandbox.process.executeCommand('sh -c "exit 4"')).exitCode).toBe(4);
    // No shell, as in Daytona's toolbox: the words go to echo as they are.
    expect((await sandbox.process.executeCommand("echo 'a b' && $HOME")).result).toBe('a b && $HOME\n');

    await sandbox.process.createSession('steps');
    const { cmdId } = await sandbox.process.executeSessionCommand('steps', {
      command: 'echo one; sleep 0.2; echo two >&2; exit 2',
      runAsync: true,
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    await sandbox.process.getSessionCommandLogs(
      'steps',
      String(cmdId),
      (chunk) => stdout.push(chunk),
      (chunk) => stderr.push(chunk),
    );
    expect(stdout.join('')).toBe('one\n');
    expect(stderr.join('')).toBe('two\n');
    expect((await sandbox.process.getSessionCommand('steps', String(cmdId))).exitCode).toBe(2);
    const sync = await sandbox.process.executeSessionCommand('steps', { command: 'echo sync' });
    expect(sync).toMatchObject({ exitCode: 0, stdout: 'sync\n' });
    await sandbox.delete();
  });

  it('reaches a server in the sandbox through its preview link with fetch and ws, token required', async () => {
    const sandbox = await daytona.create({ snapshot: 'remote-chat:1' });
    await startEchoServer(sandbox, 3000, 'preview');
    const link = await sandbox.getPreviewLink(3000);
    expect(link.url).toBe(`http://3000-${sandbox.id}.localhost:${new URL(standin.apiUrl).port}`);

    const answer = await fetch(`${link.url}/hello`, { headers: { 'x-daytona-preview-token': link.token } });
    expect(await answer.text()).toBe('preview GET /hello');
    expect((await fetch(`${link.url}/hello`)).status).toBe(403);
    expect(await wsEcho(`${link.url.replace(/^http/, 'ws')}/socket`, link.token, 'ping')).toBe('preview: ping');
    const elsewhere = await sandbox.getPreviewLink(3001);
    expect((await fetch(elsewhere.url, { headers: { 'x-daytona-preview-token': elsewhere.token } })).status).toBe(502);
    await sandbox.delete();
  });

  it('uploads and downloads files, and stop then start keeps the files but not the processes', async () => {
    const sandbox = await daytona.create({ snapshot: 'remote-chat:1' });
    await sandbox.fs.uploadFile(Buffer.from('kept across a stop'), '/home/daytona/notes/a.txt');
    expect((await sandbox.fs.downloadFile('/home/daytona/notes/a.txt')).toString()).toBe('kept across a stop');
    await expect(sandbox.fs.downloadFile('/home/daytona/missing.txt')).rejects.toThrow(/not found/);
    await startEchoServer(sandbox, 8080, 'stopped-one');
    expect(standin.sandboxes().find((each) => each.id === sandbox.id)?.processes).toBe(1);

    await sandbox.stop();
    expect(sandbox.state).toBe('stopped');
    expect((await daytona.get(sandbox.id)).state).toBe('stopped');
    expect(standin.sandboxes().find((each) => each.id === sandbox.id)?.processes).toBe(0);

    await sandbox.start();
    expect(sandbox.state).toBe('started');
    expect((await sandbox.fs.downloadFile('/home/daytona/notes/a.txt')).toString()).toBe('kept across a stop');
    const link = await sandbox.getPreviewLink(8080);
    expect((await fetch(link.url, { headers: { 'x-daytona-preview-token': link.token } })).status).toBe(502);
    await sandbox.delete();
  });

  it('deletes a sandbox with its processes and folder; the second delete is a not-found', async () => {
    const sandbox = await daytona.create({ snapshot: 'other:1' });
    await startEchoServer(sandbox, 3000, 'doomed');
    const { dir } = standin.sandboxes().find((each) => each.id === sandbox.id) ?? { dir: '' };
    expect(existsSync(dir)).toBe(true);
    await sandbox.delete();
    expect(existsSync(dir)).toBe(false);
    await expect(sandbox.delete()).rejects.toBeInstanceOf(DaytonaNotFoundError);
    await expect(daytona.get(sandbox.id)).rejects.toBeInstanceOf(DaytonaNotFoundError);
  });

  it('answers a wrong key, a missing snapshot and an exceeded quota with the SDK errors for them', async () => {
    const wrong = new Daytona({ ...standin.sdkOptions, apiKey: 'dtn_wrong' });
    await expect(wrong.create({ snapshot: 'remote-chat:1' })).rejects.toBeInstanceOf(DaytonaAuthenticationError);
    const missing = await daytona.create({ snapshot: 'no-such-snapshot' }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(DaytonaNotFoundError);
    expect(String(missing)).toMatch(/Snapshot no-such-snapshot not found/);

    const small = await startDaytonaStandin({ maxSandboxes: 1 });
    try {
      const client = new Daytona(small.sdkOptions);
      const only = await client.create();
      await expect(client.create()).rejects.toBeInstanceOf(DaytonaAuthorizationError);
      await only.delete();
      expect(small.sandboxes()).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
