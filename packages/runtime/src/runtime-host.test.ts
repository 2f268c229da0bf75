import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FromRuntimeMessageSchema, type EventBody, type FromRuntimeMessage } from '@remote-chat/protocol';
import type { Agent } from './agents/agent.js';
import { ShellAgent } from './agents/shell.js';
import { TurnJournal } from './durable/turn-journal.js';
import { INTERRUPTED_ERROR, RuntimeHost } from './runtime-host.js';
import { tempDirs } from './test-support/temp.js';
import { sleep, waitFor } from '../../../test/support/wait.js';

const temp = tempDirs();
let workspace: string;
let sent: FromRuntimeMessage[];
let host: RuntimeHost;
let shutdownReason: string | undefined;

beforeEach(async () => {
  workspace = await temp.make('rc-host-');
  sent = [];
  shutdownReason = undefined;
  host = new RuntimeHost({
    workspace,
    agents: [new ShellAgent({ workspace })],
    send: (message) => sent.push(FromRuntimeMessageSchema.parse(message)),
    onShutdown: (reason) => (shutdownReason = reason),
    log: () => {},
  });
});
afterEach(async () => {
  await host.cancelAll();
  await temp.cleanup();
});

let seq = 0;
function say(threadId: string, text: string, agent = 'shell'): void {
  seq++;
  host.handle({ type: 'message.send', threadId, seq, clientId: `c${seq}`, text, agent });
}

function eventsOf(threadId: string): EventBody[] {
  return sent.flatMap((message) =>
    message.type === 'thread.event' && message.threadId === threadId ? [message.event] : [],
  );
}

function outputOf(threadId: string): string {
  return eventsOf(threadId)
    .map((event) => (event.kind === 'tool.output' ? event.data : ''))
    .join('');
}

function resultsOf(threadId: string) {
  return eventsOf(threadId).filter((event) => event.kind === 'tool.result');
}

describe('runtime host', () => {
  it('answers a thread’s messages one at a time, in order, while other threads run alongside', async () => {
    say('th_a', 'sleep 0.4; echo a1');
    say('th_a', 'echo a2');
    say('th_b', 'echo b1');
    await waitFor(() => resultsOf('th_a').length === 2, 'both th_a commands');
    expect(outputOf('th_a')).toBe('a1\na2\n');
    const order = sent.flatMap((m) =>
      m.type === 'thread.event' && m.event.kind === 'tool.output' ? [m.event.data.trim()] : [],
    );
    expect(order).toEqual(['b1', 'a1', 'a2']);
    // Each message is fully answered before the next starts.
    const kinds = eventsOf('th_a').map((event) => (event.kind === 'status' ? `status:${event.state}` : event.kind));
    expect(kinds).toEqual([
      'status:running',
      'tool.call',
      'tool.output',
      'tool.result',
      'status:idle',
      'status:running',
      'tool.call',
      'tool.output',
      'tool.result',
      'status:idle',
    ]);
  });

  it('stop cancels the running command and drops the messages queued behind it', async () => {
    say('th_a', 'echo started; sleep 30');
    say('th_a', 'echo should-not-run');
    say('th_b', 'sleep 0.3; echo other-thread');
    await waitFor(() => outputOf('th_a').includes('started'), 'the first command');
    host.handle({ type: 'thread.cancel', threadId: 'th_a' });
    await waitFor(() => resultsOf('th_a').length === 1, 'the cancelled result');
    expect(resultsOf('th_a')[0]).toMatchObject({ ok: false, error: 'cancelled' });
    await waitFor(() => outputOf('th_b').includes('other-thread'), 'the other thread');
    await sleep(200);
    expect(outputOf('th_a')).not.toContain('should-not-run');
    expect(eventsOf('th_a').at(-1)).toEqual({ kind: 'status', state: 'idle' });

    // The thread takes new messages after a stop.
    say('th_a', 'echo after-stop');
    await waitFor(() => outputOf('th_a').includes('after-stop'), 'a new message after the stop');
  });

  it('stop on an idle thread confirms it is idle', () => {
    host.handle({ type: 'thread.cancel', threadId: 'th_idle' });
    expect(eventsOf('th_idle')).toEqual([{ kind: 'status', state: 'idle' }]);
  });

  it('says which agents it has when a message names another', () => {
    say('th_a', 'hello', 'llm');
    expect(eventsOf('th_a')).toEqual([
      { kind: 'status', state: 'error', message: 'This runtime has no agent "llm"; it has shell.' },
    ]);
  });

  it('describes itself: version, agents, project folder and a git remote without credentials', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['init', '-q'], { cwd: workspace });
    execFileSync('git', ['remote', 'add', 'origin', 'https://x-access-token:ghp_secret@github.com/acme/app.git'], {
      cwd: workspace,
    });
    const info = await host.info();
    expect(info).toMatchObject({
      type: 'runtime.info',
      agents: [{ id: 'shell', label: 'Shell' }],
      project: workspace.split('/').at(-1),
      gitRemote: 'https://github.com/acme/app.git',
    });
  });

  it('has no git remote outside a repository', async () => {
    expect((await host.info()).gitRemote).toBeNull();
  });

  it('writes an upload whole even when its pieces are handled again, as after a restart that lost their receipts', async () => {
    const piece = (offset: number, text: string, final: boolean) =>
      host.handle({
        type: 'file.upload',
        threadId: 'th_u',
        path: 'uploads/shot.txt',
        offset,
        data: Buffer.from(text).toString('base64'),
        final,
      });
    await piece(0, 'first ', false);
    await piece(6, 'second ', false);
    await piece(6, 'second ', false);
    await piece(13, 'third', true);
    await piece(13, 'third', true);
    expect(await readFile(path.join(workspace, 'uploads/shot.txt'), 'utf8')).toBe('first second third');
    expect(eventsOf('th_u')).toEqual([]);
    // A piece whose predecessors never came is still refused.
    await piece(40, 'stray', true);
    expect(eventsOf('th_u')).toEqual([
      expect.objectContaining({ kind: 'status', state: 'error', message: expect.stringContaining('does not follow') }),
    ]);
  });

  it('gives each turn the thread’s earlier turns, and sends llm:<model> messages to the llm agent', async () => {
    const seen: { agent: string; history: readonly EventBody[] | undefined }[] = [];
    const recorder: Agent = {
      id: 'llm',
      label: 'Recorder',
      async handle(turn) {
        seen.push({ agent: turn.message.agent, history: turn.history });
        turn.emit({ kind: 'status', state: 'thinking' });
        turn.emit({ kind: 'message.delta', messageId: `m${turn.message.seq}`, text: 'ok' });
        turn.emit({ kind: 'message.agent', messageId: `m${turn.message.seq}`, text: 'ok', agent: turn.message.agent });
      },
    };
    const withLlm = new RuntimeHost({
      workspace,
      agents: [new ShellAgent({ workspace }), recorder],
      send: (message) => sent.push(FromRuntimeMessageSchema.parse(message)),
      log: () => {},
    });
    const send = (seq: number, text: string, agent: string) =>
      withLlm.handle({ type: 'message.send', threadId: 'th_h', seq, clientId: `h${seq}`, text, agent });
    await send(1, 'echo one', 'shell');
    await send(2, 'first', 'llm');
    await send(3, 'second', 'llm:gpt');
    await waitFor(() => seen.length === 2, 'both llm turns');
    await waitFor(() => eventsOf('th_h').filter((event) => event.kind === 'message.agent').length === 2, 'the answers');
    expect(seen.map((turn) => turn.agent)).toEqual(['llm', 'llm:gpt']);
    const kinds = (events: readonly EventBody[] | undefined) => events?.map((event) => event.kind);
    expect(kinds(seen[0]?.history)).toEqual(['message.user', 'tool.call', 'tool.output', 'tool.result']);
    expect(kinds(seen[1]?.history)).toEqual([
      'message.user',
      'tool.call',
      'tool.output',
      'tool.result',
      'message.user',
      'message.agent',
    ]);
    expect(seen[1]?.history?.[4]).toEqual({ kind: 'message.user', clientId: 'h2', text: 'first', agent: 'llm' });
  });

  it('passes runtime.shutdown on', () => {
    host.handle({ type: 'runtime.shutdown', reason: 'deleted by the user' });
    expect(shutdownReason).toBe('deleted by the user');
  });

  it('reports the machine it runs on when it has one', async () => {
    const machine = { id: 'mc_abcdefghijklmnop', name: 'laptop' };
    const onMachine = new RuntimeHost({ workspace, agents: [], send: () => {}, machine, log: () => {} });
    expect((await onMachine.info()).machine).toEqual(machine);
    expect(await host.info()).not.toHaveProperty('machine');
  });
});

describe('runtime host with a turn journal', () => {
  it('closes a call in the journal only once its result is queued, and ends it once after a kill between the two', async () => {
    const stateDir = await temp.make('rc-host-state-');
    const journal = TurnJournal.open({ dir: stateDir, log: () => {} });
    const result: FromRuntimeMessage = {
      type: 'thread.event',
      threadId: 'th_j',
      event: { kind: 'tool.result', callId: 'call-9', ok: true, durationMs: 1, exitCode: 0 },
    };
    const oneCall: Agent = {
      id: 'shell',
      label: 'One call',
      async handle(turn) {
        turn.emit({ kind: 'tool.call', callId: 'call-9', tool: 'terminal', title: 'true', input: { command: 'true' } });
        turn.emit(result.type === 'thread.event' ? result.event : { kind: 'status', state: 'idle' });
        // Still running when the process is "killed".
        await new Promise((resolve) => turn.signal.addEventListener('abort', resolve));
      },
    };
    let openWhenQueued: boolean | null = null;
    const host = new RuntimeHost({
      workspace,
      agents: [oneCall],
      // When the result is queued, the journal must still hold the call open.
      send: (m) => {
        if (m.type === 'thread.event' && m.event.kind === 'tool.result')
          openWhenQueued = journal.unfinished().some((t) => t.calls.some((c) => c.callId === 'call-9'));
      },
      journal,
      log: () => {},
    });
    await host.handle(
      { type: 'message.send', threadId: 'th_j', seq: 1, clientId: 'c1', text: 'true', agent: 'shell' },
      9,
    );
    await waitFor(() => openWhenQueued !== null, 'the result');
    expect(openWhenQueued).toBe(true);

    // Killed after the result was queued and before the turn ended: the next process finds the call
    // open or closed, and its result in the outbox, and ends the turn without a second result.
    const afterKill = TurnJournal.open({ dir: stateDir, log: () => {} });
    afterKill.callOpened('th_j', 'call-9');
    const recovered: FromRuntimeMessage[] = [];
    const next = new RuntimeHost({
      workspace,
      agents: [],
      send: (m) => recovered.push(m),
      journal: afterKill,
      log: () => {},
    });
    next.recoverInterrupted([result]);
    expect(recovered.map((m) => (m.type === 'thread.event' ? m.event.kind : m.type))).toEqual(['status', 'status']);
    await host.cancelAll();
    await Promise.all([journal.close(), afterKill.close()]);
  });

  it('records each handled message before running it, and ends a turn a killed runtime left running', async () => {
    const stateDir = await temp.make('rc-host-state-');
    const journal = TurnJournal.open({ dir: stateDir, log: () => {} });
    const first = new RuntimeHost({
      workspace,
      agents: [new ShellAgent({ workspace })],
      send: (m) => sent.push(m),
      journal,
      log: () => {},
    });
    await first.handle(
      {
        type: 'message.send',
        threadId: 'th_k',
        seq: 3,
        clientId: 'c3',
        text: 'echo started; sleep 30',
        agent: 'shell',
      },
      41,
    );
    await first.handle(
      { type: 'message.send', threadId: 'th_k', seq: 4, clientId: 'c4', text: 'echo queued', agent: 'shell' },
      42,
    );
    expect(journal.lastReceived).toBe(42);
    await waitFor(() => outputOf('th_k').includes('started'), 'the command to start');

    // What the next process finds on disk while this one is still "running" (as after a SIGKILL).
    const afterKill = TurnJournal.open({ dir: stateDir, log: () => {} });
    expect(afterKill.lastReceived).toBe(42);
    const recovered: FromRuntimeMessage[] = [];
    const second = new RuntimeHost({
      workspace,
      agents: [],
      send: (m) => recovered.push(FromRuntimeMessageSchema.parse(m)),
      journal: afterKill,
      log: () => {},
    });
    expect(second.recoverInterrupted()).toBe(1);
    const events = recovered.flatMap((m) => (m.type === 'thread.event' ? [m.event] : []));
    expect(events).toEqual([
      { kind: 'tool.result', callId: 'call-3', ok: false, durationMs: expect.any(Number), error: INTERRUPTED_ERROR },
      {
        kind: 'status',
        state: 'error',
        message: 'The runtime restarted while this was running, so it did not finish. 1 queued message was not run.',
      },
      { kind: 'status', state: 'idle' },
    ]);
    expect(afterKill.unfinished()).toEqual([]);
    // Recovered once: a third start finds nothing to end.
    const third = TurnJournal.open({ dir: stateDir, log: () => {} });
    expect(
      new RuntimeHost({ workspace, agents: [], send: () => {}, journal: third, log: () => {} }).recoverInterrupted(),
    ).toBe(0);

    await first.cancelAll();
    await Promise.all([journal.close(), afterKill.close(), third.close()]);
  });

  it('leaves nothing unfinished after a graceful stop', async () => {
    const stateDir = await temp.make('rc-host-state-');
    const journal = TurnJournal.open({ dir: stateDir, log: () => {} });
    const graceful = new RuntimeHost({
      workspace,
      agents: [new ShellAgent({ workspace })],
      send: (m) => sent.push(m),
      journal,
      log: () => {},
    });
    await graceful.handle(
      {
        type: 'message.send',
        threadId: 'th_g',
        seq: 1,
        clientId: 'c1',
        text: 'echo started; sleep 30',
        agent: 'shell',
      },
      1,
    );
    await graceful.handle(
      { type: 'message.send', threadId: 'th_g', seq: 2, clientId: 'c2', text: 'echo queued', agent: 'shell' },
      2,
    );
    await waitFor(() => outputOf('th_g').includes('started'), 'the command to start');
    await graceful.cancelAll();
    await journal.close();
    const reopened = TurnJournal.open({ dir: stateDir, log: () => {} });
    expect(reopened.unfinished()).toEqual([]);
    await reopened.close();
  });
});
