// The element tests and stories run against an in-memory BFF (FakeBff), because they need one in
// the browser, with controllable timing and failures, and no processes. Whatever they prove holds
// only as far as the fake answers like the real BFF: this suite runs the same cases against both
// and requires the same statuses, error codes and frames.
import type { Runtime, ServerFrame, Thread, ThreadEvent } from '@remote-chat/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { FakeBff } from '../packages/chat-elements/src/fixtures/fake-bff.js';
import { readyRuntime, signedInConfig, stoppedRuntime } from '../packages/chat-elements/src/fixtures/runtimes.js';
import { threads } from '../packages/chat-elements/src/fixtures/threads.js';
import { readyRuntime as readyProcessRuntime, startTestBff } from './support/bff.js';
import { storedRuntime } from './support/store-fixtures.js';

/** What a request got: the status and the body, parsed when it is JSON. */
interface Answer {
  status: number;
  body: unknown;
}

/** The ids each BFF gave the things every case uses; observations name them, not their ids. */
interface Names {
  /** A ready runtime (live on the real BFF only where the test says so). */
  ready: string;
  /** An untitled thread on it, with no events. */
  fresh: string;
  /** A stopped runtime. */
  stopped: string;
  /** A thread on the stopped runtime with the three SEEDED events. */
  seeded: string;
}

/** One BFF, driven through nothing but HTTP and the stream, as a browser drives it. */
interface Subject {
  names: Names;
  call(method: string, path: string, body?: unknown): Promise<Answer>;
  /** The same, with no session. */
  anonymous(method: string, path: string): Promise<Answer>;
  stream(signedIn?: boolean): Promise<StreamProbe>;
}

const SEEDED = [
  { kind: 'message.user', clientId: 'seeded-00001', text: 'ls', agent: 'shell' },
  { kind: 'tool.call', callId: 'c1', tool: 'terminal', title: 'ls' },
  { kind: 'status', state: 'idle' },
] as const;

/** What the probe uses of a socket: `ws`'s and the fake's both have it. */
interface WebSocketLike {
  send(data: string): void;
  close(): void;
  addEventListener(type: string, listener: (event: unknown) => void): void;
}

/** A stream connection that records every frame, for either BFF. */
class StreamProbe {
  readonly frames: ServerFrame[] = [];
  opened = false;
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: WebSocketLike) {
    const wake = () => {
      for (const waiter of this.waiters.splice(0)) waiter();
    };
    socket.addEventListener('message', (event) => {
      this.frames.push(JSON.parse(String((event as { data: unknown }).data)) as ServerFrame);
      wake();
    });
    socket.addEventListener('close', (event) => {
      this.closeCode = (event as { code: number }).code;
      wake();
    });
    socket.addEventListener('error', () => undefined);
  }

  /** Resolves once the BFF welcomed the socket, or closed it. */
  static async open(socket: WebSocketLike): Promise<StreamProbe> {
    const probe = new StreamProbe(socket);
    onTestFinished(() => socket.close());
    await probe.until(
      () => probe.closeCode !== undefined || probe.frames.some((f) => f.type === 'welcome'),
      'the welcome',
    );
    probe.opened = probe.closeCode === undefined;
    return probe;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Subscribes and resolves with the frames of the topic once its answer is complete. */
  async subscribe(topic: string, after?: number, batch?: boolean): Promise<ServerFrame[]> {
    const start = this.frames.length;
    this.send({ type: 'subscribe', topic, ...(after !== undefined && { after }), ...(batch && { batch }) });
    const mine = () => this.frames.slice(start).filter((f) => 'topic' in f && f.topic === topic);
    const done = (f: ServerFrame) => ['caught-up', 'error', 'runtimes', 'threads'].includes(f.type);
    await this.until(() => mine().some(done), `the answer to ${topic}`);
    return mine();
  }

  /** Sends a frame and resolves with the next frame that has no topic (an error or a pong). */
  async answerTo(frame: unknown): Promise<ServerFrame> {
    const start = this.frames.length;
    this.send(frame);
    const next = () => this.frames.slice(start).find((f) => !('topic' in f && f.topic));
    await this.until(() => next() !== undefined, 'an answer');
    return next()!;
  }

  async until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(this.frames.slice(-4))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** A request's init: JSON for objects, the text itself for strings (malformed JSON), a file for Blobs. */
function init(method: string, body: unknown, headers: Record<string, string>): RequestInit {
  if (body === undefined) return { method, headers };
  if (body instanceof Blob)
    return { method, headers: { ...headers, 'content-type': body.type || 'application/octet-stream' }, body };
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { method, headers: { ...headers, 'content-type': 'application/json' }, body: text };
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body };
}

/** The real BFF, on SQLite, with the stopped runtime and seeded thread made in its store. */
async function realBff(options: { live: boolean }): Promise<Subject> {
  const bff = await startTestBff();
  const store = bff.server.chat.store;
  let ready: string;
  let fresh: string;
  if (options.live) {
    const made = await readyProcessRuntime(bff);
    ready = made.runtime.id;
    fresh = made.threadId;
  } else {
    ready = await storedRuntime(bff, { id: 'rt_contract_ready', status: 'ready' });
    fresh = (
      await store.createThread({
        id: 'th_fresh',
        runtimeId: ready,
        userId: 'owner',
        title: 'New thread',
        titled: false,
      })
    ).id;
  }
  const stopped = await storedRuntime(bff, { id: 'rt_contract_stopped', status: 'stopped' });
  const seeded = await store.createThread({
    id: 'th_contract_seeded',
    runtimeId: stopped,
    userId: 'owner',
    title: 'Seeded',
    titled: true,
  });
  for (const body of SEEDED) await store.appendEvent(seeded.id, body);
  const ws = `${bff.url.replace(/^http/, 'ws')}/api/stream`;
  return {
    names: { ready, fresh, stopped, seeded: seeded.id },
    call: async (method, path, body) =>
      answer(await fetch(`${bff.url}/api${path}`, init(method, body, { cookie: bff.cookie }))),
    anonymous: async (method, path) => answer(await fetch(`${bff.url}/api${path}`, { method })),
    stream: (signedIn = true) =>
      StreamProbe.open(
        new WebSocket(ws, { headers: signedIn ? { cookie: bff.cookie } : {} }) as unknown as WebSocketLike,
      ),
  };
}

/** The fake, seeded with the same things (from the fixtures the stories use). */
function fakeBff(): Subject {
  const fresh = threads.find((t) => t.id === 'th_first')!;
  const seeded: Thread = { ...fresh, id: 'th_seeded', runtimeId: stoppedRuntime.id, title: 'Seeded', lastSeq: 3 };
  const state = {
    config: signedInConfig,
    runtimes: [readyRuntime, stoppedRuntime],
    threads: [fresh, seeded],
    events: {
      [seeded.id]: SEEDED.map(
        (body, i): ThreadEvent => ({ threadId: seeded.id, seq: i + 1, at: fresh.createdAt, ...body }),
      ),
    },
  };
  const signedIn = new FakeBff({ latencyMs: 0, stepMs: 5, state }).transport();
  const signedOut = new FakeBff({ latencyMs: 0, state: { config: { ...signedInConfig, user: null } } }).transport();
  const ws = `${FakeBff.url.replace(/^http/, 'ws')}/api/stream`;
  return {
    names: { ready: readyRuntime.id, fresh: fresh.id, stopped: stoppedRuntime.id, seeded: seeded.id },
    call: async (method, path, body) =>
      answer(await signedIn.fetch(`${FakeBff.url}/api${path}`, init(method, body, {}))),
    anonymous: async (method, path) => answer(await signedOut.fetch(`${FakeBff.url}/api${path}`, { method })),
    stream: (asUser = true) =>
      StreamProbe.open(new (asUser ? signedIn : signedOut).WebSocket(ws) as unknown as WebSocketLike),
  };
}

/**
 * An observation with the BFF's own ids replaced by their names, and what differs by nature
 * (new ids, times, upload time stamps) by placeholders.
 */
function normalize(value: unknown, names: Names): unknown {
  let text = JSON.stringify(value) ?? 'null';
  for (const [name, id] of Object.entries(names)) text = text.replaceAll(id, `<${name}>`);
  text = text
    .replace(/\b(rt|th)_[A-Za-z0-9_-]+/g, '<new $1>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/uploads\/\d{8}-\d{6}-/g, 'uploads/<stamp>-');
  return JSON.parse(text) as unknown;
}

/** Ids as names (see `normalize`), sorted: a list whose order the BFF does not promise. */
const namesOf = (ids: string[], names: Names) => ids.map((id) => normalize(id, names) as string).sort();

/** Status and error code. */
function outcome(a: Answer): { status: number; code?: string } {
  const code = (a.body as { error?: { code?: string } } | undefined)?.error?.code;
  return { status: a.status, ...(code !== undefined && { code }) };
}

/** The keys of a JSON object, sorted: the shape of an answer. */
const keys = (value: unknown) => Object.keys(value as object).sort();

/** Runs `observe` on each BFF and requires the same observations. */
async function expectSameOn(
  subjects: { real: Subject; fake: Subject },
  observe: (bff: Subject) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const real = normalize(await observe(subjects.real), subjects.real.names) as Record<string, unknown>;
  const fake = normalize(await observe(subjects.fake), subjects.fake.names) as Record<string, unknown>;
  expect(fake).toEqual(real);
  return real;
}

const oversized = 'x'.repeat(300 * 1024);
const aClientId = (n: number) => `contract-client-${n}`;

describe('the fake BFF answers as the real one', () => {
  it('on REST reads, validation and errors', async () => {
    const subjects = { real: await realBff({ live: false }), fake: fakeBff() };
    const real = await expectSameOn(subjects, async (bff) => {
      const { ready, stopped, seeded } = bff.names;
      const config = await bff.call('GET', '/config');
      const runtimeAnswer = await bff.call('GET', `/runtimes/${ready}`);
      const runtimes = await bff.call('GET', '/runtimes');
      const events = await bff.call('GET', `/threads/${seeded}/events`);
      const page = await bff.call('GET', `/threads/${seeded}/events?after=1&limit=1`);
      const created = await bff.call('POST', `/runtimes/${ready}/threads`, {});
      const titled = await bff.call('POST', `/runtimes/${ready}/threads`, { title: 'Chosen' });
      const renamed = await bff.call('PATCH', `/threads/${seeded}`, { title: 'Renamed' });
      const thread = await bff.call('GET', `/threads/${seeded}`);
      return {
        config: {
          ...outcome(config),
          keys: keys(config.body),
          // What the client reads of each provider (whether it pauses when idle, too).
          providerKeys: keys((config.body as { providers: object[] }).providers[0]),
          signedIn: (config.body as { user: unknown }).user !== null,
        },
        'config, signed out': {
          ...outcome(await bff.anonymous('GET', '/config')),
          user: ((await bff.anonymous('GET', '/config')).body as { user: unknown }).user,
        },
        'runtimes, signed out': outcome(await bff.anonymous('GET', '/runtimes')),
        usage: await (async () => {
          const usage = await bff.call('GET', '/usage');
          const body = usage.body as { today: object; models: unknown[]; threads: unknown[] };
          return { ...outcome(usage), keys: keys(usage.body), today: keys(body.today), models: body.models };
        })(),
        'usage, signed out': outcome(await bff.anonymous('GET', '/usage')),
        runtimes: {
          ...outcome(runtimes),
          ids: namesOf(
            (runtimes.body as { runtimes: Runtime[] }).runtimes.map((r) => r.id),
            bff.names,
          ),
        },
        runtime: {
          ...outcome(runtimeAnswer),
          keys: keys(runtimeAnswer.body),
          runtimeStatus: (runtimeAnswer.body as Runtime).status,
        },
        'runtime that does not exist': outcome(await bff.call('GET', '/runtimes/rt_nonesuch')),
        'runtime id that is not an id': outcome(await bff.call('GET', '/runtimes/bad!id')),
        "a runtime's threads": (
          (await bff.call('GET', `/runtimes/${ready}/threads`)).body as { threads: Thread[] }
        ).threads
          .map((t) => t.title)
          .sort(),
        'threads of a runtime that does not exist': outcome(await bff.call('GET', '/runtimes/rt_nonesuch/threads')),
        'new thread': { ...outcome(created), keys: keys(created.body), title: (created.body as Thread).title },
        'new thread with a title': { ...outcome(titled), title: (titled.body as Thread).title },
        'new thread with an empty title': outcome(await bff.call('POST', `/runtimes/${ready}/threads`, { title: ' ' })),
        'new thread with an unknown field': outcome(
          await bff.call('POST', `/runtimes/${ready}/threads`, { color: 'red' }),
        ),
        'new thread on a runtime that does not exist': outcome(
          await bff.call('POST', '/runtimes/rt_nonesuch/threads', {}),
        ),
        events: {
          ...outcome(events),
          keys: keys(events.body),
          seqs: (events.body as { events: ThreadEvent[] }).events.map((e) => e.seq),
          kinds: (events.body as { events: ThreadEvent[] }).events.map((e) => e.kind),
          lastSeq: (events.body as { lastSeq: number }).lastSeq,
        },
        'events after 1, one at most': (page.body as { events: ThreadEvent[] }).events.map((e) => e.seq),
        'events after -1': outcome(await bff.call('GET', `/threads/${seeded}/events?after=-1`)),
        'events, limit 0': outcome(await bff.call('GET', `/threads/${seeded}/events?limit=0`)),
        'events, limit 5000': outcome(await bff.call('GET', `/threads/${seeded}/events?limit=5000`)),
        'events of a thread that does not exist': outcome(await bff.call('GET', '/threads/th_nonesuch/events')),
        rename: { ...outcome(renamed), title: (renamed.body as Thread).title, after: (thread.body as Thread).title },
        'rename to nothing': outcome(await bff.call('PATCH', `/threads/${seeded}`, { title: '' })),
        'rename without a title': outcome(await bff.call('PATCH', `/threads/${seeded}`, {})),
        'rename with an unknown field': outcome(
          await bff.call('PATCH', `/threads/${seeded}`, { title: 'x', pinned: true }),
        ),
        'rename a thread that does not exist': outcome(await bff.call('PATCH', '/threads/th_nonesuch', { title: 'x' })),
        archive: await (async () => {
          const archived = await bff.call('PATCH', `/threads/${seeded}`, { archived: true });
          const again = await bff.call('PATCH', `/threads/${seeded}`, { archived: true });
          const unarchived = await bff.call('PATCH', `/threads/${seeded}`, { archived: false });
          const at = (answer: Answer) => (answer.body as Thread).archivedAt;
          return {
            ...outcome(archived),
            keys: keys(archived.body),
            archived: typeof at(archived) === 'string',
            'archived again keeps when': at(again) === at(archived),
            unarchived: at(unarchived),
          };
        })(),
        'archive with a string': outcome(await bff.call('PATCH', `/threads/${seeded}`, { archived: 'yes' })),
        'archive a thread that does not exist': outcome(
          await bff.call('PATCH', '/threads/th_nonesuch', { archived: true }),
        ),
        'delete a thread': await (async () => {
          const doomed = (await bff.call('POST', `/runtimes/${ready}/threads`, { title: 'Doomed' })).body as Thread;
          const deleted = await bff.call('DELETE', `/threads/${doomed.id}`);
          const list = (await bff.call('GET', `/runtimes/${ready}/threads`)).body as { threads: Thread[] };
          return {
            ...outcome(deleted),
            'then get it': outcome(await bff.call('GET', `/threads/${doomed.id}`)),
            'then its events': outcome(await bff.call('GET', `/threads/${doomed.id}/events`)),
            'still listed': list.threads.some((t) => t.id === doomed.id),
            'delete it again': outcome(await bff.call('DELETE', `/threads/${doomed.id}`)),
          };
        })(),
        'delete a thread that does not exist': outcome(await bff.call('DELETE', '/threads/th_nonesuch')),
        'move a thread that does not exist': outcome(
          await bff.call('POST', '/threads/th_nonesuch/move', { runtimeId: ready }),
        ),
        'move to a runtime that does not exist': outcome(
          await bff.call('POST', `/threads/${seeded}/move`, { runtimeId: 'rt_nonesuch' }),
        ),
        'move with no runtime': outcome(await bff.call('POST', `/threads/${seeded}/move`, {})),
        'move with an unknown field': outcome(
          await bff.call('POST', `/threads/${seeded}/move`, { runtimeId: ready, keepFiles: true }),
        ),
        'move to its own runtime': outcome(await bff.call('POST', `/threads/${seeded}/move`, { runtimeId: stopped })),
        'move to a stopped runtime': outcome(
          await bff.call('POST', `/threads/${bff.names.fresh}/move`, { runtimeId: stopped }),
        ),
        'message to a stopped runtime': outcome(
          await bff.call('POST', `/threads/${seeded}/messages`, { clientId: aClientId(1), text: 'ls' }),
        ),
        'message with a short client id': outcome(
          await bff.call('POST', `/threads/${seeded}/messages`, { clientId: 'short', text: 'ls' }),
        ),
        'message with no text': outcome(
          await bff.call('POST', `/threads/${seeded}/messages`, { clientId: aClientId(2), text: '' }),
        ),
        'message with no client id': outcome(await bff.call('POST', `/threads/${seeded}/messages`, { text: 'ls' })),
        'message that is not JSON': outcome(await bff.call('POST', `/threads/${seeded}/messages`, '{"clientId":')),
        'message over the body limit': outcome(
          await bff.call('POST', `/threads/${seeded}/messages`, { clientId: aClientId(3), text: oversized }),
        ),
        'message to a thread that does not exist': outcome(
          await bff.call('POST', '/threads/th_nonesuch/messages', { clientId: aClientId(4), text: 'ls' }),
        ),
        'upload to a stopped runtime': outcome(
          await bff.call('POST', `/threads/${seeded}/uploads?name=a.png`, new Blob([new Uint8Array(4)])),
        ),
        'upload over the limit': outcome(
          await bff.call('POST', `/threads/${seeded}/uploads?name=a.png`, new Blob([new Uint8Array(11 * 1024 * 1024)])),
        ),
        'upload to a thread that does not exist': outcome(
          await bff.call('POST', '/threads/th_nonesuch/uploads?name=a.png', new Blob([new Uint8Array(4)])),
        ),
        'cancel on a stopped runtime': outcome(await bff.call('POST', `/threads/${seeded}/cancel`, {})),
        'cancel in a thread that does not exist': outcome(await bff.call('POST', '/threads/th_nonesuch/cancel', {})),
        'answer to a permission request that does not exist': outcome(
          await bff.call('POST', `/threads/${seeded}/permissions/perm-nonesuch`, { optionId: 'allow' }),
        ),
        'answer to a permission request with no option': outcome(
          await bff.call('POST', `/threads/${seeded}/permissions/perm-nonesuch`, {}),
        ),
        'answer to a permission request with an unknown field': outcome(
          await bff.call('POST', `/threads/${seeded}/permissions/perm-nonesuch`, { optionId: 'allow', always: true }),
        ),
        'answer to a permission request in a thread that does not exist': outcome(
          await bff.call('POST', '/threads/th_nonesuch/permissions/perm-1', { optionId: 'allow' }),
        ),
        'thread tokens: mint, list, revoke, revoke again, a bad id': await (async () => {
          const minted = await bff.call('POST', `/threads/${seeded}/agent-tokens`, {});
          const tokenId = (minted.body as { id: string }).id;
          const listed = await bff.call('GET', `/threads/${seeded}/agent-tokens`);
          const revoked = await bff.call('DELETE', `/threads/${seeded}/agent-tokens/${tokenId}`);
          const again = await bff.call('DELETE', `/threads/${seeded}/agent-tokens/${tokenId}`);
          const after = await bff.call('GET', `/threads/${seeded}/agent-tokens`);
          return {
            minted: { ...outcome(minted), keys: keys(minted.body) },
            listed: { ...outcome(listed), count: (listed.body as { tokens: unknown[] }).tokens.length },
            revoked: outcome(revoked),
            again: outcome(again),
            after: (after.body as { tokens: unknown[] }).tokens.length,
            'bad id': outcome(await bff.call('DELETE', `/threads/${seeded}/agent-tokens/not%20an%20id`)),
            'no thread': outcome(await bff.call('GET', '/threads/th_nonesuch/agent-tokens')),
          };
        })(),
        'runtime from an unknown provider': outcome(await bff.call('POST', '/runtimes', { provider: 'nonesuch' })),
        'runtime with no provider': outcome(await bff.call('POST', '/runtimes', {})),
        'runtime with an unknown field': outcome(
          await bff.call('POST', '/runtimes', { provider: 'process', size: 'xl' }),
        ),
        'rename a runtime': await (async () => {
          const renamed = await bff.call('PATCH', `/runtimes/${ready}`, { name: '  Build box  ' });
          const after = await bff.call('GET', `/runtimes/${ready}`);
          return { ...outcome(renamed), name: (renamed.body as Runtime).name, after: (after.body as Runtime).name };
        })(),
        'rename a runtime to nothing': outcome(await bff.call('PATCH', `/runtimes/${ready}`, { name: '   ' })),
        'rename a runtime to 61 characters': outcome(
          await bff.call('PATCH', `/runtimes/${ready}`, { name: 'x'.repeat(61) }),
        ),
        'rename a runtime with an unknown field': outcome(
          await bff.call('PATCH', `/runtimes/${ready}`, { name: 'x', color: 'red' }),
        ),
        'rename a runtime that does not exist': outcome(
          await bff.call('PATCH', '/runtimes/rt_nonesuch', { name: 'x' }),
        ),
        'start a ready runtime again': outcome(await bff.call('POST', `/runtimes/${ready}/start`)),
        'start a runtime that does not exist': outcome(await bff.call('POST', '/runtimes/rt_nonesuch/start')),
        'a route that does not exist': outcome(await bff.call('GET', '/nonesuch')),
        'delete a stopped runtime': outcome(await bff.call('DELETE', `/runtimes/${stopped}`)),
        'the deleted runtime': outcome(await bff.call('GET', `/runtimes/${stopped}`)),
        "the deleted runtime's threads": outcome(await bff.call('GET', `/runtimes/${stopped}/threads`)),
        "the deleted runtime's thread": outcome(await bff.call('GET', `/threads/${seeded}`)),
        'delete a runtime that does not exist': outcome(await bff.call('DELETE', '/runtimes/rt_nonesuch')),
      };
    });
    // Spot checks that the observations say something.
    expect(real).toMatchObject({
      'runtimes, signed out': { status: 401, code: 'unauthorized' },
      'message to a stopped runtime': { status: 503, code: 'runtime_unavailable' },
      'message over the body limit': { status: 413 },
      'answer to a permission request that does not exist': { status: 404, code: 'not_found' },
      'answer to a permission request with no option': { status: 400, code: 'bad_request' },
      'upload over the limit': { status: 413 },
      'delete a stopped runtime': { status: 204 },
      'thread tokens: mint, list, revoke, revoke again, a bad id': {
        listed: { status: 200, count: 1 },
        revoked: { status: 204 },
        again: { status: 404 },
        after: 0,
        'bad id': { status: 400 },
      },
      'rename a runtime': { status: 200, name: 'Build box', after: 'Build box' },
      'rename a runtime to 61 characters': { status: 400, code: 'bad_request' },
      'rename a runtime that does not exist': { status: 404, code: 'not_found' },
      'start a ready runtime again': { status: 409, code: 'conflict' },
      'archive with a string': { status: 400, code: 'bad_request' },
      'delete a thread': { status: 204, 'then get it': { status: 404 }, 'still listed': false },
      'delete a thread that does not exist': { status: 404, code: 'not_found' },
      'move to a runtime that does not exist': { status: 404, code: 'not_found' },
      'move to its own runtime': { status: 400, code: 'bad_request' },
      'move to a stopped runtime': { status: 503, code: 'runtime_unavailable' },
    });
  });

  it('on the stream: refusals, snapshots, replays, errors and pongs', async () => {
    const subjects = { real: await realBff({ live: false }), fake: fakeBff() };
    const real = await expectSameOn(subjects, async (bff) => {
      const { ready, fresh, seeded } = bff.names;
      const refused = await bff.stream(false);
      const stream = await bff.stream();
      const welcome = stream.frames.find((f) => f.type === 'welcome');
      const types = (frames: ServerFrame[]) => frames.map((f) => f.type);
      const seqs = (frames: ServerFrame[]) =>
        frames.map((f) =>
          f.type === 'event'
            ? f.event.seq
            : f.type === 'events'
              ? f.events.map((e) => e.seq)
              : f.type === 'caught-up'
                ? `caught up at ${f.seq}`
                : f.type,
        );
      const runtimes = await stream.subscribe('runtimes');
      const threads = await stream.subscribe(`threads:${ready}`);
      const observed = {
        'signed out': { opened: refused.opened, closeCode: refused.closeCode },
        welcome: {
          opened: stream.opened,
          keys: keys(welcome),
          signedIn: welcome?.type === 'welcome' && welcome.user !== null,
        },
        runtimes: runtimes.map((f) =>
          f.type === 'runtimes'
            ? namesOf(
                f.runtimes.map((r) => r.id),
                bff.names,
              )
            : f.type,
        ),
        threads: threads.map((f) =>
          f.type === 'threads'
            ? namesOf(
                f.threads.map((t) => t.id),
                bff.names,
              )
            : f.type,
        ),
        replay: seqs(await stream.subscribe(`thread:${seeded}`)),
        'replay after 2': seqs(await stream.subscribe(`thread:${seeded}`, 2)),
        'replay after the last': seqs(await stream.subscribe(`thread:${seeded}`, 3)),
        'empty thread': seqs(await stream.subscribe(`thread:${fresh}`)),
        'batched replay': seqs(await stream.subscribe(`thread:${seeded}`, 0, true)),
        'batched replay after 2': seqs(await stream.subscribe(`thread:${seeded}`, 2, true)),
        'batched replay after the last': seqs(await stream.subscribe(`thread:${seeded}`, 3, true)),
        'batched log (no batches there)': types(await stream.subscribe(`runtime-log:${bff.names.stopped}`, 0, true)),
        'empty log': types(await stream.subscribe(`runtime-log:${bff.names.stopped}`)),
        'thread that does not exist': await stream.subscribe('thread:th_nonesuch'),
        'thread list of a runtime that does not exist': await stream.subscribe('threads:rt_nonesuch'),
        'log of a runtime that does not exist': await stream.subscribe('runtime-log:rt_nonesuch'),
        'not JSON': outcomeOf(await stream.answerTo('{"type":')),
        'unknown frame': outcomeOf(await stream.answerTo({ type: 'shout' })),
        'unknown topic family': outcomeOf(await stream.answerTo({ type: 'subscribe', topic: 'users:all' })),
        ping: await stream.answerTo({ type: 'ping', id: 7 }),
      };
      // Live: a rename reaches the thread list.
      const before = stream.frames.length;
      await bff.call('PATCH', `/threads/${fresh}`, { title: 'Renamed live' });
      await stream.until(() => stream.frames.slice(before).some((f) => f.type === 'thread'), 'the renamed thread');
      const renamed = stream.frames.slice(before).find((f) => f.type === 'thread');
      // Live: a deleted thread leaves the thread list.
      const doomed = (await bff.call('POST', `/runtimes/${ready}/threads`, { title: 'Doomed' })).body as Thread;
      const beforeDelete = stream.frames.length;
      await bff.call('DELETE', `/threads/${doomed.id}`);
      const removedFrame = () => stream.frames.slice(beforeDelete).find((f) => f.type === 'thread-removed');
      await stream.until(() => removedFrame() !== undefined, 'the deleted thread');
      const removed = removedFrame();
      return {
        ...observed,
        'renamed, live': renamed?.type === 'thread' && { id: renamed.thread.id, title: renamed.thread.title },
        'deleted, live': removed?.type === 'thread-removed' && {
          topic: removed.topic === `threads:${ready}`,
          id: removed.id === doomed.id,
        },
      };
    });
    expect(real).toMatchObject({
      'signed out': { opened: false, closeCode: 1006 },
      'thread that does not exist': [{ type: 'error', code: 'not_found', topic: 'thread:<new th>' }],
      ping: { type: 'pong', id: 7 },
    });
  });

  it('on a ready runtime: messages, titles, uploads, cancel, new runtimes and deletes, live', {
    timeout: 90_000,
  }, async () => {
    const subjects = { real: await realBff({ live: true }), fake: fakeBff() };
    const longLine = `echo ${'a'.repeat(70)}`;
    const real = await expectSameOn(subjects, async (bff) => {
      const { ready, fresh } = bff.names;
      const stream = await bff.stream();
      await stream.subscribe('runtimes');
      await stream.subscribe(`threads:${ready}`);
      const events = await stream.subscribe(`thread:${fresh}`);
      const since = (start: number) => stream.frames.slice(start);
      const firstThreadFrame = async (start: number, id: string) => {
        // The frame the message caused (one from making the thread may arrive late, with lastSeq 0).
        const match = (f: ServerFrame) => f.type === 'thread' && f.thread.id === id && f.thread.lastSeq > 0;
        await stream.until(() => since(start).some(match), `a thread frame for ${id}`);
        const frame = since(start).find(match);
        return frame?.type === 'thread' ? { title: frame.thread.title, lastSeq: frame.thread.lastSeq } : null;
      };

      let start = stream.frames.length;
      const sent = await bff.call('POST', `/threads/${fresh}/messages`, {
        clientId: aClientId(10),
        text: `${longLine}\nsecond line`,
      });
      const again = await bff.call('POST', `/threads/${fresh}/messages`, {
        clientId: aClientId(10),
        text: `${longLine}\nsecond line`,
      });
      await stream.until(() => since(start).some((f) => f.type === 'event'), 'the message on the stream');
      const live = since(start).find((f) => f.type === 'event');
      const firstTitle = await firstThreadFrame(start, fresh);

      const titled = (await bff.call('POST', `/runtimes/${ready}/threads`, { title: 'Chosen' })).body as Thread;
      start = stream.frames.length;
      await bff.call('POST', `/threads/${titled.id}/messages`, {
        clientId: aClientId(11),
        text: 'echo keep the title',
      });
      const keptTitle = await firstThreadFrame(start, titled.id);

      const upload = await bff.call(
        'POST',
        `/threads/${fresh}/uploads?name=${encodeURIComponent('../x/a b.png')}`,
        new Blob([new Uint8Array([1, 2, 3, 4])], { type: 'image/png' }),
      );
      const cancel = await bff.call('POST', `/threads/${fresh}/cancel`, {});

      start = stream.frames.length;
      const created = await bff.call('POST', '/runtimes', { provider: 'process' });
      const newId = (created.body as Runtime).id;
      await stream.until(
        () => since(start).some((f) => f.type === 'runtime' && f.runtime.id === newId),
        'the new runtime on the stream',
      );

      // The seeded thread of the stopped runtime continues on the ready one.
      await stream.subscribe(`threads:${bff.names.stopped}`);
      start = stream.frames.length;
      const moved = await bff.call('POST', `/threads/${bff.names.seeded}/move`, { runtimeId: ready });
      const readyName = ((await bff.call('GET', `/runtimes/${ready}`)).body as Runtime).name;
      const movedFrames = () =>
        since(start).flatMap((f) =>
          f.type === 'thread-removed' && f.id === bff.names.seeded
            ? [`thread-removed ${f.topic}`]
            : f.type === 'thread' && f.thread.id === bff.names.seeded
              ? [`thread ${f.topic} on ${f.thread.runtimeId}`]
              : [],
        );
      await stream.until(() => new Set(movedFrames()).size === 2, 'the moved thread on both lists');
      const notice = (
        (await bff.call('GET', `/threads/${bff.names.seeded}/events?after=3`)).body as {
          events: ThreadEvent[];
        }
      ).events.map((e) => (e.kind === 'status' ? `${e.state}: ${e.message?.replace(readyName, '<name>')}` : e.kind));

      start = stream.frames.length;
      const deleted = await bff.call('DELETE', `/runtimes/${ready}`);
      await stream.until(() => since(start).some((f) => f.type === 'runtime-removed' && f.id === ready), 'the removal');
      const removal = since(start).flatMap((f) =>
        f.type === 'runtime' && f.runtime.id === ready
          ? [`runtime ${f.runtime.status}`]
          : f.type === 'runtime-removed' && f.id === ready
            ? ['runtime-removed']
            : [],
      );
      return {
        message: {
          ...outcome(sent),
          keys: keys(sent.body),
          created: (sent.body as { created: boolean }).created,
          event: pickEvent((sent.body as { event: ThreadEvent }).event),
        },
        'the same message again': {
          ...outcome(again),
          created: (again.body as { created: boolean }).created,
          seq: (again.body as { event: ThreadEvent }).event.seq,
        },
        'replay of the empty thread': events.map((f) => f.type),
        'the message, live': live?.type === 'event' ? pickEvent(live.event) : null,
        'the thread titled by its first message': firstTitle,
        'a titled thread after a message': keptTitle,
        upload: { ...outcome(upload), body: upload.body },
        cancel: { ...outcome(cancel), body: cancel.body },
        'new runtime': {
          ...outcome(created),
          keys: keys(created.body),
          runtimeStatus: (created.body as Runtime).status,
          // Generated, so only its shape compares: two words (and a number, on the fake).
          'named like calm-otter': /^[a-z]+-[a-z]+(-\d+)?$/.test((created.body as Runtime).name),
        },
        move: {
          ...outcome(moved),
          runtimeId: (moved.body as Thread).runtimeId,
          frames: [...new Set(movedFrames())].sort(),
          notice,
        },
        delete: { ...outcome(deleted), frames: removal },
      };
    });
    expect(real).toMatchObject({
      message: { status: 202, created: true },
      'the same message again': { status: 200, created: false },
      // The first line, cut to 59 characters and an ellipsis.
      'the thread titled by its first message': { title: `${longLine.slice(0, 59)}…` },
      cancel: { status: 202, body: { ok: true } },
      move: {
        status: 200,
        runtimeId: '<ready>',
        notice: ['idle: Continued on <name>; files of the previous workspace were not carried over.'],
      },
      'new runtime': { 'named like calm-otter': true },
    });
  });
});

function pickEvent(event: ThreadEvent) {
  return {
    kind: event.kind,
    seq: event.seq,
    ...(event.kind === 'message.user' && { text: event.text, agent: event.agent }),
  };
}

function outcomeOf(frame: ServerFrame) {
  return frame.type === 'error' ? { type: frame.type, code: frame.code } : { type: frame.type };
}
