import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  FromRuntimeMessageSchema,
  PROTOCOL_VERSION,
  type EventBody,
  type FromRuntimeMessage,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import { LinkSession, dialLink } from '@remote-chat/link';
import { OUTBOX_FILE_NAME } from './durable/file-outbox.js';
import { INTERRUPTED_ERROR } from './runtime-host.js';
import { ensureBundle } from './test-support/bundle.js';
import { RawPeer } from '../../../test/support/link-server.js';
import { killAll, startServe } from './test-support/serve-process.js';
import { tempDirs } from './test-support/temp.js';
import { groupAlive } from './tools/terminal.js';
import { sleep, waitFor } from '../../../test/support/wait.js';

const RUNTIME_ID = 'rt_restart_test';
const TOKEN = 'restart-test-token-0123456789';
const STREAM = 'for i in $(seq 1 50); do echo line $i; sleep 0.02; done';
const temp = tempDirs();
let bundle: string;

beforeAll(() => {
  bundle = ensureBundle();
});
afterEach(async () => {
  await killAll();
  await temp.cleanup();
});

async function folders(): Promise<{ workspace: string; stateDir: string }> {
  const workspace = await temp.make('rc-restart-ws-');
  spawnSync('git', ['init', '-q'], { cwd: workspace });
  return { workspace, stateDir: path.join(await temp.make('rc-restart-state-'), 'state') };
}

const start = (dirs: { workspace: string; stateDir: string }) =>
  startServe({ bundle, ...dirs, runtimeId: RUNTIME_ID, token: TOKEN });
const dial = (port: number, link: ReturnType<typeof bff>) =>
  dialLink({ url: `ws://127.0.0.1:${port}/link`, runtimeId: RUNTIME_ID, token: TOKEN, session: link.session });

/** The BFF's side: records every message it handles with the link seq it came under. */
function bff() {
  const handled: { seq: number; message: FromRuntimeMessage }[] = [];
  const session = new LinkSession<ToRuntimeMessage, FromRuntimeMessage>({
    inbound: FromRuntimeMessageSchema,
    onMessage: (message, seq) => {
      handled.push({ seq, message });
    },
  });
  const events = (threadId: string): EventBody[] =>
    handled.flatMap(({ message }) =>
      message.type === 'thread.event' && message.threadId === threadId ? [message.event] : [],
    );
  const lines = (threadId: string): string[] =>
    events(threadId)
      .flatMap((event) => (event.kind === 'tool.output' ? [event.data] : []))
      .join('')
      .split('\n')
      .filter(Boolean);
  return { session, handled, events, lines };
}

/** The highest seq in the outbox file: every event the runtime produced before it died. */
async function seqsOnDisk(stateDir: string): Promise<number> {
  const text = await readFile(path.join(stateDir, OUTBOX_FILE_NAME), 'utf8');
  let last = 0;
  for (const line of text.split('\n')) {
    try {
      const record = JSON.parse(line) as { seq?: unknown; ackedUpTo?: unknown };
      if (typeof record.seq === 'number') last = Math.max(last, record.seq);
      if (typeof record.ackedUpTo === 'number') last = Math.max(last, record.ackedUpTo);
    } catch {
      // A torn last line: not produced as far as the outbox is concerned.
    }
  }
  return last;
}

describe('remote-chat-runtime serve across a SIGKILL', () => {
  it('delivers every event produced before the kill exactly once, in order, and ends the interrupted turn', async () => {
    const dirs = await folders();
    const { stateDir } = dirs;
    const first = await start(dirs);
    const link = bff();
    await dial(first.info.port, link);
    link.session.send({ type: 'message.send', threadId: 'th_1', seq: 1, clientId: 'c1', text: STREAM, agent: 'shell' });
    await waitFor(() => link.lines('th_1').length >= 8, 'the first lines');

    // The BFF loses the link; the command goes on into the runtime's outbox, then the runtime dies.
    link.session.detach(1000, 'test: BFF goes away');
    const seenWhileLinked = link.lines('th_1').length;
    await sleep(250);
    first.child.kill('SIGKILL');
    await first.exited;
    const producedBeforeKill = await seqsOnDisk(stateDir);
    expect(producedBeforeKill).toBeGreaterThan(link.session.lastReceived);

    const second = await start(dirs);
    await dial(second.info.port, link);
    const ended = (): boolean => {
      const last = link.events('th_1').at(-1);
      return last?.kind === 'status' && last.state === 'idle';
    };
    await waitFor(ended, 'the interrupted turn to end', 10_000);
    await waitFor(
      () => link.handled.filter((h) => h.message.type === 'runtime.info').length >= 2,
      'runtime.info after the restart',
    );

    // No gap and nothing twice: the link seqs run 1, 2, 3… and cover everything the runtime produced.
    const seqs = link.handled.map((h) => h.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.at(-1)).toBeGreaterThan(producedBeforeKill);
    // Every line produced before the kill, once each, in order; more than the BFF saw before it went away.
    const lines = link.lines('th_1');
    expect(lines).toEqual(Array.from({ length: lines.length }, (_, i) => `line ${i + 1}`));
    expect(lines.length).toBeGreaterThan(seenWhileLinked);
    expect(lines.length).toBeLessThan(50);

    const events = link.events('th_1');
    expect(events.filter((e) => e.kind === 'tool.call')).toHaveLength(1);
    expect(events.slice(0, 2)).toEqual([
      { kind: 'status', state: 'running' },
      expect.objectContaining({ kind: 'tool.call', callId: 'call-1' }),
    ]);
    expect(events.slice(-3)).toEqual([
      { kind: 'tool.result', callId: 'call-1', ok: false, durationMs: expect.any(Number), error: INTERRUPTED_ERROR },
      { kind: 'status', state: 'error', message: expect.stringContaining('restarted') },
      { kind: 'status', state: 'idle' },
    ]);
    // The message was not run again.
    await sleep(300);
    expect(link.lines('th_1')).toHaveLength(lines.length);
    await waitFor(() => link.session.pending === 0, 'the runtime to acknowledge');

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('does not run a message again when the BFF resends it after the runtime restarted', async () => {
    const dirs = await folders();
    const { workspace } = dirs;
    const first = await start(dirs);
    const link = bff();
    await dial(first.info.port, link);
    const message = {
      type: 'message.send',
      threadId: 'th_1',
      seq: 1,
      clientId: 'c1',
      text: 'echo ran >> runs.txt',
      agent: 'shell',
    } as const;
    link.session.send(message);
    await waitFor(() => link.events('th_1').some((e) => e.kind === 'status' && e.state === 'idle'), 'the command');
    first.child.kill('SIGKILL');
    await first.exited;

    // A BFF whose acknowledgement never arrived resends seq 1 (and remembers the runtime's events).
    const second = await start(dirs);
    const peer = await RawPeer.connect(`ws://127.0.0.1:${second.info.port}/link`);
    peer.send({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      runtimeId: RUNTIME_ID,
      token: TOKEN,
      lastReceived: link.session.lastReceived,
    });
    const welcome = await waitFor(() => peer.ofType('welcome')[0], 'welcome');
    expect(welcome.lastReceived).toBe(1);
    peer.send({ type: 'data', seq: 1, message });
    await waitFor(() => peer.ofType('ack').some((ack) => ack.upTo === 1), 'the runtime to acknowledge the resend');
    await sleep(300);
    expect(await readFile(path.join(workspace, 'runs.txt'), 'utf8')).toBe('ran\n');
    expect(
      peer.ofType('data').filter((frame) => (frame.message as FromRuntimeMessage).type === 'thread.event'),
    ).toEqual([]);
    // The numbering went on from where the first process stopped.
    const info = peer.ofType('data').find((frame) => (frame.message as FromRuntimeMessage).type === 'runtime.info');
    expect(info?.seq).toBe(link.session.lastReceived + 1);
    peer.socket.close();

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('ends a silent command the killed runtime left running when it starts again', async () => {
    const dirs = await folders();
    const { workspace } = dirs;
    const first = await start(dirs);
    const link = bff();
    await dial(first.info.port, link);
    // It prints nothing: only the process table knows it runs. Its pid is its process group's id.
    link.session.send({
      type: 'message.send',
      threadId: 'th_1',
      seq: 1,
      clientId: 'c1',
      text: 'echo $$ > sleep.pid; exec sleep 600',
      agent: 'shell',
    });
    const pgid = await waitFor(async () => {
      const text = await readFile(path.join(workspace, 'sleep.pid'), 'utf8').catch(() => '');
      return Number.parseInt(text, 10) || undefined;
    }, 'the command to start');
    onTestFinished(() => {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Ended, as it should be.
      }
    });
    first.child.kill('SIGKILL');
    await first.exited;
    expect(groupAlive(pgid)).toBe(true);

    const second = await start(dirs);
    await waitFor(() => !groupAlive(pgid), 'the sleep the killed runtime left to end', 10_000);
    expect(second.stderr()).toContain('ending 1 process group(s) the previous process left running');

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
