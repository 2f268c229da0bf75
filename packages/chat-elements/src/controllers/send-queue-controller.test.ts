import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ThreadEvent } from '@remote-chat/protocol';
import { RcConnectionChangeEvent } from '../client/connection-status.js';
import { RemoteChatClient } from '../client/remote-chat-client.js';
import { ControllerHost } from '../fixtures/controller-host.js';
import { SendQueueController } from './send-queue-controller.js';

/**
 * A BFF whose message route answers 503 until `healthy` is set, then stores each client id once.
 * `log` records every request it receives as `post`, in order with what else the test logs.
 */
function failingBff(log: string[]) {
  const posts: string[] = [];
  const stored = new Map<string, ThreadEvent>();
  const bff = {
    healthy: false,
    posts,
    stored,
    fetch: async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const body = JSON.parse(String(init?.body)) as { clientId: string; text: string };
      posts.push(body.clientId);
      log.push('post');
      if (!bff.healthy) {
        const error = { error: { code: 'runtime_unavailable', message: 'The runtime is not running.' } };
        return new Response(JSON.stringify(error), { status: 503 });
      }
      const known = stored.get(body.clientId);
      const event: ThreadEvent = known ?? {
        threadId: 't1',
        seq: stored.size + 1,
        at: new Date().toISOString(),
        kind: 'message.user',
        clientId: body.clientId,
        text: body.text,
        agent: 'shell',
      };
      stored.set(body.clientId, event);
      return new Response(JSON.stringify({ event, created: !known }), { status: 202 });
    },
  };
  return bff;
}

/** Moves the fake clock on until `check` holds. */
async function runUntil(check: () => boolean, what: string): Promise<void> {
  for (let ms = 0; !check(); ms += 100) {
    if (ms > 600_000) throw new Error(`${what} did not happen within 10 minutes`);
    await vi.advanceTimersByTimeAsync(100);
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SendQueueController', () => {
  it('sends each try of a waiting message as one request, with no retry under the retry, and stores it once', async () => {
    vi.useFakeTimers();
    // The states the message goes through and the requests the BFF receives, in order.
    const log: string[] = [];
    const bff = failingBff(log);
    const client = new RemoteChatClient({ bffUrl: 'http://bff.test', fetch: bff.fetch });
    const host = new ControllerHost();
    const queue = new SendQueueController(host);
    host.onUpdate = () => {
      const state = queue.messages[0]?.state;
      if (state && state !== log.findLast((entry) => entry !== 'post')) log.push(state);
    };
    host.connect();
    queue.follow(client, 't1');
    queue.add({ clientId: 'c1', text: 'ls', agent: undefined });

    // The first try fails, and so do the quick ones after it: the message waits.
    await runUntil(() => log.includes('queued'), 'the wait');
    /** The requests of each try the queue made since the message first waited. */
    const waitingTries = () =>
      log
        .slice(log.indexOf('queued'))
        .join(' ')
        .split('sending')
        .slice(1)
        .map((entries) => entries.split(' ').filter((entry) => entry === 'post').length);
    await runUntil(() => waitingTries().length >= 3 && log.at(-1) === 'queued', 'three more tries');
    expect(waitingTries()).toEqual([1, 1, 1]);

    // The BFF is back, and so is the connection: the message goes out, stored once.
    bff.healthy = true;
    client.dispatchEvent(new RcConnectionChangeEvent({ status: 'open' }));
    await runUntil(() => log.at(-1) === 'sent', 'the delivery');
    expect(bff.stored.size).toBe(1);
    expect(new Set(bff.posts)).toEqual(new Set(['c1']));
    host.disconnect();
  });
});
