// `remote-chat-bff` takes its models from the environment and --config, says which at start, and
// stops with exit code 2 and the field at fault (never the key) when they cannot work.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnBff } from './support/bff-process.js';
import { MODEL_KEY } from './support/model-gateway.js';
import { tempDir } from './support/temp-dir.js';

const cli = fileURLToPath(new URL('../packages/bff/dist/cli.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('remote-chat-bff model configuration', () => {
  it('documents the model settings in --help', () => {
    const { code, output } = run(['--help']);
    expect(code).toBe(0);
    for (const word of [
      '--config',
      'REMOTE_CHAT_CONFIG',
      'REMOTE_CHAT_LLM_MODEL',
      'REMOTE_CHAT_LLM_API_KEY',
      'REMOTE_CHAT_LLM_DAILY_TOKENS',
    ])
      expect(output).toContain(word);
  });

  it('stops with exit code 2, the file and the field, and not the key, when the config file is wrong', () => {
    const dir = tempDir('rc-config-');
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ models: [{ id: 'gpt', model: 'gpt-4.1', apiKey: MODEL_KEY, api: 'gemini' }] }),
    );
    const { code, output } = run(['--data-dir', join(dir, 'data'), '--port', '0', '--config', file]);
    expect(code).toBe(2);
    expect(output).toContain(`the config file ${file} is invalid: models.0.api`);
    expect(output).not.toContain(MODEL_KEY);
    const env = run(['--data-dir', join(dir, 'data'), '--port', '0'], { REMOTE_CHAT_LLM_API_KEY: MODEL_KEY });
    expect(env.code).toBe(2);
    expect(env.output).toContain('REMOTE_CHAT_LLM_MODEL is not');
    expect(env.output).not.toContain(MODEL_KEY);
  });

  it('stops with exit code 2 and the field when an ACP agent is misconfigured', () => {
    const dir = tempDir('rc-config-');
    const agents = JSON.stringify([{ id: 'shell', command: 'claude-code-acp' }]);
    const { code, output } = run(['--data-dir', join(dir, 'data'), '--port', '0'], { REMOTE_CHAT_ACP_AGENTS: agents });
    expect(code).toBe(2);
    expect(output).toContain('REMOTE_CHAT_ACP_AGENTS is invalid: acpAgents.0.id: is the id of a built-in agent');
  });

  it('says at start which models it serves, without their keys', async () => {
    const bff = await spawnBff(['--data-dir', join(tempDir('rc-config-'), 'data')], {
      REMOTE_CHAT_LLM_MODEL: 'gpt-4.1-mini',
      REMOTE_CHAT_LLM_API_KEY: MODEL_KEY,
    });
    expect(bff.output()).toContain('Model gpt-4.1-mini: gpt-4.1-mini (openai) at https://api.openai.com/v1');
    expect(bff.output()).not.toContain(MODEL_KEY);
  });
});
