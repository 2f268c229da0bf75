import { PROTOCOL_VERSION, type Runtime } from '@remote-chat/protocol';
import { expect, it } from 'vitest';
import { startTestBff } from './support/bff.js';
import { RawPeer } from './support/link-server.js';
import { MACHINE_INFO } from './support/machine-link.js';
import { waitFor } from './support/wait.js';

const RUNTIME_ID = 'rt_machineReady0001';

it('lists a machine runtime as ready only together with its project and git remote, on every connection', async () => {
  const bff = await startTestBff();
  const { token } = (await (await bff.api('/api/tokens', { body: { name: 'laptop' } })).json()) as { token: string };
  const stream = await bff.stream();
  stream.send({ type: 'subscribe', topic: 'runtimes' });
  const published = (): Runtime[] =>
    stream.frames.flatMap((frame) =>
      frame.type === 'runtime' && frame.runtime.id === RUNTIME_ID ? [frame.runtime] : [],
    );

  // A machine that says what it serves some time after the handshake, as a slow disk or git would make it.
  const connectMachine = async (lastReceived: number) => {
    const seen = published().length;
    const peer = await RawPeer.connect(`${bff.url.replace(/^http/, 'ws')}/api/link`);
    peer.send({ type: 'hello', protocol: PROTOCOL_VERSION, runtimeId: RUNTIME_ID, token, lastReceived });
    await waitFor(() => peer.ofType('welcome')[0], 'welcome');
    await stream.until(
      () =>
        published()
          .slice(seen)
          .some((runtime) => runtime.link === 'open'),
      20_000,
      'the runtime with its link open',
    );
    return peer;
  };

  const first = await connectMachine(0);
  first.send({ type: 'data', seq: 1, message: MACHINE_INFO });
  await stream.until(() => published().some((r) => r.status === 'ready'), 20_000, 'ready');

  // Again after the machine reconnects: offline, then ready with what it reports.
  first.socket.close();
  await stream.until(() => published().at(-1)?.status === 'offline', 20_000, 'offline');
  const readyBefore = published().filter((r) => r.status === 'ready').length;
  const second = await connectMachine(0);
  second.send({
    type: 'data',
    seq: 2,
    message: { ...MACHINE_INFO, gitRemote: 'https://github.com/octo/app-renamed.git' },
  });
  await stream.until(() => published().filter((r) => r.status === 'ready').length > readyBefore, 20_000, 'ready again');
  second.socket.close();

  const ready = published().filter((runtime) => runtime.status === 'ready');
  // Called after its folder.
  expect(ready[0]!.name).toBe('app');

  // Renamed by its person, it keeps that name when it reports its folder again.
  const renamed = await bff.api(`/api/runtimes/${RUNTIME_ID}`, { method: 'PATCH', body: { name: 'laptop: app' } });
  expect(renamed.status).toBe(200);
  const third = await connectMachine(0);
  third.send({ type: 'data', seq: 3, message: MACHINE_INFO });
  await stream.until(
    () => published().filter((r) => r.status === 'ready').length > ready.length,
    20_000,
    'ready once more',
  );
  third.socket.close();
  expect(published().at(-1)!.name).toBe('laptop: app');

  const reported = ready.map(({ project, gitRemote }) => ({ project, gitRemote }));
  expect(reported.every((r) => r.project === 'app' && r.gitRemote !== null)).toBe(true);
  expect(reported[0]).toEqual({ project: 'app', gitRemote: 'https://github.com/octo/app.git' });
  expect(reported.at(-1)).toEqual({ project: 'app', gitRemote: 'https://github.com/octo/app-renamed.git' });
});
