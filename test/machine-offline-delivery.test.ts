// A user's machine is offline until it dials in again, and messages wait for it: a message sent
// meanwhile is stored, then delivered when the machine reconnects, once.
import type { Runtime, SendMessageResponse, Thread, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import { clientId, startTestBff, type TestBff } from './support/bff.js';
import { MACHINE_INFO, MachineLink } from './support/machine-link.js';
import { apiToken } from './support/tokens.js';

const RUNTIME = 'rt_laptop_offline';

async function statusOf(bff: TestBff): Promise<Runtime['status']> {
  return ((await (await bff.api(`/api/runtimes/${RUNTIME}`)).json()) as Runtime).status;
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('a machine that is offline', () => {
  it('gets a message sent meanwhile when it reconnects, once', async () => {
    const bff = await startTestBff();
    const { token } = await apiToken(bff, 'laptop');
    const first = await MachineLink.open(bff.url, { token, runtimeId: RUNTIME, lastReceived: 0 });
    // Ready once it says what it serves.
    first.send({ type: 'data', seq: 1, message: MACHINE_INFO });
    await until(async () => (await statusOf(bff)) === 'ready', 'the machine to be ready');
    const thread = (await (await bff.api(`/api/runtimes/${RUNTIME}/threads`, { body: {} })).json()) as Thread;
    await first.close();
    await until(async () => (await statusOf(bff)) === 'offline', 'the machine to be offline');

    const id = clientId();
    const sent = await bff.api(`/api/threads/${thread.id}/messages`, { body: { clientId: id, text: 'echo waited' } });
    expect(sent.status).toBe(202);
    expect(((await sent.json()) as SendMessageResponse).event).toMatchObject({ kind: 'message.user', seq: 1 });

    // It dials in again, having received nothing: the message comes, once.
    const second = await MachineLink.open(bff.url, { token, runtimeId: RUNTIME, lastReceived: 0 });
    await second.roundTrip();
    const delivered = second.messages('message.send');
    expect(delivered.map((f) => f.message)).toEqual([
      expect.objectContaining({ threadId: thread.id, clientId: id, text: 'echo waited', seq: 1 }),
    ]);
    second.send({ type: 'ack', upTo: delivered[0]!.seq });
    await second.roundTrip();
    await second.close();

    // Acknowledged, it is never sent again.
    const third = await MachineLink.open(bff.url, { token, runtimeId: RUNTIME, lastReceived: delivered[0]!.seq! });
    await third.roundTrip();
    expect(third.messages('message.send')).toEqual([]);
    const events = ((await (await bff.api(`/api/threads/${thread.id}/events`)).json()) as { events: ThreadEvent[] })
      .events;
    expect(events.filter((e) => e.kind === 'message.user')).toHaveLength(1);
  });
});
