import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '@remote-chat/protocol';
import { RemoteChatClient } from '../client/remote-chat-client.js';
import { ControllerHost } from '../fixtures/controller-host.js';
import { FakeSocket } from '../fixtures/fake-socket.js';
import { waitFor } from '../fixtures/harness.js';
import { readyRuntime, startingRuntime, stoppedRuntime } from '../fixtures/runtimes.js';
import { SnapshotListController } from './snapshot-list-controller.js';

/** The n-th socket the client opened, once it has subscribed. */
const socketNumber = (n: number) =>
  waitFor(() => (FakeSocket.opened[n]?.sent.length ? FakeSocket.opened[n] : undefined), { what: `socket ${n}` });

let client: RemoteChatClient | undefined;

function newClient(): RemoteChatClient {
  FakeSocket.opened = [];
  client = new RemoteChatClient({ bffUrl: 'http://bff.test', WebSocket: FakeSocket as unknown as typeof WebSocket });
  return client;
}

afterEach(() => client?.close());

const ids = (runtimes: readonly Runtime[]) => runtimes.map((r) => `${r.id}:${r.status}`);

describe('SnapshotListController', () => {
  it('folds the snapshot and every update into one list, and starts over on another topic', async () => {
    const c = newClient();
    const host = new ControllerHost();
    const changes: string[][] = [];
    const errors: string[] = [];
    const list = new SnapshotListController<'runtimes'>(host, {
      onChange: (runtimes) => changes.push(ids(runtimes)),
      onError: (message) => errors.push(message),
    });
    host.connect();
    list.follow(c, 'runtimes');
    const socket = await socketNumber(0);
    expect(list.loaded).toBe(false);

    socket.push({ type: 'runtimes', topic: 'runtimes', runtimes: [readyRuntime, startingRuntime] });
    socket.push({ type: 'runtime', topic: 'runtimes', runtime: { ...startingRuntime, status: 'ready' } });
    socket.push({ type: 'runtime', topic: 'runtimes', runtime: stoppedRuntime });
    socket.push({ type: 'runtime-removed', topic: 'runtimes', id: readyRuntime.id });
    socket.push({ type: 'error', topic: 'runtimes', code: 'internal', message: 'The store is busy.' });
    expect(list.loaded).toBe(true);
    expect(ids(list.items)).toEqual(['rt_starting:ready', 'rt_stopped:stopped']);
    expect(changes.at(-1)).toEqual(ids(list.items));
    expect(changes).toHaveLength(4);
    expect(errors).toEqual(['The store is busy.']);

    list.upsert({ ...readyRuntime, status: 'starting' });
    expect(ids(list.items)).toEqual(['rt_starting:ready', 'rt_stopped:stopped', `${readyRuntime.id}:starting`]);

    list.follow(newClient(), 'runtimes');
    expect(list.items).toEqual([]);
    expect(list.loaded).toBe(false);
    host.disconnect();
  });

  it('gives a list that joins late the same folded list as the one that saw every frame', async () => {
    const c = newClient();
    const host = new ControllerHost();
    const first = new SnapshotListController<'runtimes'>(host);
    host.connect();
    first.follow(c, 'runtimes');
    const socket = await socketNumber(0);
    socket.push({ type: 'runtimes', topic: 'runtimes', runtimes: [readyRuntime, startingRuntime] });
    socket.push({ type: 'runtime', topic: 'runtimes', runtime: stoppedRuntime });
    socket.push({ type: 'runtime-removed', topic: 'runtimes', id: startingRuntime.id });

    const lateHost = new ControllerHost();
    const late = new SnapshotListController<'runtimes'>(lateHost);
    lateHost.connect();
    late.follow(c, 'runtimes');
    await waitFor(() => late.loaded, { what: 'the late snapshot' });
    expect(late.items).toEqual(first.items);
    expect(ids(late.items)).toEqual([`${readyRuntime.id}:ready`, 'rt_stopped:stopped']);
    host.disconnect();
    lateHost.disconnect();
  });
});
