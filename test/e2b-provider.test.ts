// The e2b provider driven directly (no BFF) against the E2B stand-in, through the real SDK: what
// the contract suite cannot see from outside (where the token goes, file modes, the sandbox's own
// timeout), pause and resume, and each failure path's message.
import './support/localhost-subdomains.mjs';
import { statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  configuredProviders,
  createLogger,
  type E2bProviderOptions,
  E2bProvider,
  type RuntimeSettings,
} from '@remote-chat/bff';
import { dialLink } from '@remote-chat/link';
import type { LogEntry, Runtime } from '@remote-chat/protocol';
import { Sandbox } from 'e2b';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { bffSession } from '../packages/runtime/src/test-support/bff-session.js';
import { startTestBff } from './support/bff.js';
import { type E2bStandin, startE2bStandin } from './support/e2b-standin.js';
import { freePort } from './support/free-port.mjs';
import { waitFor } from './support/wait.js';

const RUNTIME_FILE = fileURLToPath(import.meta.resolve('@remote-chat/runtime/bundle'));
const TOKEN = 'e2b-provider-test-token-0123456789';
const SETTINGS: RuntimeSettings = { agent: 'shell', commandTimeoutMs: 60_000, acpAgents: [] };

let standin: E2bStandin;
beforeAll(async () => {
  standin = await startE2bStandin({ apiKey: 'e2b_provider_key', templates: ['base'] });
});
afterAll(async () => {
  await standin?.close();
});

let counter = 0;
function context(runtimeId = `rt_e2b_${process.pid}_${++counter}`) {
  return { runtimeId, signal: new AbortController().signal, token: TOKEN };
}

function provider(options: Partial<E2bProviderOptions> = {}) {
  return new E2bProvider({
    apiKey: standin.apiKey,
    apiUrl: standin.apiUrl,
    sandboxUrl: standin.apiUrl,
    domain: standin.domain,
    template: 'base',
    ...options,
  });
}

/** A runtime brought up through every step, destroyed when the test ends. */
async function bringUp(e2b = provider()) {
  const ctx = context();
  const { state } = await e2b.create(ctx);
  onTestFinished(() => e2b.destroy(state));
  await e2b.clone(ctx, state, null);
  await e2b.install(ctx, state, RUNTIME_FILE);
  await e2b.writeSettings(ctx, state, SETTINGS);
  const started = await e2b.start(ctx, state);
  return { e2b, ctx, started, state: started.state as { sandboxId: string; port: number; runtimeId: string } };
}

/** Dials the runtime's link and runs one shell command in its thread; resolves with its output. */
async function runOverLink(linkUrl: string, runtimeId: string, command: string): Promise<string> {
  const bff = bffSession();
  const socket = await dialLink({ url: linkUrl, runtimeId, token: TOKEN, session: bff.session });
  try {
    const threadId = `th_${++counter}`;
    bff.session.send({
      type: 'message.send',
      threadId,
      seq: 1,
      clientId: `c${counter}`,
      text: command,
      agent: 'shell',
    });
    await waitFor(() => bff.events(threadId).some((event) => event.kind === 'tool.result'), 'the command', 15_000);
    return bff
      .events(threadId)
      .flatMap((event) => (event.kind === 'tool.output' ? [event.data] : []))
      .join('');
  } finally {
    socket.close();
  }
}

// Each test brings real sandboxes up (bubblewrap, a Node runtime): slower than most on a busy machine.
describe('the e2b provider', { timeout: 60_000 }, () => {
  it('makes a sandbox named after the runtime, with the token kept out of every command line', async () => {
    const { started, state, ctx } = await bringUp(provider({ idleTimeoutMs: 120_000 }));
    expect(started.endpoint.linkUrl).toBe(`ws://${state.port}-${state.sandboxId}.${standin.domain}/link`);

    const info = await Sandbox.getInfo(state.sandboxId, standin.sdkOptions);
    expect(info.metadata).toEqual({ remoteChatRuntimeId: ctx.runtimeId });
    // The sandbox's own timeout: the idle window and a minute.
    expect(info.endAt.getTime() - Date.now()).toBeGreaterThan(170_000);
    expect(info.endAt.getTime() - Date.now()).toBeLessThanOrEqual(180_000);

    const sandbox = await Sandbox.connect(state.sandboxId, standin.sdkOptions);
    const processes = await sandbox.commands.list();
    expect(processes).toHaveLength(1);
    expect(processes[0]?.envs.REMOTE_CHAT_RUNTIME_TOKEN).toBe(TOKEN);
    expect([processes[0]?.cmd, ...(processes[0]?.args ?? [])].join(' ')).not.toContain(TOKEN);
    const { dir } = standin.sandboxes().find((each) => each.sandboxId === state.sandboxId)!;
    expect(statSync(join(dir, 'home', '.remote-chat', 'settings.json')).mode & 0o777).toBe(0o600);

    const output = await runOverLink(
      started.endpoint.linkUrl,
      ctx.runtimeId,
      'echo "home=$HOME"; git -C . status --short --branch',
    );
    expect(output).toContain('home=/home/user');
    expect(output).toContain('## No commits yet on main');
    // A BFF restarted with a new provider re-attaches by the sandbox id alone.
    expect(await provider().probe(state)).toEqual(started.endpoint);
  });

  it('pauses with files and the runtime kept, and resumes to a link that answers', async () => {
    const { e2b, ctx, started, state } = await bringUp();
    await runOverLink(started.endpoint.linkUrl, ctx.runtimeId, 'echo kept > notes.txt');

    const paused = await e2b.pause(state);
    expect(standin.sandboxes().find((each) => each.sandboxId === state.sandboxId)?.state).toBe('paused');
    expect(await e2b.probe(paused)).toBeNull();

    const resumed = await e2b.resume(ctx, paused);
    expect(resumed.detail).toMatch(/resumed; the runtime kept running/);
    expect(resumed.state).toEqual(state);
    const output = await runOverLink(resumed.endpoint.linkUrl, ctx.runtimeId, 'cat notes.txt');
    expect(output).toContain('kept');
  });

  it('stops by pausing, and starts again in the same sandbox with its files', async () => {
    const { e2b, ctx, started, state } = await bringUp();
    await runOverLink(started.endpoint.linkUrl, ctx.runtimeId, 'echo still-here > notes.txt');
    await e2b.stop(state);
    await e2b.stop(state);
    expect(standin.sandboxes().find((each) => each.sandboxId === state.sandboxId)?.state).toBe('paused');

    const again = await e2b.start(ctx, state);
    expect(await runOverLink(again.endpoint.linkUrl, ctx.runtimeId, 'cat notes.txt')).toContain('still-here');
    const sandbox = await Sandbox.connect(state.sandboxId, standin.sdkOptions);
    // The earlier runtime was stopped first: one runtime per sandbox.
    expect(await sandbox.commands.list()).toHaveLength(1);
  });

  it('answers null for a sandbox that is gone, fails to start it in plain words, and destroys it twice quietly', async () => {
    const { e2b, ctx, state } = await bringUp();
    await Sandbox.kill(state.sandboxId, standin.sdkOptions);
    expect(await e2b.probe(state)).toBeNull();
    await expect(e2b.start(ctx, state)).rejects.toThrow(`The E2B sandbox ${state.sandboxId} is gone`);
    await e2b.destroy(state);
    await e2b.destroy(state);
    await e2b.stop(state);
    expect(await e2b.probe({ nonsense: true })).toBeNull();
  });

  it('says which setting is wrong: a refused key, a missing template, a reached quota, no E2B at all', async () => {
    const wrongKey = await provider({ apiKey: 'e2b_wrong_key' })
      .create(context())
      .catch((error: unknown) => error);
    expect(String(wrongKey)).toMatch(/E2B did not accept the API key \(E2B_API_KEY\)/);
    expect(String(wrongKey)).not.toContain('e2b_wrong_key');

    await expect(provider({ template: 'nope' }).create(context())).rejects.toThrow(
      /E2B has no template "nope" \(REMOTE_CHAT_E2B_TEMPLATE\)/,
    );

    const small = await startE2bStandin({ maxSandboxes: 1 });
    try {
      const limited = new E2bProvider({
        apiKey: small.apiKey,
        apiUrl: small.apiUrl,
        sandboxUrl: small.apiUrl,
        domain: small.domain,
        template: 'base',
      });
      const { state } = await limited.create(context());
      await expect(limited.create(context())).rejects.toThrow(/sandbox quota or rate limit is reached/);
      await limited.destroy(state);
    } finally {
      await small.close();
    }

    const closed = `http://127.0.0.1:${await freePort()}`;
    await expect(provider({ apiUrl: closed, sandboxUrl: closed }).create(context())).rejects.toThrow(
      /Could not create a sandbox: E2B did not answer after 3 attempts/,
    );
  });

  it('retries a create whose answer was lost on the network, and takes the sandbox it made rather than a second', async () => {
    // The control API through a proxy that cuts the connection once E2B made the first sandbox.
    let lost = 0;
    const proxy = createServer((request, response) => {
      const upstream = httpRequest(
        `${standin.apiUrl}${request.url}`,
        { method: request.method, headers: request.headers },
        (answer) => {
          if (request.method === 'POST' && request.url === '/v2/sandboxes' && lost++ === 0) {
            answer.resume();
            answer.on('end', () => response.socket?.destroy());
            return;
          }
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const { port } = proxy.address() as AddressInfo;

    const before = standin.sandboxes().length;
    const e2b = provider({ apiUrl: `http://127.0.0.1:${port}` });
    const ctx = context();
    const { state } = await e2b.create(ctx);
    onTestFinished(() => e2b.destroy(state));
    expect(lost).toBe(1);
    expect(standin.sandboxes()).toHaveLength(before + 1);
    expect(standin.sandboxes().map((each) => each.sandboxId)).toContain(state.sandboxId);
  });

  it('fails the install step clearly on a template without Node.js 20', async () => {
    const e2b = provider();
    const ctx = context();
    const { state } = await e2b.create(ctx);
    onTestFinished(() => e2b.destroy(state));
    // An old `node` first on the login shell's PATH: a template built without Node 20.
    const sandbox = await Sandbox.connect((state as { sandboxId: string }).sandboxId, standin.sdkOptions);
    await sandbox.files.write('/home/user/bin/node', '#!/bin/sh\necho v18.19.0\n');
    await sandbox.files.write('/home/user/.profile', 'PATH="$HOME/bin:$PATH"\n');
    await sandbox.commands.run('chmod +x /home/user/bin/node');
    const failed = await e2b.install(ctx, state, RUNTIME_FILE).catch((error: unknown) => error);
    expect(String(failed)).toMatch(/has Node.js v18.19.0; the runtime needs Node.js 20 or later/);
  });
});

describe('an e2b runtime that cannot be made', () => {
  it.each([
    ['a refused key', { apiKey: 'e2b_not_the_key' }, /E2B did not accept the API key \(E2B_API_KEY\)/],
    ['a missing template', { template: 'no-such-template' }, /E2B has no template "no-such-template"/],
  ])('fails at the create step with %s, saying which setting', async (_what, options, message) => {
    const bff = await startTestBff({ providers: [provider(options)] });
    const created = await bff.api('/api/runtimes', { body: { provider: 'e2b' } });
    expect(created.status).toBe(201);
    const runtime = (await created.json()) as Runtime;
    const log = await waitFor(
      async () => {
        const { entries } = (await (await bff.api(`/api/runtimes/${runtime.id}/log`)).json()) as {
          entries: LogEntry[];
        };
        return entries.some((entry) => entry.kind === 'status' && entry.status === 'failed') && entries;
      },
      'the runtime to fail',
      15_000,
    );
    const create = log.find((entry) => entry.kind === 'step' && entry.step === 'create' && entry.state === 'failed');
    expect(create).toMatchObject({ detail: expect.stringMatching(message) });
    expect(log.some((entry) => entry.kind === 'step' && entry.step === 'clone')).toBe(false);
    expect(standin.sandboxes()).toEqual([]);
  });
});

describe('the e2b provider in the configuration', () => {
  const providerContext = () => ({ dataDir: '/nonexistent', logger: createLogger('silent'), idleTimeoutMs: 600_000 });

  it('is switched on by E2B_API_KEY, with the config file under the environment, and keeps its timeout above the idle window', async () => {
    expect(await configuredProviders({ env: {}, context: providerContext() })).toEqual([]);
    const [e2b] = await configuredProviders({
      env: { ...standin.env, REMOTE_CHAT_E2B_TEMPLATE: 'base' },
      fileSettings: { e2b: { apiKey: 'e2b_not_the_key', template: 'no-such-template' } },
      context: providerContext(),
    });
    expect(e2b).toBeInstanceOf(E2bProvider);
    expect(e2b).toMatchObject({ id: 'e2b', label: 'E2B sandbox', sandboxTimeoutMs: 660_000 });
    // The environment's key and template, not the file's.
    const { state } = await (e2b as E2bProvider).create(context());
    onTestFinished(() => e2b!.destroy(state));
    const info = await Sandbox.getInfo(state.sandboxId, standin.sdkOptions);
    expect(info.templateId).toBe('base');
    expect(info.endAt.getTime() - Date.now()).toBeGreaterThan(650_000);
  });

  it('stops the start with a message naming a wrong setting, never its value', async () => {
    const wrong = configuredProviders({
      env: { E2B_API_KEY: 'e2b_secret_value', E2B_API_URL: 'not a url' },
      context: providerContext(),
    });
    await expect(wrong).rejects.toBeInstanceOf(ConfigError);
    await expect(wrong).rejects.toThrow(/^provider e2b: apiUrl \(E2B_API_URL\): /);
    await expect(wrong).rejects.not.toThrow(/e2b_secret_value/);
    await expect(
      configuredProviders({ env: {}, fileSettings: { e2b: { template: 'base' } }, context: providerContext() }),
    ).rejects.toThrow(/^provider e2b: apiKey \(E2B_API_KEY\): /);
  });
});
