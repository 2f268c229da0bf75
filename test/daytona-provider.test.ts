// The daytona provider driven directly, through the real @daytonaio/sdk against the local stand-in:
// pause and resume, what it leaves in the sandbox, and the failure paths a person would see.
import './support/localhost-subdomains.mjs';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Daytona } from '@daytonaio/sdk';
import { LinkSession, dialLink } from '@remote-chat/link';
import { FromRuntimeMessageSchema, type FromRuntimeMessage, type ToRuntimeMessage } from '@remote-chat/protocol';
import {
  ConfigError,
  DaytonaProvider,
  type DaytonaProviderOptions,
  RUNTIME_LABEL,
  autoStopMinutes,
  configuredProviders,
  createLogger,
} from '@remote-chat/bff';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type DaytonaStandin, startDaytonaStandin } from './support/daytona-standin.js';
import { freePort } from './support/free-port.mjs';

// The stand-in has no event socket; the SDK reads this when a client is made.
process.env.DAYTONA_USE_DEPRECATED_POLLING = 'true';

const SNAPSHOT = 'remote-chat:1';
const TOKEN = 'daytona-provider-test-token-0123456789';
let standin: DaytonaStandin;

beforeAll(async () => {
  standin = await startDaytonaStandin({ apiKey: 'dtn_provider_key', snapshots: [SNAPSHOT] });
});
afterAll(async () => {
  await standin?.close();
});

function provider(options: Partial<DaytonaProviderOptions> = {}): DaytonaProvider {
  return new DaytonaProvider({
    apiKey: standin.apiKey,
    apiUrl: standin.apiUrl,
    target: 'us',
    snapshot: SNAPSHOT,
    retryDelayMs: 20,
    ...options,
  });
}

const context = (runtimeId: string) => ({ runtimeId, signal: new AbortController().signal, token: TOKEN });

const SETTINGS = { agent: 'shell', commandTimeoutMs: 60_000, acpAgents: [] };

/** A runtime brought up through every step, as the step runner would. */
async function bringUp(daytona: DaytonaProvider, runtimeId: string) {
  const step = context(runtimeId);
  const { state } = await daytona.create(step);
  onTestFinished(() => daytona.destroy(state));
  await daytona.clone(step, state, null);
  await daytona.install(step, state, join(import.meta.dirname, '../packages/runtime/dist/remote-chat-runtime.js'));
  await daytona.writeSettings(step, state, SETTINGS);
  const started = await daytona.start(step, state);
  return { state, started };
}

/** Opens the runtime's link as the BFF does (its URL, headers and token); resolves with the runtime's pid. */
async function linkAnswers(endpoint: { linkUrl: string; headers?: Record<string, string> }, runtimeId: string) {
  const session = new LinkSession<ToRuntimeMessage, FromRuntimeMessage>({
    inbound: FromRuntimeMessageSchema,
    onMessage: () => {},
  });
  const socket = await dialLink({
    url: endpoint.linkUrl,
    runtimeId,
    token: TOKEN,
    session,
    ...(endpoint.headers && { headers: endpoint.headers }),
  });
  session.detach(1000, 'test done');
  socket.terminate();
}

const standinSandbox = (id: string) => standin.sandboxes().find((each) => each.id === id);

describe('the daytona provider', { timeout: 60_000 }, () => {
  it('is switched on by DAYTONA_API_KEY, and a wrong setting is refused naming its variable', async () => {
    const context = { dataDir: '/nonexistent', logger: createLogger('silent'), idleTimeoutMs: 3_600_000 };
    const made = await configuredProviders({
      env: { DAYTONA_API_KEY: 'dtn_x', REMOTE_CHAT_DAYTONA_SNAPSHOT: SNAPSHOT },
      context,
    });
    expect(made.map((each) => [each.id, each.label])).toEqual([['daytona', 'Daytona sandbox']]);
    expect(await configuredProviders({ env: {}, context })).toEqual([]);
    await expect(
      configuredProviders({ env: { DAYTONA_API_KEY: 'dtn_x', DAYTONA_API_URL: 'not a url' }, context }),
    ).rejects.toThrow(/provider daytona: apiUrl \(DAYTONA_API_URL\)/);
    const keyless = await configuredProviders({ env: { DAYTONA_TARGET: 'eu' }, context }).catch((error) => error);
    expect(keyless).toBeInstanceOf(ConfigError);
    expect(String(keyless)).toMatch(/apiKey \(DAYTONA_API_KEY\)/);
  });

  it('pauses with the files kept and resumes with a new runtime process whose link answers', async () => {
    const daytona = provider();
    const { state, started } = await bringUp(daytona, 'rt_daytona_pause');
    const sandboxId = String(state.sandboxId);
    await linkAnswers(started.endpoint, 'rt_daytona_pause');
    const home = join(standinSandbox(sandboxId)?.dir ?? '', 'home');
    writeFileSync(join(home, 'remote-chat/workspace/notes.txt'), 'written before the pause');
    const before = started.detail;

    const paused = await daytona.pause(state);
    expect(standinSandbox(sandboxId)).toMatchObject({ state: 'stopped', processes: 0 });
    expect(await daytona.probe(paused)).toBeNull();

    const resumed = await daytona.resume(context('rt_daytona_pause'), paused);
    expect(standinSandbox(sandboxId)?.state).toBe('started');
    expect(existsSync(join(home, 'remote-chat/workspace/notes.txt'))).toBe(true);
    expect(resumed.detail).not.toBe(before); // another pid: the runtime was started again
    await linkAnswers(resumed.endpoint, 'rt_daytona_pause');
    expect(await daytona.probe(resumed.state)).toMatchObject({ linkUrl: resumed.endpoint.linkUrl });

    await daytona.destroy(resumed.state);
    expect(standinSandbox(sandboxId)).toBeUndefined();
    await daytona.destroy(resumed.state);
    await daytona.stop(resumed.state);
    expect(await daytona.probe(resumed.state)).toBeNull();
  });

  it('starts a runtime again in a running sandbox, ending the one left there', async () => {
    const daytona = provider();
    const { state, started } = await bringUp(daytona, 'rt_daytona_again');
    const again = await daytona.start(context('rt_daytona_again'), state);
    expect(again.detail).not.toBe(started.detail);
    expect(standinSandbox(String(state.sandboxId))?.processes).toBe(1);
    await linkAnswers(again.endpoint, 'rt_daytona_again');
  });

  it('labels its sandbox, reaches the link by preview URL and token, and leaves no token behind', async () => {
    const daytona = provider();
    const { state, started } = await bringUp(daytona, 'rt_daytona_label');
    const sandboxId = String(state.sandboxId);
    const sdk = new Daytona(standin.sdkOptions);
    const made = await sdk.get(sandboxId);
    expect(made.labels).toMatchObject({ [RUNTIME_LABEL]: 'rt_daytona_label' });
    // The BFF's idle window (an hour here) pauses it; Daytona's auto-stop is a backstop well after.
    expect(made.autoStopInterval).toBe(120);
    expect(autoStopMinutes(5 * 60_000)).toBe(35);

    expect(started.endpoint.linkUrl).toMatch(new RegExp(`^ws://\\d+-${sandboxId}\\.localhost:\\d+/link$`));
    expect(started.endpoint.headers?.['x-daytona-preview-token']).toMatch(/^[0-9a-f]{32}$/);
    await expect(linkAnswers({ linkUrl: started.endpoint.linkUrl }, 'rt_daytona_label')).rejects.toThrow();

    const folder = join(standinSandbox(sandboxId)?.dir ?? '', 'home/remote-chat');
    expect(existsSync(join(folder, 'state/link-token'))).toBe(false);
    expect(statSync(join(folder, 'settings.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(folder, 'state')).mode & 0o777).toBe(0o700);
    await daytona.destroy(state);
  });

  it('says plainly when the API key is refused, the snapshot is missing or the quota is used up', async () => {
    const before = standin.sandboxes().length;
    await expect(provider({ apiKey: 'dtn_wrong' }).create(context('rt_daytona_key'))).rejects.toThrow(
      /Daytona refused the API key \(DAYTONA_API_KEY\)/,
    );
    await expect(provider({ snapshot: 'no-such-snapshot' }).create(context('rt_daytona_snap'))).rejects.toThrow(
      /Daytona has no snapshot no-such-snapshot: .*Check REMOTE_CHAT_DAYTONA_SNAPSHOT/,
    );
    const small = await startDaytonaStandin({ maxSandboxes: 1 });
    try {
      const limited = new DaytonaProvider({ apiKey: small.apiKey, apiUrl: small.apiUrl, retryDelayMs: 20 });
      const { state } = await limited.create(context('rt_daytona_one'));
      await expect(limited.create(context('rt_daytona_two'))).rejects.toThrow(/Daytona quota exceeded: /);
      await limited.destroy(state);
    } finally {
      await small.close();
    }
    expect(standin.sandboxes()).toHaveLength(before);
  });

  it('waits for a busy Daytona and tries again, and says where it tried when Daytona cannot be reached', async () => {
    const daytona = provider();
    const { state } = await daytona.create(context('rt_daytona_busy'));
    onTestFinished(() => daytona.destroy(state));
    // The first two requests are answered 503, as a Daytona under load does; the rest reach the stand-in.
    let refused = 0;
    const busy = createServer((request, response) => {
      if (refused < 2) {
        refused++;
        response.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"Service Unavailable"}');
        return;
      }
      const upstream = httpRequest(
        `${standin.apiUrl}${request.url}`,
        { method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => void busy.close());
    const port = (busy.address() as { port: number }).port;
    await provider({ apiUrl: `http://127.0.0.1:${port}` }).pause(state);
    expect(refused).toBe(2);
    expect(standinSandbox(String(state.sandboxId))?.state).toBe('stopped');

    const nowhere = `http://127.0.0.1:${await freePort()}`;
    await expect(provider({ apiUrl: nowhere }).create(context('rt_daytona_nowhere'))).rejects.toThrow(
      new RegExp(`Daytona could not be reached at ${nowhere}: .*ECONNREFUSED`),
    );
  });

  it('fails to install in a sandbox whose Node is older than 20, or that has none, saying so', async () => {
    const sdk = new Daytona(standin.sdkOptions);
    // A snapshot's own `node` first on the PATH: an old one, then none that runs.
    const sandbox = await sdk.create({
      snapshot: SNAPSHOT,
      envVars: { PATH: '/home/daytona/bin:/usr/local/bin:/usr/bin:/bin' },
    });
    onTestFinished(() => sandbox.delete());
    const state = { sandboxId: sandbox.id, home: '/home/daytona' };
    const runtimeFile = join(import.meta.dirname, '../packages/runtime/dist/remote-chat-runtime.js');
    const node = (script: string) => sandbox.fs.uploadFile(Buffer.from(script), '/home/daytona/bin/node');
    await node('#!/bin/sh\necho v18.19.1\n');
    await sandbox.process.executeCommand('chmod +x /home/daytona/bin/node');
    await expect(provider().install(context('rt_daytona_node'), state, runtimeFile)).rejects.toThrow(
      /Node v18\.19\.1 in the sandbox; the runtime needs Node 20 or later/,
    );
    await node('#!/bin/sh\necho "node: not found" >&2\nexit 127\n');
    await expect(provider().install(context('rt_daytona_node'), state, runtimeFile)).rejects.toThrow(
      /No Node\.js in the sandbox: the runtime needs Node 20 or later/,
    );
  });

  it('fails to start a runtime whose sandbox was deleted, and probes it as gone', async () => {
    const daytona = provider();
    const { state } = await bringUp(daytona, 'rt_daytona_gone');
    await new Daytona(standin.sdkOptions).get(String(state.sandboxId)).then((sandbox) => sandbox.delete());
    expect(await daytona.probe(state)).toBeNull();
    await expect(daytona.start(context('rt_daytona_gone'), state)).rejects.toThrow(
      /The Daytona sandbox .* no longer exists/,
    );
    await daytona.stop(state);
    await daytona.destroy(state);
  });
});
