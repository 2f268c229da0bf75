#!/usr/bin/env node
// An ACP agent for tests, written on the official SDK's agent side, scripted by the prompt's first
// word:
//   stream           streams a message in three chunks and a plan
//   edit FILE TEXT   a tool call with a diff, asks permission, then writes FILE through the client
//                    (allowed) or fails the call (refused)
//   terminal CMD…    runs CMD in a client terminal and says what it printed and its exit code
//   env              says where OPENAI_BASE_URL points and whether a model key is in its environment
//   slow             streams, then waits until cancelled (and answers the cancel)
//   stubborn         streams, then never ends its turn, even when cancelled
//   recall           says the thread context its prompts carried (the host's <thread-so-far>), or none
// A prompt that carries the thread's earlier turns is scripted by the person's message after them.
// Anything else is echoed. ACP_TEST_LOAD_SESSIONS=1 makes it advertise (and accept) session/load.
import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';

const canLoad = process.env.ACP_TEST_LOAD_SESSIONS === '1';
const sessions = new Map();

const say = (client, sessionId, text) =>
  client.notify('session/update', {
    sessionId,
    update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } },
  });

const update = (client, sessionId, body) => client.notify('session/update', { sessionId, update: body });

async function edit(client, sessionId, cwd, words) {
  const [file = 'notes.txt', ...rest] = words;
  const path = `${cwd}/${file}`;
  const newText = `${rest.join(' ') || 'hello'}\n`;
  const toolCallId = `call_${randomUUID().slice(0, 8)}`;
  const diff = { type: 'diff', path, oldText: null, newText };
  await update(client, sessionId, {
    sessionUpdate: 'tool_call',
    toolCallId,
    title: `Write ${file}`,
    kind: 'edit',
    status: 'pending',
    rawInput: { path: file },
    content: [diff],
  });
  const answer = await client.request('session/request_permission', {
    sessionId,
    toolCall: { toolCallId, title: `Write ${file}`, kind: 'edit' },
    options: [
      { optionId: 'allow', name: 'Allow once', kind: 'allow_once' },
      { optionId: 'reject', name: 'Reject', kind: 'reject_once' },
    ],
  });
  if (answer.outcome.outcome === 'cancelled') return 'cancelled';
  if (answer.outcome.optionId !== 'allow') {
    await update(client, sessionId, { sessionUpdate: 'tool_call_update', toolCallId, status: 'failed' });
    await say(client, sessionId, `Not allowed (${answer.outcome.optionId}).`);
    return 'end_turn';
  }
  await client.request('fs/write_text_file', { sessionId, path, content: newText });
  await update(client, sessionId, { sessionUpdate: 'tool_call_update', toolCallId, status: 'completed' });
  await say(client, sessionId, `Wrote ${file}.`);
  return 'end_turn';
}

async function terminal(client, sessionId, words) {
  const [command = 'true', ...args] = words;
  const handle = await client.createTerminal({ sessionId, command, args, outputByteLimit: 1000 });
  const exit = await handle.waitForExit();
  const { output } = await handle.currentOutput();
  await handle.release();
  await say(client, sessionId, `exit ${exit.exitCode}: ${output.trim()}`);
  return 'end_turn';
}

acp
  .agent({ name: 'acp-test-agent' })
  .onRequest('initialize', () => ({
    protocolVersion: acp.PROTOCOL_VERSION,
    agentCapabilities: { loadSession: canLoad },
    agentInfo: { name: 'acp-test-agent', version: '1.0.0' },
  }))
  .onRequest('session/new', ({ params }) => {
    const sessionId = `sess_${randomUUID()}`;
    sessions.set(sessionId, { cwd: params.cwd, cancel: undefined, prompts: 0 });
    return { sessionId };
  })
  .onRequest('session/load', async ({ params, client }) => {
    if (!canLoad) throw acp.RequestError.methodNotFound('session/load');
    sessions.set(params.sessionId, { cwd: params.cwd, cancel: undefined, prompts: 0, loaded: true });
    // Replays its history, as agents do; the host must not show it again.
    await say(client, params.sessionId, 'REPLAYED HISTORY');
    return {};
  })
  .onNotification('session/cancel', ({ params }) => sessions.get(params.sessionId)?.cancel?.())
  .onRequest('session/prompt', async ({ params, client }) => {
    const session = sessions.get(params.sessionId);
    if (!session) throw acp.RequestError.resourceNotFound(params.sessionId);
    session.prompts += 1;
    const whole = params.prompt.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const context = /<thread-so-far>\n([\s\S]*)\n<\/thread-so-far>/.exec(whole)?.[1];
    if (context !== undefined) session.context = [...(session.context ?? []), context];
    const marker = "The person's message to you now:\n";
    const text = context === undefined ? whole : whole.slice(whole.lastIndexOf(marker) + marker.length);
    const [keyword = '', ...words] = text.trim().split(/\s+/);
    const cancelled = new Promise((resolve) => {
      session.cancel = () => resolve('cancelled');
    });
    const work = async () => {
      switch (keyword) {
        case 'stream':
          await say(client, params.sessionId, 'Hello ');
          await update(client, params.sessionId, {
            sessionUpdate: 'plan',
            entries: [
              { content: 'Say hello', status: 'completed', priority: 'high' },
              { content: 'Say goodbye', status: 'pending', priority: 'low' },
            ],
          });
          await say(client, params.sessionId, 'from the ');
          await say(
            client,
            params.sessionId,
            `test agent (prompt ${session.prompts}${session.loaded ? ', loaded' : ''}).`,
          );
          return 'end_turn';
        case 'edit':
          return edit(client, params.sessionId, session.cwd, words);
        case 'terminal':
          return terminal(client, params.sessionId, words);
        case 'env': {
          const keys = Object.entries(process.env).filter(([, value]) => value?.includes('sk-gateway-test-key'));
          await say(
            client,
            params.sessionId,
            `OPENAI_BASE_URL=${process.env.OPENAI_BASE_URL} keys=${keys.length} TEST_FLAG=${process.env.TEST_FLAG}`,
          );
          return 'end_turn';
        }
        case 'recall':
          await say(client, params.sessionId, `context: ${session.context?.join('\n---\n') ?? 'none'}`);
          return 'end_turn';
        case 'slow':
          await say(client, params.sessionId, 'Working slowly…');
          return cancelled;
        case 'stubborn':
          await say(client, params.sessionId, 'Not stopping…');
          return new Promise(() => {});
        default:
          await say(client, params.sessionId, `echo: ${text}`);
          return 'end_turn';
      }
    };
    // A stubborn agent does not hear the cancel at all.
    const stopReason = await (keyword === 'stubborn' ? work() : Promise.race([work(), cancelled]));
    return { stopReason };
  })
  .connect(acp.ndJsonStream(Writable.toWeb(process.stdout), Readable.toWeb(process.stdin)));
