// The Python example agent (examples/python-agent) registers on the agent endpoint of a real
// runtime made by a real BFF, is offered in the runtime's agents, answers a message end to end
// (its events stored in the BFF), honours Stop, and its disconnecting drops it from the list.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Runtime, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, readyRuntime, startTestBff } from './support/bff.js';
import { startPythonAgent } from './support/python-agent.js';
import { waitFor } from './support/wait.js';

async function storedEvents(bff: Awaited<ReturnType<typeof startTestBff>>, threadId: string): Promise<ThreadEvent[]> {
  const page = (await (await bff.api(`/api/threads/${threadId}/events?after=0`)).json()) as { events: ThreadEvent[] };
  return page.events;
}

async function runtimeAgents(bff: Awaited<ReturnType<typeof startTestBff>>, id: string) {
  return ((await (await bff.api(`/api/runtimes/${id}`)).json()) as Runtime).agents ?? [];
}

describe('the Python example agent on a runtime’s agent endpoint', () => {
  it('registers, is offered as an external agent, answers a message end to end and honours Stop', async () => {
    const bff = await startTestBff();
    const { runtime, threadId } = await readyRuntime(bff);
    // The shell answers first, so the agent joins a thread with a transcript.
    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'echo before', agent: 'shell' },
    });
    await waitFor(
      async () => (await storedEvents(bff, threadId)).some((e) => e.kind === 'tool.result'),
      'the shell answer',
      20_000,
    );

    const endpointFile = path.join(bff.dataDir, 'runtimes', runtime.id, 'state', 'agent-endpoint.json');
    expect(JSON.parse(readFileSync(endpointFile, 'utf8')).url).toMatch(/\/codebolt$/);
    const agent = startPythonAgent(['--endpoint-file', endpointFile, '--agent-id', 'py', '--label', 'Python example']);
    await agent.waitFor('registered as py');
    await waitFor(
      async () => (await runtimeAgents(bff, runtime.id)).some((a) => a.id === 'py'),
      'the agent in the runtime’s list',
    );
    expect(await runtimeAgents(bff, runtime.id)).toContainEqual({
      id: 'py',
      label: 'Python example',
      kind: 'external',
    });

    const sent = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'hello from the test', agent: 'py' },
    });
    expect(sent.status).toBe(202);
    await waitFor(
      async () =>
        (await storedEvents(bff, threadId)).some((e) => e.kind === 'tool.result' && e.callId.startsWith('py-')),
      'the agent’s answer, stored',
      20_000,
    );
    const events = await storedEvents(bff, threadId);
    const answer = events.find((e) => e.kind === 'message.agent' && e.agent === 'py');
    expect(answer).toMatchObject({ text: expect.stringContaining('You said: hello from the test') });
    // It joined with the transcript: the shell's turn was in it.
    expect(answer).toMatchObject({ text: expect.stringMatching(/joined this thread with \d+ earlier events/) });
    expect(events.some((e) => e.kind === 'message.delta' && e.messageId.startsWith('py-'))).toBe(true);
    expect(events.find((e) => e.kind === 'tool.call' && e.callId.startsWith('py-'))).toMatchObject({
      tool: 'count_words',
    });

    // Stop reaches the agent as a cancel frame; it closes its message with "Stopped.".
    await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'answer slowly', agent: 'py' },
    });
    await waitFor(
      async () =>
        (await storedEvents(bff, threadId)).filter((e) => e.kind === 'message.delta').length >
        events.filter((e) => e.kind === 'message.delta').length,
      'the slow answer begins',
    );
    expect((await bff.api(`/api/threads/${threadId}/cancel`, { body: {} })).status).toBe(202);
    await waitFor(
      async () =>
        (await storedEvents(bff, threadId)).some((e) => e.kind === 'message.agent' && e.text.endsWith('Stopped.')),
      'the stopped answer',
    );

    agent.child.kill('SIGTERM');
    await waitFor(
      async () => !(await runtimeAgents(bff, runtime.id)).some((a) => a.id === 'py'),
      'the agent gone from the list',
    );
  });
});
