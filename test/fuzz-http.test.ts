import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LIMITS, PROTOCOL_VERSION } from '@remote-chat/protocol';
import { openStore } from '@remote-chat/bff';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { signIn } from './support/bff.js';
import { spawnBff, type BffProcess } from './support/bff-process.js';
import { junk, mutate, random, type Random } from './support/fuzz-input.js';
import {
  OPCODE,
  ResponseReader,
  rawExchange,
  readWsFrames,
  upgradeHeaders,
  wsFrame,
  type ServerWsFrame,
} from './support/raw-http.js';
import { tempDir } from './support/temp-dir.js';

/**
 * Malformed HTTP requests, upgrades and frames against every endpoint of a BFF process, over raw
 * TCP: REST requests pipelined on keep-alive connections, `/api/stream` and `/api/link` upgrades
 * followed by frames, and static files. After each batch the server must still answer and no
 * stored event may have changed. `FUZZ_SEED` replays a run; `FUZZ_CASES` sets its length.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const CASES = Number(process.env.FUZZ_CASES ?? 100_000);
const MACHINE_TOKEN = 'rc_fuzz-machine-token-0123456789';
const ALLOWED = 'http://host.example';

/** The owner's scratch runtime and thread (the fuzzer may change these), and ones it must not touch. */
const IDS = {
  scratch: { runtime: 'rt_scratch', thread: 'th_scratch' },
  guarded: { runtime: 'rt_guard', thread: 'th_guard' },
  others: { runtime: 'rt_alice', thread: 'th_alice' },
} as const;

/** Ids that are no ids, or only look like one. */
const WEIRD_IDS = [
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '%FF%FE',
  '..',
  '%2e%2e',
  '%2F',
  '%C3%BC',
  '__proto__',
  'constructor',
  'rt_nonesuch',
  'th_nonesuch',
  'tok_nonesuch',
  '*',
  'a%20b',
  '%F0%9F%98%80',
  '%ED%A0%80',
];

/** Seeds a data directory: the owner with a scratch and a guarded runtime, another user, a machine token. */
async function seed(dataDir: string): Promise<void> {
  const store = await openStore({ dataDir });
  const owner = await store.ensureOwner('Owner');
  const alice = await store.ensureExternalUser('host:alice', 'Alice');
  for (const [user, ids] of [
    [owner.id, IDS.scratch],
    [owner.id, IDS.guarded],
    [alice.id, IDS.others],
  ] as const) {
    await store.createRuntime({
      id: ids.runtime,
      userId: user,
      name: ids.runtime,
      kind: 'sandbox',
      provider: 'process',
      repo: null,
      branch: null,
      agent: 'shell',
    });
    await store.createThread({ id: ids.thread, runtimeId: ids.runtime, userId: user, title: ids.thread, titled: true });
    for (const state of ['running', 'idle'] as const) await store.appendEvent(ids.thread, { kind: 'status', state });
    await store.appendEvent(ids.thread, {
      kind: 'tool.output',
      callId: 'c',
      stream: 'stdout',
      data: `hello from ${ids.thread}\n`,
    });
  }
  await store.createApiToken({
    id: 'tok_machine',
    userId: owner.id,
    name: 'fuzz machine',
    tokenHash: createHash('sha256').update(MACHINE_TOKEN).digest('hex'),
    expiresAt: null,
    scope: 'machine',
  });
  await store.close();
}

/** What no request may change: every stored event, and the rows of threads and runtimes not the fuzzer's. */
function snapshot(dataDir: string): unknown {
  const db = new Database(join(dataDir, 'remote-chat.db'), { readonly: true, fileMustExist: true });
  try {
    return {
      events: db.prepare('SELECT thread_id, seq, kind, body, client_id FROM events ORDER BY thread_id, seq').all(),
      threads: db
        .prepare('SELECT id, runtime_id, user_id, title, last_seq FROM threads WHERE id IN (?, ?) ORDER BY id')
        .all(IDS.guarded.thread, IDS.others.thread),
      runtimes: db
        .prepare('SELECT id, user_id, kind, name FROM runtimes WHERE id IN (?, ?) ORDER BY id')
        .all(IDS.guarded.runtime, IDS.others.runtime),
    };
  } finally {
    db.close();
  }
}

/** A small junk value as text. */
function junkText(r: Random): string {
  const value = junk(r, 0, { large: false });
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** Bytes of a header value, with anything a header cannot hold escaped. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 4000);
}

/** A path segment or query value from a junk value: escaped, so that the request line stays parseable. */
function urlSafe(text: string): string {
  const percent = (c: string) => [...Buffer.from(c)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  return text.replace(/[^A-Za-z0-9._~!$&'()*+,;=:@%/-]/gu, percent).slice(0, 1000);
}

type Mode = 'none' | 'bogus' | 'owner';

interface Route {
  method: string;
  path: (id: { runtime: string; thread: string; other: string }) => string;
  body?: Record<string, unknown>;
  /** Whether the owner's own cookie may send it: never what starts processes or ends the session. */
  owner?: false;
  /** The body is the file itself (uploads). */
  raw?: true;
}

const ROUTES: Route[] = [
  { method: 'GET', path: () => '/api/config' },
  { method: 'GET', path: () => '/api/runtimes' },
  { method: 'POST', path: () => '/api/runtimes', body: { provider: 'process' }, owner: false },
  { method: 'GET', path: (id) => `/api/runtimes/${id.runtime}` },
  { method: 'DELETE', path: (id) => `/api/runtimes/${id.runtime}`, owner: false },
  { method: 'GET', path: (id) => `/api/runtimes/${id.runtime}/log` },
  { method: 'GET', path: (id) => `/api/runtimes/${id.runtime}/threads` },
  { method: 'POST', path: (id) => `/api/runtimes/${id.runtime}/threads`, body: { title: 'fuzz' } },
  { method: 'GET', path: (id) => `/api/threads/${id.thread}` },
  { method: 'PATCH', path: (id) => `/api/threads/${id.thread}`, body: { title: 'renamed' } },
  { method: 'GET', path: (id) => `/api/threads/${id.thread}/events` },
  {
    method: 'POST',
    path: (id) => `/api/threads/${id.thread}/messages`,
    body: { clientId: 'fuzz-client-1', text: 'ls' },
  },
  { method: 'POST', path: (id) => `/api/threads/${id.thread}/uploads?name=a.txt`, raw: true },
  { method: 'POST', path: (id) => `/api/threads/${id.thread}/cancel` },
  { method: 'GET', path: (id) => `/api/threads/${id.thread}/agent-tokens` },
  { method: 'POST', path: (id) => `/api/threads/${id.thread}/agent-tokens`, body: { name: 'fuzz' } },
  { method: 'DELETE', path: (id) => `/api/threads/${id.thread}/agent-tokens/${id.other}` },
  { method: 'GET', path: () => '/api/tokens' },
  { method: 'POST', path: () => '/api/tokens', body: { name: 'fuzz' } },
  { method: 'DELETE', path: (id) => `/api/tokens/${id.other}` },
  { method: 'POST', path: () => '/api/client-tokens', body: { userId: 'bob', origin: ALLOWED } },
  { method: 'POST', path: () => '/api/machine-tokens', body: { userId: 'bob', name: 'm' } },
  { method: 'DELETE', path: (id) => `/api/machine-tokens/${id.other}` },
  { method: 'POST', path: () => '/api/stream-tickets', body: {} },
  { method: 'POST', path: (id) => `/api/threads/${id.thread}/permissions/perm-1`, body: { optionId: 'allow' } },
  { method: 'POST', path: (id) => `/api/threads/${id.thread}/push`, body: { branch: 'fuzz' }, owner: false },
  { method: 'GET', path: () => '/api/usage' },
  // GitHub is on, its API at a closed port: every call fails fast as github_unavailable.
  { method: 'GET', path: () => '/api/github/user' },
  { method: 'GET', path: () => '/api/github/repos?q=fuzz&page=2' },
  { method: 'GET', path: (id) => `/api/github/repos/${id.other}/${id.other}/branches` },
  { method: 'GET', path: (id) => `/api/github/repos/${id.other}/${id.other}/issues?q=bug` },
  { method: 'GET', path: () => `/api/github/oauth/start?origin=${encodeURIComponent(ALLOWED)}` },
  { method: 'GET', path: () => '/api/github/oauth/callback?state=fuzz&code=fuzz' },
  { method: 'GET', path: () => '/auth/signin?token=nonesuch' },
  { method: 'POST', path: () => '/auth/signout', owner: false },
  { method: 'OPTIONS', path: (id) => `/api/threads/${id.thread}` },
];

const STATIC = [
  '/',
  '/index.html',
  '/favicon.svg',
  '/remote-chat.js',
  '/remote-chat.js.map',
  '/remote-chat-runtime.js',
];

const ORIGINS = [
  ALLOWED,
  'https://evil.example',
  'null',
  'http://[',
  'http://x:99999',
  'http://%zz',
  'http://127.0.0.1:1',
  '',
  'file://',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  ';;;',
];
const ENCODINGS = ['gzip', 'deflate', 'br', 'identity', 'gzip, gzip', 'zstd', 'GZIP', ''];
const BOGUS_AUTH = [
  'Bearer rc_nonesuch',
  'Bearer rcc_a.b',
  'Bearer rcc_a.b.c',
  'Bearer rcc_',
  'Bearer',
  'Basic dXNlcjpwYXNz',
  `Bearer rc_${'x'.repeat(300)}`,
  `Bearer rcc_${'y'.repeat(2500)}`,
  'bearer  rc_x',
];
const BOGUS_COOKIES = [
  'rc_session=nonesuch',
  'rc_session=%',
  'rc_session',
  `rc_session=${'z'.repeat(300)}`,
  'a=b; rc_session=;',
];

/** Two megabytes of zeros, gzipped: a small body that inflates past the body limit. */
const GZIP_BOMB = gzipSync(Buffer.alloc(2_000_000));

/** A body: a mutation of the route's valid one, junk, bytes that are not UTF-8, deep nesting, or compressed. */
function body(r: Random, route: Route): { bytes: Buffer; encoding?: string } {
  const valid = route.body ?? {};
  switch (r.int(12)) {
    case 0:
      return { bytes: Buffer.from(JSON.stringify(valid)) };
    case 1:
      return { bytes: Buffer.from(JSON.stringify(junk(r, 0, { large: false }))) };
    case 2:
      return { bytes: Buffer.from([0x7b, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xff, 0xc3, 0x28, 0x22, 0x7d]) };
    case 3: {
      const depth = 1 + r.int(40_000);
      return {
        bytes: Buffer.from(
          r.next() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
        ),
      };
    }
    case 4:
      // JSON.stringify escapes a lone surrogate as \ud800: valid JSON, but no text.
      return {
        bytes: Buffer.from(
          JSON.stringify({ ...valid, [r.pick([...Object.keys(valid), 'x'])]: r.pick(['\ud800', 'a\udfff', '\ud83d']) }),
        ),
      };
    case 5:
      return { bytes: gzipSync(JSON.stringify(valid)), encoding: 'gzip' };
    case 6:
      return { bytes: GZIP_BOMB, encoding: 'gzip' };
    case 7:
      return { bytes: gzipSync(JSON.stringify(valid)).subarray(0, 10 + r.int(10)), encoding: r.pick(ENCODINGS) };
    case 8:
      return { bytes: Buffer.from(Array.from({ length: r.int(400) }, () => r.int(256))) };
    case 9:
      return r.next() < 0.1 ? { bytes: Buffer.alloc(300_000, 0x20) } : { bytes: Buffer.from('') };
    default:
      return { bytes: Buffer.from(mutate(r, valid, { large: false })) };
  }
}

/** One request on a keep-alive connection: its method and bytes. The request line and headers always parse. */
function httpRequest(r: Random, host: string, cookie: string, first: boolean): { method: string; bytes: Buffer } {
  const headers: string[] = [`Host: ${r.next() < 0.95 ? host : headerSafe(junkText(r))}`];
  let method: string;
  let target: string;
  let payload: { bytes: Buffer; encoding?: string } | undefined;
  if (r.next() < 0.1) {
    // Static files: mostly HEAD or a small range, so that big files do not swamp the run.
    method = r.pick(['HEAD', 'HEAD', 'GET', 'OPTIONS']);
    const path = r.pick(STATIC);
    target = r.pick([
      path,
      path.toUpperCase(),
      `${path}/`,
      `${path}%00`,
      `${path}?${urlSafe(junkText(r))}`,
      `/${urlSafe(junkText(r))}`,
      '/%',
      '/..%2f..%2fpackage.json',
      '/assets/%E0%A4%A',
    ]);
    if (method === 'GET')
      headers.push(`Range: ${r.pick(['bytes=0-99', 'bytes=-10', 'bytes=99999999-', 'bytes=x', 'bytes=0-0,1-1,2-2'])}`);
  } else {
    const route = r.pick(ROUTES);
    const mode: Mode =
      route.owner === false ? r.pick(['none', 'bogus'] as const) : r.pick(['none', 'bogus', 'owner'] as const);
    const own = mode === 'owner' ? IDS.scratch : r.pick([IDS.scratch, IDS.guarded, IDS.others]);
    const weird = () => (r.next() < 0.5 ? r.pick(WEIRD_IDS) : urlSafe(junkText(r)));
    const id = {
      runtime: r.next() < 0.6 ? own.runtime : weird(),
      thread: r.next() < 0.6 ? own.thread : weird(),
      // The owner never revokes the machine token the link cases use.
      other: mode !== 'owner' && r.next() < 0.5 ? 'tok_machine' : weird(),
    };
    method =
      r.next() < 0.9
        ? route.method
        : r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND', 'M-SEARCH']);
    // The owner's cookie never travels with a method other than the route's own: that could be
    // a DELETE of the scratch runtime or a sign-out.
    if (mode === 'owner') method = route.method;
    target = route.path(id);
    if (r.next() < 0.3) {
      const query = Array.from(
        { length: 1 + r.int(3) },
        () =>
          `${r.pick(['after', 'limit', 'name', 'ticket', 'token', '__proto__[x]', 'after[]'])}=${urlSafe(junkText(r))}`,
      ).join('&');
      target += `${target.includes('?') ? '&' : '?'}${query}`;
    }
    if (r.next() < 0.05)
      target = r.pick([
        `http://${host}${target}`,
        `//${target}`,
        target.replace('/api/', '/api//'),
        target.replace('/api/', '/API/'),
      ]);
    if (mode === 'owner') headers.push(`Cookie: ${cookie}`);
    if (mode === 'bogus') {
      if (r.next() < 0.5) headers.push(`Authorization: ${headerSafe(r.pick(BOGUS_AUTH))}`);
      else headers.push(`Cookie: ${r.pick(BOGUS_COOKIES)}`);
    }
    if (r.next() < 0.3) headers.push(`Origin: ${r.pick([...ORIGINS, `http://${host}`])}`);
    if (method !== 'GET' && method !== 'HEAD' && r.next() < 0.85) payload = body(r, route);
  }
  if (r.next() < 0.2) headers.push(`X-Forwarded-For: ${headerSafe(junkText(r))}`);
  // Only on a connection's first request: Node writes a pipelined request's `100 Continue` into
  // the middle of the answer before it.
  if (first && r.next() < 0.3) headers.push('Expect: 100-continue');
  if (r.next() < 0.05) headers.push(`Accept-Encoding: ${r.pick(ENCODINGS)}`);
  if (payload) {
    headers.push(`Content-Type: ${r.pick(CONTENT_TYPES)}`);
    const encoding =
      payload.encoding && r.next() < 0.9 ? payload.encoding : r.next() < 0.1 ? r.pick(ENCODINGS) : undefined;
    if (encoding) headers.push(`Content-Encoding: ${encoding}`);
    if (r.next() < 0.1) {
      headers.push('Transfer-Encoding: chunked');
      const chunks =
        payload.bytes.length === 0
          ? []
          : [payload.bytes.subarray(0, payload.bytes.length >> 1), payload.bytes.subarray(payload.bytes.length >> 1)];
      const parts = chunks
        .filter((c) => c.length > 0)
        .flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]);
      return {
        method,
        bytes: Buffer.concat([
          Buffer.from(`${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`),
          ...parts,
          Buffer.from('0\r\n\r\n'),
        ]),
      };
    }
    headers.push(`Content-Length: ${payload.bytes.length}`);
  }
  return {
    method,
    bytes: Buffer.concat([
      Buffer.from(`${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`),
      payload?.bytes ?? Buffer.alloc(0),
    ]),
  };
}

/** Requests that break HTTP itself: the server answers 4xx or closes. Always the last on their connection. */
function brokenRequest(r: Random, host: string): Buffer {
  const h = `Host: ${host}\r\n`;
  return Buffer.from(
    r.pick([
      `GET / HTTP/1.1\r\n${h}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /api/tokens HTTP/1.1\r\n${h}Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      `POST /api/tokens HTTP/1.1\r\n${h}Content-Length: 50\r\nContent-Type: application/json\r\n\r\n{"name":`,
      `POST /api/tokens HTTP/1.1\r\n${h}Content-Length: -1\r\n\r\n`,
      `POST /api/tokens HTTP/1.1\r\n${h}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
      `GET /api/config HTTP/1.1\r\n${h}X-Bad Header: 1\r\n\r\n`,
      `GET /api/config HTTP/1.1\r\n${h}NoColon\r\n\r\n`,
      `GET /api/config HTTP/1.1\r\n${h}X-Fold: a\r\n b\r\n\r\n`,
      `GET /api/config HTTP/1.1\r\n${h}X-Nul: a\u0000b\r\n\r\n`,
      `GET /api/config HTTP/1.1\r\n${h}X-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      `GET /${'u'.repeat(100_000)} HTTP/1.1\r\n${h}\r\n`,
      `GET /api/config HTTP/1.1\n${h.replace('\r\n', '\n')}\n`,
      'GET /api/config\r\n\r\n',
      `GET /api/config HTTP/9.9\r\n${h}\r\n`,
      `GET http://[/api/config HTTP/1.1\r\n${h}\r\n`,
      `GET //[/api/config HTTP/1.1\r\n${h}\r\n`,
      `GET /api/con fig HTTP/1.1\r\n${h}\r\n`,
      `G\u00e9T /api/config HTTP/1.1\r\n${h}\r\n`,
      `get /api/config HTTP/1.1\r\n${h}\r\n`,
      `CONNECT ${host} HTTP/1.1\r\n${h}\r\n`,
      'GET /api/config HTTP/1.1\r\n\r\n',
      '\r\n\r\n\r\n',
      String.fromCharCode(...Array.from({ length: 1 + r.int(200) }, () => r.int(256))),
    ]),
    'latin1',
  );
}

/** What went wrong, with what to replay. */
class FuzzFailure extends Error {}

function failure(what: string, request: Buffer | string): FuzzFailure {
  const text = (typeof request === 'string' ? request : request.toString('latin1')).slice(0, 600);
  return new FuzzFailure(`${what} (FUZZ_SEED=${SEED}); request: ${JSON.stringify(text)}`);
}

/** One keep-alive connection with pipelined requests, perhaps ending with a broken one; returns the cases answered. */
async function httpConnection(r: Random, bff: BffProcess, cookie: string): Promise<number> {
  const host = new URL(bff.url).host;
  const requests = Array.from({ length: 20 + r.int(60) }, (_, i) => httpRequest(r, host, cookie, i === 0));
  const broken = r.next() < 0.3 ? brokenRequest(r, host) : undefined;
  const reader = new ResponseReader(requests.map((q) => q.method));
  const bytes = Buffer.concat([...requests.map((q) => q.bytes), broken ?? Buffer.alloc(0)]);
  // Node's server drops pipelined requests it has not answered when the client half-closes: the
  // write side closes only once every well-formed request is answered (which ends a broken tail).
  const { socket, closed } = rawExchange(
    bff.url,
    bytes,
    (chunk) => {
      reader.push(chunk);
      if (reader.responses.length >= requests.length) socket.end();
    },
    { keepOpen: true },
  );
  await closed.catch((error: Error) => {
    throw failure(
      `${error.message} after ${reader.responses.length} answers`,
      requests[reader.responses.length]?.bytes ?? broken ?? '',
    );
  });
  reader.end();
  for (const [i, response] of reader.responses.entries()) {
    if (response.status >= 500 && response.status !== 503) {
      throw failure(
        `answered ${response.status} ${response.body.toString().slice(0, 200)}`,
        requests[i]?.bytes ?? broken ?? '',
      );
    }
  }
  return Math.min(reader.responses.length, requests.length) + (broken ? 1 : 0);
}

const VALID_STREAM_FRAMES: Array<Record<string, unknown>> = [
  { type: 'subscribe', topic: `thread:${IDS.scratch.thread}`, after: 0 },
  { type: 'subscribe', topic: `thread:${IDS.others.thread}`, after: 0 },
  { type: 'subscribe', topic: `runtime-log:${IDS.guarded.runtime}` },
  { type: 'subscribe', topic: `threads:${IDS.scratch.runtime}` },
  { type: 'subscribe', topic: 'runtimes' },
  { type: 'unsubscribe', topic: `thread:${IDS.scratch.thread}` },
  { type: 'ping', id: 1 },
];

/** A frame that breaks the WebSocket protocol itself: the server closes. */
function brokenWsFrame(r: Random): Buffer {
  const text = Buffer.from('{"type":"ping"}');
  return r.pick([
    wsFrame(OPCODE.text, text, { masked: false }),
    wsFrame(OPCODE.text, text, { rsv: 1 + r.int(7) }),
    wsFrame(3 + r.int(5), text),
    wsFrame(OPCODE.text, text, { declaredLength: 2 ** 40 }),
    wsFrame(OPCODE.ping, Buffer.alloc(200)),
    wsFrame(OPCODE.ping, text, { fin: false }),
    wsFrame(OPCODE.continuation, text),
    wsFrame(OPCODE.text, Buffer.from([0xff, 0xfe, 0xc3, 0x28])),
    Buffer.concat([wsFrame(OPCODE.text, text, { fin: false }), wsFrame(OPCODE.text, text)]),
    wsFrame(OPCODE.close, Buffer.from([0x03, 0xe7])),
    wsFrame(OPCODE.close, Buffer.from([0x03])),
    // Just over what either endpoint reads in one frame (a link's gateway frames are the largest).
    wsFrame(OPCODE.text, text, { declaredLength: Math.max(LIMITS.maxLinkFrameBytes, LIMITS.maxGatewayFrameBytes) + 1 }),
  ]);
}

/** Close codes a connection may end with; 1011 (an internal error) is not among them. */
const ACCEPTABLE_CLOSES = new Set([
  1000, 1001, 1002, 1003, 1005, 1007, 1008, 1009, 4400, 4401, 4403, 4406, 4409, 4429, 4430,
]);

function closeCodeOf(frames: ServerWsFrame[]): number | undefined {
  const close = frames.find((f) => f.opcode === OPCODE.close);
  if (!close) return undefined;
  return close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005;
}

/**
 * One WebSocket connection to `/api/stream` or `/api/link`: an upgrade (perhaps malformed), then
 * frames ending with a sentinel the server answers once it has handled all before it, perhaps a
 * protocol-breaking frame after that. Returns the cases handled.
 */
async function wsConnection(r: Random, bff: BffProcess, cookie: string, endpoint: 'stream' | 'link'): Promise<number> {
  const host = new URL(bff.url).host;
  const path = endpoint === 'stream' ? '/api/stream' : '/api/link';
  let request: string;
  if (r.next() < 0.75) {
    const credential = endpoint === 'stream' ? `Cookie: ${cookie}\r\n` : '';
    const origin = endpoint === 'stream' && r.next() < 0.3 ? `Origin: http://${host}\r\n` : '';
    request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${upgradeHeaders()}${credential}${origin}\r\n`;
  } else {
    const target = r.pick([
      path,
      `${path}/`,
      path.toUpperCase(),
      `${path}?ticket=${urlSafe(junkText(r))}`,
      `//[${path}`,
      `http://[${path}`,
      `${path}%00`,
      `/api/${urlSafe(junkText(r))}`,
    ]);
    const extra = r.pick([
      'Origin: https://evil.example\r\n',
      'Origin: http://[\r\n',
      `Cookie: ${r.pick(BOGUS_COOKIES)}\r\n`,
      'Sec-WebSocket-Version: 8\r\n',
      'Sec-WebSocket-Protocol: x, , y\r\n',
      'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=99\r\n',
      '',
    ]);
    const upgrade =
      r.next() < 0.2
        ? upgradeHeaders().replace(/Sec-WebSocket-Key: .*\r\n/, 'Sec-WebSocket-Key: short\r\n')
        : upgradeHeaders();
    request = `${r.pick(['GET', 'GET', 'POST', 'HEAD'])} ${target} HTTP/1.1\r\nHost: ${host}\r\n${upgrade}${extra}\r\n`;
  }

  /** What goes first after the upgrade; the frames follow once it is answered (a link's hello). */
  let opening: Buffer | undefined;
  const frames: Buffer[] = [];
  let sentinel: (f: Record<string, unknown>) => boolean;
  if (endpoint === 'stream') {
    for (let i = 5 + r.int(40); i > 0; i--) {
      const valid = r.pick(VALID_STREAM_FRAMES);
      const roll = r.next();
      if (roll < 0.15) frames.push(wsFrame(OPCODE.text, Buffer.from(JSON.stringify(valid))));
      else if (roll < 0.2) frames.push(wsFrame(r.pick([OPCODE.ping, OPCODE.pong, OPCODE.binary]), Buffer.from('x')));
      else frames.push(wsFrame(OPCODE.text, Buffer.from(mutate(r, valid, { large: false }))));
    }
    frames.push(wsFrame(OPCODE.text, Buffer.from(JSON.stringify({ type: 'subscribe', topic: 'thread:th_sentinel' }))));
    sentinel = (f) => f.type === 'error' && f.topic === 'thread:th_sentinel';
  } else {
    const hello = {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      runtimeId: 'rt_fuzzlink',
      token: MACHINE_TOKEN,
      lastReceived: 0,
    };
    const roll = r.next();
    // A dialler waits for `welcome` before it sends anything else.
    opening = wsFrame(
      OPCODE.text,
      Buffer.from(
        roll < 0.4
          ? JSON.stringify(hello)
          : roll < 0.5
            ? JSON.stringify({ ...hello, token: 'rc_wrong' })
            : mutate(r, hello, { large: false }),
      ),
    );
    const dataFrames: Array<Record<string, unknown>> = [
      {
        type: 'data',
        seq: 1,
        message: { type: 'thread.event', threadId: IDS.guarded.thread, event: { kind: 'status', state: 'idle' } },
      },
      {
        type: 'data',
        seq: 1,
        message: {
          type: 'thread.event',
          threadId: IDS.others.thread,
          event: { kind: 'message.user', clientId: 'forged-123', text: 'x', agent: 'shell' },
        },
      },
      { type: 'ack', upTo: 1 },
      { type: 'ping', t: 1 },
      { type: 'hello', protocol: PROTOCOL_VERSION, runtimeId: 'rt_fuzzlink', token: MACHINE_TOKEN, lastReceived: 0 },
    ];
    for (let i = r.int(15); i > 0; i--)
      frames.push(wsFrame(OPCODE.text, Buffer.from(mutate(r, r.pick(dataFrames), { large: false }))));
    frames.push(wsFrame(OPCODE.text, Buffer.from(JSON.stringify({ type: 'ping', t: 424242 }))));
    sentinel = (f) => f.type === 'pong' && f.t === 424242;
  }
  const broken = r.next() < 0.3 ? brokenWsFrame(r) : undefined;

  const reader = new ResponseReader(['GET']);
  let serverFrames: ServerWsFrame[] = [];
  let rest = Buffer.alloc(0);
  let answered = false;
  let problem: FuzzFailure | undefined;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const { socket, closed } = rawExchange(
    bff.url,
    Buffer.from(request, 'latin1'),
    (chunk) => {
      const upgrading = reader.responses.length === 0;
      reader.push(chunk);
      if (upgrading && reader.responses.length > 0) {
        // Frames go once the upgrade is answered; until then they would be a body of the request.
        if (reader.responses[0]!.status !== 101) return void socket.end();
        socket.write(opening ?? Buffer.concat([...frames, broken ?? Buffer.alloc(0)]));
      }
      if (!reader.upgraded) return;
      const read = readWsFrames(Buffer.concat([rest, reader.upgraded]));
      reader.upgraded = Buffer.alloc(0);
      rest = Buffer.from(read.rest);
      serverFrames = [...serverFrames, ...read.frames];
      // The server closed: its close code is all there is to wait for (no closing handshake back).
      if (read.frames.some((f) => f.opcode === OPCODE.close)) done();
      for (const frame of read.frames) {
        if (frame.opcode !== OPCODE.text) continue;
        const json = JSON.parse(frame.payload.toString()) as Record<string, unknown>;
        if (json.code === 'internal')
          problem ??= failure(
            `the stream answered an internal error: ${frame.payload.toString().slice(0, 200)}`,
            request,
          );
        if (sentinel(json)) answered = true;
        if (json.type === 'welcome' && opening) socket.write(Buffer.concat([...frames, broken ?? Buffer.alloc(0)]));
      }
      if ((answered && !broken) || problem) done();
    },
    { keepOpen: true },
  );
  const stalled = (error: Error) => {
    throw failure(`${error.message}; upgrade answered ${reader.responses[0]?.status}, sentinel ${answered}`, request);
  };
  await Promise.race([closed, finished]).catch(stalled);
  socket.destroy();
  await closed.catch(stalled);
  reader.end();
  if (problem) throw problem;
  const status = reader.responses[0]?.status;
  if (status !== undefined && status >= 500) throw failure(`answered the upgrade with ${status}`, request);
  const code = closeCodeOf(serverFrames);
  if (code !== undefined && !ACCEPTABLE_CLOSES.has(code)) throw failure(`closed with ${code}`, request);
  if (status !== 101) return 1;
  // The upgrade, and every frame before the sentinel once it is answered (they are handled in
  // order); otherwise only as many frames as got an answer.
  const answers = serverFrames.filter((f) => f.opcode === OPCODE.text).length;
  const sent = frames.length + (opening ? 1 : 0);
  return 1 + (answered ? sent + (broken ? 1 : 0) : Math.min(answers, sent));
}

/** Runs `tasks` with at most `width` at a time; the first failure rejects. */
async function pool(width: number, tasks: Array<() => Promise<void>>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

describe('HTTP and WebSocket fuzzing', () => {
  it(`answers ${CASES} malformed requests, upgrades and frames without a 5xx, and changes no stored event`, {
    timeout: 600_000,
  }, async () => {
    const dataDir = tempDir('rc-fuzz-');
    await seed(dataDir);
    const bff = await spawnBff(['--data-dir', dataDir, '--allowed-origins', ALLOWED, '--log-level', 'warn'], {
      REMOTE_CHAT_GITHUB_CLIENT_ID: 'fuzz-client',
      REMOTE_CHAT_GITHUB_CLIENT_SECRET: 'fuzz-secret',
      REMOTE_CHAT_GITHUB_URL: 'http://127.0.0.1:1',
      REMOTE_CHAT_GITHUB_API_URL: 'http://127.0.0.1:1',
    });
    const cookie = await signIn(bff.signinLink);
    const r = random(SEED);
    // Once the BFF has settled (re-attaching the seeded runtimes), nothing a request does may change these.
    await expect
      .poll(async () => (await fetch(`${bff.url}/api/runtimes/${IDS.guarded.runtime}`, { headers: { cookie } })).status)
      .toBe(200);
    const before = snapshot(dataDir);
    const started = performance.now();
    let cases = 0;
    let batches = 0;
    const counts = { http: 0, stream: 0, link: 0 };
    while (cases < CASES) {
      const tasks: Array<() => Promise<void>> = [];
      for (let i = 0; i < 24; i++)
        tasks.push(async () => {
          const answered = await httpConnection(r, bff, cookie);
          counts.http += answered;
        });
      for (let i = 0; i < 12; i++)
        tasks.push(async () => {
          const answered = await wsConnection(r, bff, cookie, 'stream');
          counts.stream += answered;
        });
      for (let i = 0; i < 12; i++)
        tasks.push(async () => {
          const answered = await wsConnection(r, bff, cookie, 'link');
          counts.link += answered;
        });
      await pool(8, tasks);
      cases = counts.http + counts.stream + counts.link;
      batches++;
      // After each batch: the process runs, answers, and every stored event is as it was.
      expect(bff.child.exitCode, bff.output().slice(-3000)).toBeNull();
      expect((await fetch(`${bff.url}/api/config`)).status).toBe(200);
      expect(snapshot(dataDir)).toEqual(before);
    }
    const seconds = (performance.now() - started) / 1000;
    console.info(
      `[measure] fuzz: ${cases} cases in ${batches} batches, ${seconds.toFixed(1)} s (${Math.round(cases / seconds)}/s): ` +
        `${counts.http} HTTP requests, ${counts.stream} stream, ${counts.link} link (FUZZ_SEED=${SEED})`,
    );
    expect(cases).toBeGreaterThanOrEqual(CASES);
    expect(bff.output()).not.toMatch(/"level":50/);
  });
});
