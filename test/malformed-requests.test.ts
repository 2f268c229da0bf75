import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestBff, type TestBff } from './support/bff.js';
import { storedThread } from './support/stored-thread.js';

/** Everything a request could have changed. */
async function state(bff: TestBff) {
  const store = bff.server.chat.store;
  const owner = await store.ensureOwner('Owner');
  return {
    threads: await store.listThreads('rt_fixture'),
    events: await store.listEvents('th_fixture', 0, 1000),
    runtimes: await store.listRuntimes(null),
    tokens: await store.listApiTokens(owner.id),
  };
}

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe('malformed requests', () => {
  it('answers a malformed percent-escape in a route id with 400 on every route with an id', async () => {
    const bff = await startTestBff();
    const before = await state(bff);
    const routes: Array<[string, string]> = [
      ['GET', '/api/runtimes/%'],
      ['DELETE', '/api/runtimes/%'],
      ['GET', '/api/runtimes/%E0%A4%A/log'],
      ['GET', '/api/runtimes/%/threads'],
      ['POST', '/api/runtimes/%zz/threads'],
      ['GET', '/api/threads/%'],
      ['PATCH', '/api/threads/%'],
      ['GET', '/api/threads/%/events'],
      ['POST', '/api/threads/%/messages'],
      ['POST', '/api/threads/%/uploads'],
      ['POST', '/api/threads/%/cancel'],
      ['DELETE', '/api/tokens/%'],
      ['DELETE', '/api/machine-tokens/%'],
    ];
    for (const [method, path] of routes) {
      const response = await bff.api(path, { method, ...(method !== 'GET' && method !== 'DELETE' && { body: {} }) });
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(await codeOf(response)).toBe('bad_request');
    }
    expect(await state(bff)).toEqual(before);
  });

  it('answers a corrupt compressed body with 400 and stores nothing', async () => {
    const bff = await startTestBff();
    const { runtimeId } = await storedThread(bff);
    const before = await state(bff);
    const garbage = Buffer.from('this is not compressed at all');
    const body = JSON.stringify({ title: 'compressed' });
    const cases: Array<[string, Buffer]> = [
      ['gzip', garbage],
      ['deflate', garbage],
      ['br', garbage],
      ['gzip', gzipSync(body).subarray(0, 12)],
      ['deflate', deflateSync(body).subarray(0, 6)],
      ['br', brotliCompressSync(body).subarray(1)],
    ];
    for (const [encoding, bytes] of cases) {
      const response = await fetch(`${bff.url}/api/runtimes/${runtimeId}/threads`, {
        method: 'POST',
        headers: { cookie: bff.cookie, 'content-type': 'application/json', 'content-encoding': encoding },
        body: new Uint8Array(bytes),
      });
      expect(response.status, encoding).toBe(400);
      expect(await codeOf(response)).toBe('bad_request');
    }
    expect(await state(bff)).toEqual(before);
    // A well-formed compressed body still works.
    const ok = await fetch(`${bff.url}/api/runtimes/${runtimeId}/threads`, {
      method: 'POST',
      headers: { cookie: bff.cookie, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: new Uint8Array(gzipSync(body)),
    });
    expect(ok.status).toBe(201);
  });

  it('refuses a malformed Origin as a foreign one, on REST and on the stream', async () => {
    const bff = await startTestBff();
    for (const origin of ['http://[', 'http://x:99999', 'http://%zz', 'null', '://', 'http://']) {
      const response = await bff.api('/api/runtimes', { headers: { origin } });
      expect(response.status, origin).toBe(403);
      expect(await codeOf(response)).toBe('forbidden');
      const status = await new Promise<number>((resolve) => {
        const socket = new WebSocket(`${bff.url.replace('http', 'ws')}/api/stream`, {
          headers: { cookie: bff.cookie, origin },
        });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('open', () => resolve(101));
        socket.on('error', () => resolve(0));
      });
      expect(status, origin).toBe(403);
    }
  });

  it('serves the embeddable files whatever the case or a trailing slash, and never answers 500', async () => {
    const bff = await startTestBff();
    for (const path of ['/REMOTE-CHAT.JS', '/remote-chat.js/', '/Remote-Chat.js.MAP', '/REMOTE-CHAT-RUNTIME.JS/']) {
      const response = await fetch(`${bff.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/javascript|json/);
      await response.body?.cancel();
    }
    for (const path of [
      '/INDEX.HTML',
      '/%',
      '/%E0%A4%A.js',
      '/nonesuch.js',
      '/remote-chat.js%00',
      '/..%2f..%2fpackage.json',
    ]) {
      expect((await fetch(`${bff.url}${path}`)).status, path).toBeLessThan(500);
    }
  });

  it('refuses a lone surrogate or bytes that are not UTF-8 instead of storing U+FFFD', async () => {
    const bff = await startTestBff();
    const { runtimeId, threadId } = await storedThread(bff);
    const before = await state(bff);
    const send = (method: string, path: string, body: string | Uint8Array<ArrayBuffer>) =>
      fetch(`${bff.url}${path}`, {
        method,
        headers: { cookie: bff.cookie, 'content-type': 'application/json' },
        body,
      });
    const notUtf8 = new Uint8Array([...Buffer.from('{"title":"'), 0xff, 0xfe, 0xc3, ...Buffer.from('"}')]);
    const requests: Array<[string, string, string | Uint8Array<ArrayBuffer>]> = [
      ['POST', `/api/runtimes/${runtimeId}/threads`, '{"title":"a\\ud800b"}'],
      ['POST', `/api/runtimes/${runtimeId}/threads`, '{"title":"\\udc00"}'],
      ['POST', `/api/runtimes/${runtimeId}/threads`, notUtf8],
      ['PATCH', `/api/threads/${threadId}`, '{"title":"x\\ud83d"}'],
      ['PATCH', `/api/threads/${threadId}`, notUtf8],
      ['POST', `/api/threads/${threadId}/messages`, '{"clientId":"abcdefgh1","text":"\\ud800"}'],
      ['POST', '/api/tokens', '{"name":"\\udfff"}'],
      ['POST', '/api/runtimes', '{"provider":"process","name":"\\ud800"}'],
    ];
    for (const [method, path, body] of requests) {
      const response = await send(method, path, body);
      expect(response.status, `${method} ${path} ${String(body)}`).toBe(400);
    }
    expect(await state(bff)).toEqual(before);
    // A surrogate pair is one character, and welcome.
    const pair = await send('PATCH', `/api/threads/${threadId}`, '{"title":"\\ud83d\\ude00"}');
    expect(pair.status).toBe(200);
    expect(((await pair.json()) as { title: string }).title).toBe('\u{1F600}');
  });

  it('answers a deeply nested body with 400 and keeps serving', async () => {
    const bff = await startTestBff();
    const before = await state(bff);
    for (const body of ['['.repeat(50_000) + ']'.repeat(50_000), `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`]) {
      const response = await bff.api('/api/tokens', { body });
      expect(response.status).toBe(400);
    }
    expect((await bff.api('/api/config')).status).toBe(200);
    expect(await state(bff)).toEqual(before);
  });

  it('refuses a body that was never parsed as JSON instead of reading it as empty', async () => {
    const bff = await startTestBff();
    const { runtimeId, threadId } = await storedThread(bff);
    const before = await state(bff);
    const body = JSON.stringify({ title: 'sent as text' });
    const kinds: Record<string, string>[] = [
      { 'content-type': 'text/plain' },
      {},
      { 'content-type': 'application/x-www-form-urlencoded' },
    ];
    for (const headers of kinds) {
      for (const path of [`/api/runtimes/${runtimeId}/threads`, `/api/threads/${threadId}/cancel`]) {
        const response = await fetch(`${bff.url}${path}`, {
          method: 'POST',
          headers: { cookie: bff.cookie, ...headers },
          body: new TextEncoder().encode(body),
        });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(400);
      }
    }
    expect(await state(bff)).toEqual(before);
    // Without a body at all, the route's defaults apply.
    const empty = await fetch(`${bff.url}/api/runtimes/${runtimeId}/threads`, {
      method: 'POST',
      headers: { cookie: bff.cookie },
    });
    expect(empty.status).toBe(201);
  });
});
