import { LIMITS, type ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StreamClient, clientId, startTestBff, type TestBff } from './support/bff.js';
import { storedThread } from './support/stored-thread.js';

/** A runtime row and a thread with one event, made straight in the store: no runtime process needed. */
async function storedThreadWithEvent(bff: TestBff): Promise<string> {
  const { threadId } = await storedThread(bff);
  await bff.server.chat.store.appendEvent(threadId, { kind: 'status', state: 'idle' });
  return threadId;
}

async function storedEvents(bff: TestBff, threadId: string): Promise<ThreadEvent[]> {
  return bff.server.chat.store.listEvents(threadId, 0, 1000);
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('bad input', () => {
  it('answers malformed JSON with 400 and stores nothing', async () => {
    const bff = await startTestBff();
    const threadId = await storedThreadWithEvent(bff);
    const before = await storedEvents(bff, threadId);
    const response = await bff.api(`/api/threads/${threadId}/messages`, { body: '{"clientId": "abcdefgh1", "text": ' });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'bad_request', message: expect.stringContaining('JSON') });
    expect(await storedEvents(bff, threadId)).toEqual(before);
  });

  it('answers a body of the wrong shape with 400 naming the field, and stores nothing', async () => {
    const bff = await startTestBff();
    const threadId = await storedThreadWithEvent(bff);
    const before = await storedEvents(bff, threadId);
    for (const body of [
      { text: 'ls' },
      { clientId: clientId(), text: 42 },
      [],
      { clientId: clientId(), text: 'ls', extra: 1 },
    ]) {
      const response = await bff.api(`/api/threads/${threadId}/messages`, { body });
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe('bad_request');
    }
    const runtime = await bff.api('/api/runtimes', { body: { provider: 'nonesuch' } });
    expect(runtime.status).toBe(400);
    expect((await errorOf(runtime)).message).toContain('nonesuch');
    expect(await storedEvents(bff, threadId)).toEqual(before);
    expect(await bff.server.chat.store.listRuntimes(null)).toHaveLength(1);
  });

  it('answers an oversized body with 413 and stores nothing', async () => {
    const bff = await startTestBff();
    const threadId = await storedThreadWithEvent(bff);
    const before = await storedEvents(bff, threadId);
    const response = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'x'.repeat(LIMITS.maxBodyBytes + 10) },
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('payload_too_large');
    const tooLongText = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'x'.repeat(LIMITS.maxMessageChars + 1) },
    });
    expect(tooLongText.status).toBe(400);
    expect(await storedEvents(bff, threadId)).toEqual(before);
  });

  it('answers ids that are not ids, and unknown ones, with the same not-found shape', async () => {
    const bff = await startTestBff();
    expect((await bff.api('/api/threads/th_nonesuch/events')).status).toBe(404);
    expect((await bff.api('/api/runtimes/rt_nonesuch')).status).toBe(404);
    expect((await bff.api('/api/threads/bad!id/events')).status).toBe(400);
    expect((await bff.api('/api/threads/th_1/events?after=-1')).status).toBe(400);
    expect((await bff.api('/api/nonesuch')).status).toBe(404);
  });

  it('refuses the API and the stream without a session', async () => {
    const bff = await startTestBff();
    const anonymous = await fetch(`${bff.url}/api/runtimes`);
    expect(anonymous.status).toBe(401);
    expect((await errorOf(anonymous)).code).toBe('unauthorized');
    const config = (await (await fetch(`${bff.url}/api/config`)).json()) as {
      user: unknown;
      providers: { id: string }[];
    };
    expect(config.user).toBeNull();
    // Nobody signed in is offered only what anyone may use: the unsandboxed Local process is the owner's.
    expect(config.providers.map((p) => p.id)).not.toContain('process');
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${bff.url.replace('http', 'ws')}/api/stream`);
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(status).toBe(401);
  });

  it('refuses writes and the stream from a page on another origin', async () => {
    const bff = await startTestBff();
    const threadId = await storedThreadWithEvent(bff);
    const response = await bff.api(`/api/threads/${threadId}/messages`, {
      body: { clientId: clientId(), text: 'ls' },
      headers: { origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${bff.url.replace('http', 'ws')}/api/stream`, {
        headers: { cookie: bff.cookie, origin: 'https://evil.example' },
      });
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(status).toBe(403);
  });

  it('answers bad stream frames with an error frame and keeps the connection serving', async () => {
    const bff = await startTestBff();
    const threadId = await storedThreadWithEvent(bff);
    const stream = await bff.stream();
    const errors = () => stream.frames.filter((f) => f.type === 'error');
    stream.send('{not json');
    stream.send({ type: 'subscribe', topic: 'users' });
    stream.send({ type: 'subscribe', topic: `thread:${threadId}`, after: 'zero' });
    stream.send({ type: 'subscribe', topic: 'thread:th_other' });
    await stream.until(() => errors().length === 4);
    expect(errors().map((f) => f.type === 'error' && f.code)).toEqual([
      'bad_request',
      'bad_request',
      'bad_request',
      'not_found',
    ]);

    stream.send({ type: 'subscribe', topic: `thread:${threadId}` });
    await stream.until(() => stream.events(threadId).length === 1);
    expect(await storedEvents(bff, threadId)).toHaveLength(1);
  });

  it('closes a stream that sends an oversized frame, and the server keeps serving others', async () => {
    const bff = await startTestBff();
    const threadId = await storedThreadWithEvent(bff);
    const stream = await bff.stream();
    const closed = new Promise<number>((resolve) => stream.socket.on('close', (code) => resolve(code)));
    stream.send({ type: 'ping', id: 1, pad: 'x'.repeat(LIMITS.maxStreamFrameBytes + 1) });
    expect(await closed).toBe(1009);

    const other = await StreamClient.open(bff.url, bff.cookie);
    other.send({ type: 'subscribe', topic: `thread:${threadId}` });
    await other.until(() => other.events(threadId).length === 1);
    expect((await bff.api('/api/config')).status).toBe(200);
  });

  it('closes a stream that floods frames', async () => {
    const bff = await startTestBff({ stream: { framesPerSecond: 20 } });
    const stream = await bff.stream();
    const closed = new Promise<number>((resolve) => stream.socket.on('close', (code) => resolve(code)));
    for (let i = 0; i < 200; i++) stream.send({ type: 'ping', id: i });
    expect(await closed).toBe(4429);
  });
});
