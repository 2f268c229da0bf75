import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/temp-dir.js';
import { ConfigError, loadAgentsConfig, loadGatewayConfig, modelInfo } from './gateway-config.js';

const KEY = 'sk-test-key-that-must-never-show-0123456789';

function configFile(content: unknown): string {
  const file = join(tempDir(), 'config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function refusal(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('gateway configuration', () => {
  it('has no model and proxies nothing without one', () => {
    expect(loadGatewayConfig({ env: {} })).toMatchObject({ models: [], capabilities: {} });
  });

  it('makes one model from REMOTE_CHAT_LLM_* with the official base URL by default', () => {
    const config = loadGatewayConfig({
      env: {
        REMOTE_CHAT_LLM_MODEL: 'openai/gpt-4o',
        REMOTE_CHAT_LLM_API_KEY: KEY,
        REMOTE_CHAT_LLM_DAILY_TOKENS: '5000',
      },
    });
    expect(config.models).toEqual([
      {
        id: 'openai-gpt-4o',
        label: 'openai/gpt-4o',
        api: 'openai',
        baseUrl: 'https://api.openai.com/v1',
        apiKey: KEY,
        model: 'openai/gpt-4o',
      },
    ]);
    expect(config).toMatchObject({ capabilities: { inference: 'proxy' }, dailyTokens: 5000 });
    expect(JSON.stringify(config.models.map(modelInfo))).not.toContain(KEY);
  });

  it('lists the environment model first, then the file, keys taken from the variables they name', () => {
    const file = configFile({
      models: [
        {
          id: 'claude',
          label: 'Claude',
          api: 'anthropic',
          model: 'claude-x',
          apiKeyEnv: 'MY_ANTHROPIC_KEY',
          contextWindow: 200000,
        },
        { id: 'local', api: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen' },
      ],
      usage: { dailyTokens: 100 },
      gateway: { timeoutSeconds: 5, maxConcurrent: 2, requestsPerMinute: 30, capabilities: { browser: 'local' } },
    });
    const config = loadGatewayConfig({
      env: { REMOTE_CHAT_LLM_MODEL: 'gpt', MY_ANTHROPIC_KEY: KEY },
      configFile: file,
    });
    expect(config.models.map((m) => [m.id, m.api, m.baseUrl, m.apiKey])).toEqual([
      ['gpt', 'openai', 'https://api.openai.com/v1', undefined],
      ['claude', 'anthropic', 'https://api.anthropic.com', KEY],
      ['local', 'openai', 'http://127.0.0.1:11434/v1', undefined],
    ]);
    expect(config).toMatchObject({
      dailyTokens: 100,
      timeoutMs: 5000,
      maxConcurrent: 2,
      requestsPerMinute: 30,
      capabilities: { inference: 'proxy', browser: 'local' },
    });
  });

  it('says what is wrong, and never with the key in it', () => {
    expect(refusal(() => loadGatewayConfig({ env: { REMOTE_CHAT_LLM_BASE_URL: 'http://x' } }))).toMatch(
      /REMOTE_CHAT_LLM_MODEL is not/,
    );
    expect(
      refusal(() => loadGatewayConfig({ env: { REMOTE_CHAT_LLM_MODEL: 'm', REMOTE_CHAT_LLM_API: 'gemini' } })),
    ).toMatch(/openai or anthropic/);
    expect(refusal(() => loadGatewayConfig({ env: {}, configFile: configFile('{ nope') }))).toMatch(/is not JSON/);
    expect(refusal(() => loadGatewayConfig({ env: {}, configFile: join(tempDir(), 'missing.json') }))).toMatch(
      /cannot read/,
    );
    const bad = refusal(() =>
      loadGatewayConfig({
        env: {},
        configFile: configFile({ models: [{ id: 'a b', model: 'm', apiKey: KEY, baseUrl: KEY }] }),
      }),
    );
    expect(bad).toMatch(/models\.0\.id/);
    expect(bad).toMatch(/models\.0\.baseUrl/);
    expect(bad).not.toContain(KEY);
    expect(
      refusal(() =>
        loadGatewayConfig({
          env: {},
          configFile: configFile({ models: [{ id: 'a', model: 'm', apiKeyEnv: 'UNSET_KEY' }] }),
        }),
      ),
    ).toMatch(/UNSET_KEY, which is not set/);
    expect(
      refusal(() =>
        loadGatewayConfig({
          env: { REMOTE_CHAT_LLM_MODEL: 'a' },
          configFile: configFile({ models: [{ id: 'a', model: 'm' }] }),
        }),
      ),
    ).toMatch(/two models have the id "a"/);
    expect(
      refusal(() =>
        loadGatewayConfig({ env: {}, configFile: configFile({ gateway: { capabilities: { browser: 'proxy' } } }) }),
      ),
    ).toMatch(/can only answer inference/);
    expect(refusal(() => loadGatewayConfig({ env: { REMOTE_CHAT_LLM_DAILY_TOKENS: '-3' } }))).toMatch(
      /positive whole number/,
    );
  });
});

describe('ACP agents configuration', () => {
  const claude = { id: 'claude', label: 'Claude Code', command: 'claude-code-acp' };

  it("takes the file's agents and permission timeout, with args and env defaulted", () => {
    const file = configFile({ acpAgents: [claude], permissionTimeoutMs: 60_000 });
    expect(loadAgentsConfig({ env: {}, configFile: file })).toEqual({
      acpAgents: [{ ...claude, args: [], env: {} }],
      permissionTimeoutMs: 60_000,
    });
    expect(loadAgentsConfig({ env: {} })).toEqual({ acpAgents: [], permissionTimeoutMs: undefined });
  });

  it("lets REMOTE_CHAT_ACP_AGENTS replace the file's list", () => {
    const file = configFile({ acpAgents: [claude] });
    const env = { REMOTE_CHAT_ACP_AGENTS: JSON.stringify([{ id: 'codex', command: 'codex-acp', args: ['-v'] }]) };
    expect(loadAgentsConfig({ env, configFile: file }).acpAgents).toEqual([
      { id: 'codex', command: 'codex-acp', args: ['-v'], env: {} },
    ]);
  });

  it('names the field at fault: a built-in id, a repeated id, a bad variable name, JSON that is not', () => {
    const file = (acpAgents: unknown) => configFile({ acpAgents });
    expect(refusal(() => loadAgentsConfig({ env: {}, configFile: file([{ ...claude, id: 'shell' }]) }))).toContain(
      'acpAgents.0.id: is the id of a built-in agent',
    );
    expect(refusal(() => loadAgentsConfig({ env: {}, configFile: file([claude, claude]) }))).toContain(
      'acpAgents.1.id: "claude" is used by an earlier agent',
    );
    expect(refusal(() => loadAgentsConfig({ env: {}, configFile: file([{ ...claude, id: 'llm:x' }]) }))).toContain(
      'acpAgents.0.id: may hold only',
    );
    const env = { REMOTE_CHAT_ACP_AGENTS: JSON.stringify([{ ...claude, env: { 'not a name': 'x' } }]) };
    expect(refusal(() => loadAgentsConfig({ env }))).toContain('REMOTE_CHAT_ACP_AGENTS is invalid: acpAgents.0.env');
    expect(refusal(() => loadAgentsConfig({ env: { REMOTE_CHAT_ACP_AGENTS: '[{' } }))).toContain(
      'REMOTE_CHAT_ACP_AGENTS is not JSON',
    );
  });
});
