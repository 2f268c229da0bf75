// An ACP agent in the Local sandbox (bubblewrap): the test agent (test/support/acp-test-agent.mjs on
// the official SDK), bundled into one file and put in the runtime's workspace, is started by the
// runtime inside the sandbox with the sandbox's Node. It edits a file after the person allows it,
// its terminal sees only what the sandbox shows, and its environment points at the keyless model
// endpoint with no key of the BFF.
import { chmod, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff, type StreamClient, type TestBff } from './support/bff.js';
import { keyedStub, stubModels } from './support/model-gateway.js';

const TEST_AGENT = fileURLToPath(new URL('./support/acp-test-agent.mjs', import.meta.url));
/** Where the bundled agent goes, relative to the workspace (the runtime's working folder). */
const AGENT_FILE = '.acp/test-agent.mjs';
const ACP_AGENTS = [{ id: 'tester', label: 'Test agent', command: process.execPath, args: [AGENT_FILE], env: {} }];

async function agentText(stream: StreamClient, threadId: string, after: number): Promise<string> {
  const find = () =>
    stream
      .events(threadId)
      .find(
        (event): event is Extract<ThreadEvent, { kind: 'message.agent' }> =>
          event.seq > after && event.kind === 'message.agent',
      );
  await stream.until(() => find() !== undefined, 30_000, 'the agent’s answer');
  return find()!.text;
}

async function say(bff: TestBff, stream: StreamClient, threadId: string, text: string): Promise<number> {
  const after = stream.events(threadId).at(-1)?.seq ?? 0;
  const sent = await bff.api(`/api/threads/${threadId}/messages`, {
    body: { clientId: clientId(), text, agent: 'tester' },
  });
  expect(sent.status).toBe(202);
  return after;
}

describe('an ACP agent in the Local sandbox', () => {
  it('edits a file once allowed, sees only the sandbox, and holds no key', async () => {
    const bff = await startTestBff({ acpAgents: ACP_AGENTS, gateway: { models: stubModels(await keyedStub()) } });
    const { runtime, threadId } = await readyRuntime(bff, 'bubblewrap');
    const workspace = path.join(bff.dataDir, 'runtimes', runtime.id, 'workspace');
    // The agent and its SDK in one file, readable by the sandbox's user.
    await mkdir(path.join(workspace, '.acp'), { recursive: true, mode: 0o755 });
    await build({
      entryPoints: [TEST_AGENT],
      outfile: path.join(workspace, AGENT_FILE),
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    await chmod(path.join(workspace, '.acp'), 0o755);
    await chmod(path.join(workspace, AGENT_FILE), 0o644);
    const stream = await bff.stream();
    stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: 0 });

    // Edit: asked, allowed through the route, written into the workspace.
    await say(bff, stream, threadId, 'edit notes.txt written in the sandbox');
    await stream.until(
      () => stream.events(threadId).some((event) => event.kind === 'permission.request'),
      30_000,
      'the permission request',
    );
    const request = stream.events(threadId).find((event) => event.kind === 'permission.request');
    if (request?.kind !== 'permission.request') throw new Error('no request');
    const answered = await bff.api(`/api/threads/${threadId}/permissions/${request.requestId}`, {
      body: { optionId: 'allow' },
    });
    expect(answered.status).toBe(202);
    await stream.until(
      () =>
        stream.events(threadId).some((event) => event.kind === 'message.agent' && event.text === 'Wrote notes.txt.'),
      30_000,
      'the write',
    );
    expect(readFileSync(path.join(workspace, 'notes.txt'), 'utf8')).toBe('written in the sandbox\n');

    // Its terminal runs in the sandbox: the BFF's data directory is not there.
    let after = await say(bff, stream, threadId, `terminal ls ${bff.dataDir}`);
    expect(await agentText(stream, threadId, after)).toMatch(/^exit [1-9]\d*: .*No such file or directory/s);

    // Its model calls go to the runtime's keyless endpoint; no key of the BFF is in its environment.
    after = await say(bff, stream, threadId, 'env');
    const env = await agentText(stream, threadId, after);
    expect(env).toMatch(/^OPENAI_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/v1 keys=0 /);
  });
});
