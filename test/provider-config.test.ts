// Providers switched on by configuration: the built-in ones by their settings (environment over
// the config file, validated at start), and third-party ones by `--provider-module`.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  configuredProviders,
  createLogger,
  type Provider,
  type ProviderDefinition,
} from '@remote-chat/bff';
import type { ConfigResponse, Runtime, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientId, readyRuntime, signIn, startTestBff } from './support/bff.js';
import { spawnBff } from './support/bff-process.js';
import { tempDir } from './support/temp-dir.js';

const cli = fileURLToPath(new URL('../packages/bff/dist/cli.js', import.meta.url));
const example = fileURLToPath(new URL('../examples/provider-module/folder-provider.mjs', import.meta.url));
const context = () => ({ dataDir: tempDir('rc-providers-'), logger: createLogger('silent'), idleTimeoutMs: 3_600_000 });

/** A definition whose `make` records what it was given and answers a provider-shaped object. */
function recordingDefinition(made: unknown[]): ProviderDefinition<{ host: string; port: number }> {
  return {
    id: 'dummy',
    settings: z.object({ host: z.string().min(1), port: z.coerce.number().int().min(1).max(65535).default(22) }),
    env: { host: 'DUMMY_HOST', port: 'DUMMY_PORT' },
    make(settings) {
      made.push(settings);
      return { id: 'dummy', label: 'Dummy', kind: 'sandbox', description: 'for tests' } as unknown as Provider;
    },
  };
}

describe('configured providers', () => {
  it('offers a built-in provider only when its settings are given, the environment over the file', async () => {
    const made: unknown[] = [];
    const definitions = [recordingDefinition(made)] as ProviderDefinition<unknown>[];
    expect(await configuredProviders({ env: {}, context: context(), definitions })).toEqual([]);
    expect(made).toEqual([]);
    await expect(
      configuredProviders({
        env: { DUMMY_PORT: '2222' },
        fileSettings: { dummy: { host: 'from-file', port: 1 } },
        context: context(),
        definitions,
      }),
    ).rejects.toThrow(/lacks create/);
    expect(made).toEqual([{ host: 'from-file', port: 2222 }]);
  });

  it('names the provider, the setting and its variable, but never the value, when a setting is wrong', async () => {
    const definitions = [recordingDefinition([])] as ProviderDefinition<unknown>[];
    const wrong = configuredProviders({
      env: { DUMMY_HOST: 'h', DUMMY_PORT: 'secret-looking-99999999' },
      context: context(),
      definitions,
    });
    await expect(wrong).rejects.toBeInstanceOf(ConfigError);
    await expect(wrong).rejects.toThrow(/^provider dummy: port \(DUMMY_PORT\): /);
    await expect(wrong).rejects.not.toThrow(/secret-looking/);
    await expect(
      configuredProviders({ env: {}, fileSettings: { nope: {} }, context: context(), definitions }),
    ).rejects.toThrow('providers.nope in the config file: no provider "nope" (known: dummy)');
  });

  it('loads a module that exports a provider, and refuses modules that do not', async () => {
    const [folder] = await configuredProviders({ env: {}, modules: [example], context: context(), definitions: [] });
    expect(folder?.id).toBe('folder');
    const dir = tempDir('rc-modules-');
    const notProvider = join(dir, 'not-provider.mjs');
    writeFileSync(notProvider, "export default { id: 'half', label: 'Half', create() {} };\n");
    await expect(
      configuredProviders({ env: {}, modules: [notProvider], context: context(), definitions: [] }),
    ).rejects.toThrow(/not a provider, it lacks description, kind: "sandbox", clone, install, writeSettings, start/);
    await expect(
      configuredProviders({ env: {}, modules: [join(dir, 'missing.mjs')], context: context(), definitions: [] }),
    ).rejects.toThrow(/cannot be loaded/);
    await expect(
      configuredProviders({ env: {}, modules: [example, example], context: context(), definitions: [] }),
    ).rejects.toThrow('two providers have the id "folder"');
  });

  it('runs a chat in a runtime of the example module, first in the picker', async () => {
    const configured = await configuredProviders({ env: {}, modules: [example], context: context(), definitions: [] });
    const bff = await startTestBff({ configuredProviders: configured });
    const config = (await (await bff.api('/api/config')).json()) as ConfigResponse;
    expect(config.providers[0]?.id).toBe('folder');
    const { runtime, threadId } = await readyRuntime(bff, 'folder');
    await bff.api(`/api/threads/${threadId}/messages`, { body: { clientId: clientId(), text: 'echo from-a-module' } });
    const deadline = Date.now() + 20_000;
    let events: ThreadEvent[] = [];
    while (!events.some((e) => e.kind === 'tool.output' && e.data.includes('from-a-module'))) {
      if (Date.now() > deadline) throw new Error(`no output: ${JSON.stringify(events)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      events = ((await (await bff.api(`/api/threads/${threadId}/events`)).json()) as { events: ThreadEvent[] }).events;
    }
    expect((await bff.api(`/api/runtimes/${runtime.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(((await (await bff.api('/api/runtimes')).json()) as { runtimes: Runtime[] }).runtimes).toEqual([]);
  });

  it('remote-chat-bff lists in GET /api/config only the cloud and SSH providers its environment configures', async () => {
    const offered = async (env: Record<string, string>) => {
      // Unset whatever the shell running the tests has: empty counts as not set.
      const bff = await spawnBff(['--data-dir', join(tempDir('rc-config-'), 'data')], {
        E2B_API_KEY: '',
        DAYTONA_API_KEY: '',
        REMOTE_CHAT_SSH_HOST: '',
        ...env,
      });
      const cookie = await signIn(bff.signinLink);
      const config = (await (await fetch(`${bff.url}/api/config`, { headers: { cookie } })).json()) as ConfigResponse;
      bff.child.kill('SIGTERM');
      await bff.exited;
      return config.providers.map((provider) => provider.id).filter((id) => ['e2b', 'daytona', 'ssh'].includes(id));
    };
    expect(await offered({})).toEqual([]);
    // Only a key: nothing is asked of E2B until a runtime is made.
    expect(await offered({ E2B_API_KEY: 'e2b_test', REMOTE_CHAT_E2B_TEMPLATE: 'node-22' })).toEqual(['e2b']);
    expect(await offered({ DAYTONA_API_KEY: 'dtn_test', DAYTONA_TARGET: 'eu' })).toEqual(['daytona']);
  });

  it('remote-chat-bff takes --provider-module and says so at start; a bad one stops it with exit code 2', async () => {
    const bff = await spawnBff(['--data-dir', join(tempDir('rc-modules-'), 'data'), '--provider-module', example]);
    expect(bff.output()).toContain('Provider folder: Folder on this host');
    const bad = spawnSync(
      process.execPath,
      [cli, '--data-dir', join(tempDir('rc-modules-'), 'data'), '--port', '0', '--provider-module', 'nowhere.mjs'],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--provider-module nowhere.mjs: cannot be loaded');
  });
});
