import { PROTOCOL_VERSION } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signIn } from './support/bff.js';
import { spawnBff } from './support/bff-process.js';
import { tempDir } from './support/temp-dir.js';

const HOST = 'http://host.example';

describe('logs', () => {
  it('never contain a token, a cookie, a ticket or an authorization header', async () => {
    const bff = await spawnBff(['--data-dir', tempDir(), '--log-level', 'debug', '--allowed-origins', HOST]);
    const signinToken = new URL(bff.signinLink).searchParams.get('token')!;
    const cookie = await signIn(bff.signinLink);
    const json = { 'content-type': 'application/json' };
    const created = (await (
      await fetch(`${bff.url}/api/tokens`, {
        method: 'POST',
        headers: { cookie, ...json },
        body: JSON.stringify({ name: 'ci' }),
      })
    ).json()) as { token: string };
    const client = (await (
      await fetch(`${bff.url}/api/client-tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.token}`, ...json },
        body: JSON.stringify({ userId: 'u1', origin: HOST }),
      })
    ).json()) as { token: string };
    const asClient = { authorization: `Bearer ${client.token}`, origin: HOST };
    await fetch(`${bff.url}/api/runtimes`, { headers: asClient });
    await fetch(`${bff.url}/api/runtimes`, { headers: { authorization: 'Bearer rc_wrong-token-that-fails' } });
    const { ticket } = (await (
      await fetch(`${bff.url}/api/stream-tickets`, { method: 'POST', headers: { ...asClient, ...json }, body: '{}' })
    ).json()) as { ticket: string };
    await new Promise<void>((resolve) => {
      const socket = new WebSocket(`${bff.url.replace('http', 'ws')}/api/stream?ticket=${ticket}`, {
        headers: { origin: HOST },
      });
      socket.on('open', () => socket.close());
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    // A machine presenting the API token on the runtime link.
    await new Promise<void>((resolve) => {
      const socket = new WebSocket(`${bff.url.replace('http', 'ws')}/api/link`);
      socket.on('open', () =>
        socket.send(
          JSON.stringify({
            type: 'hello',
            protocol: PROTOCOL_VERSION,
            runtimeId: 'rt_someone',
            token: created.token,
            lastReceived: 0,
          }),
        ),
      );
      socket.on('message', () => socket.close());
      socket.on('close', () => resolve());
    });
    await fetch(`${bff.url}/auth/signin?token=${signinToken}`, { redirect: 'manual' });
    bff.child.kill('SIGTERM');
    await bff.exited;

    const logs = bff
      .output()
      .split('\n')
      .filter((line) => !line.startsWith('Sign in'));
    expect(logs.some((line) => line.includes('"request"'))).toBe(true);
    const secrets = [
      signinToken,
      cookie.split('=')[1]!,
      created.token,
      client.token,
      ticket,
      'rc_wrong-token-that-fails',
    ];
    for (const secret of secrets) expect(logs.filter((line) => line.includes(secret))).toEqual([]);
    expect(logs.join('\n')).toContain('[redacted]');
  });
});
