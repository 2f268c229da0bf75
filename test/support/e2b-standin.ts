import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { readBody, readJson, StandinSandbox, sendJson } from './standin-sandbox.js';

/**
 * A local stand-in for E2B, for tests that drive the real `e2b` SDK (2.x) against it.
 *
 * One loopback HTTP server speaks both halves of E2B's API:
 * - the control API (header `X-API-KEY`): `POST /v2/sandboxes`, `GET /sandboxes/{id}`,
 *   `GET /v2/sandboxes`, `POST /sandboxes/{id}/timeout`, `POST /sandboxes/{id}/pause`,
 *   `POST /v2/sandboxes/{id}/connect` (resumes a paused sandbox), `DELETE /sandboxes/{id}`;
 * - each sandbox's envd (requests carrying `E2b-Sandbox-Id` and `E2b-Sandbox-Port: 49983`, the
 *   SDK's own headers, and `X-Access-Token`): `GET /health`, `GET|POST /files`, and the Connect
 *   RPC `process.Process` service in JSON (`Start` and `Connect` stream `start`, `data`, `end`
 *   events; `List`, `SendSignal`, `SendInput`, `CloseStdin`).
 *
 * Any other sandbox port is proxied (HTTP and WebSocket) to the process listening on it inside
 * the sandbox, addressed as E2B does it: by host name, `{port}-{sandboxId}.{domain}` (what
 * `sandbox.getHost(port)` returns; the domain here is `localhost:{port of the stand-in}`, so
 * import `./localhost-subdomains.mjs` in a Node process that should resolve such names), or by
 * the `E2b-Sandbox-Id` / `E2b-Sandbox-Port` headers on the stand-in's own address. The stand-in
 * serves plain HTTP, so such URLs are `http://` and `ws://` where E2B's are `https://` and `wss://`.
 *
 * Sandboxes are {@link StandinSandbox}es (home `/home/user`). Pause keeps files and processes
 * (SIGSTOP; resume sends SIGCONT), as E2B's memory snapshots do. What it does not do: templates
 * are names only (every sandbox is this machine's own root, read-only), no PTY, no filesystem RPC
 * (`files.list`, `watchDir`…), no metrics, no snapshots, forks or volumes.
 */
export async function startE2bStandin(options: E2bStandinOptions = {}): Promise<E2bStandin> {
  const apiKey = options.apiKey ?? 'e2b_standin_key';
  const templates = new Set(options.templates ?? ['base']);
  const root = mkdtempSync(join(tmpdir(), 'e2b-standin-'));
  const sandboxes = new Map<string, E2bSandboxRecord>();
  let domain = '';

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, String((error as Error).message));
      else response.destroy();
    });
  });

  server.on('upgrade', (request, socket, head) => {
    const target = routeToSandbox(request);
    const record = target && sandboxes.get(target.sandboxId);
    if (!target || !record || record.sandbox.state !== 'running' || target.port === ENVD_PORT) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    void record.sandbox.proxyUpgrade(request, socket, head, target.port);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = routeToSandbox(request);
    if (target) {
      const record = sandboxes.get(target.sandboxId);
      // E2B answers 502 for a sandbox that is not running; the SDK reads it as "not running".
      if (record?.sandbox.state !== 'running') {
        sendError(response, 502, `The sandbox ${target.sandboxId} was not found or is not running`);
        return;
      }
      if (target.port === ENVD_PORT) await handleEnvd(record, request, response);
      else await record.sandbox.proxyRequest(request, response, target.port);
      return;
    }
    await handleControl(request, response);
  }

  /** Which sandbox port a request is for: by host name, else by the SDK's headers, else none. */
  function routeToSandbox(request: IncomingMessage): { sandboxId: string; port: number } | undefined {
    const host = /^(\d+)-([a-z0-9]+)\./.exec(request.headers.host ?? '');
    if (host) return { port: Number(host[1]), sandboxId: String(host[2]) };
    const sandboxId = request.headers['e2b-sandbox-id'];
    const port = Number(request.headers['e2b-sandbox-port'] ?? ENVD_PORT);
    if (typeof sandboxId === 'string' && Number.isInteger(port)) return { sandboxId, port };
    return undefined;
  }

  async function handleControl(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.headers['x-api-key'] !== apiKey) {
      sendError(response, 401, 'Invalid API key, please visit https://e2b.dev/docs/api-key');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://standin');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const byId = /^\/(?:v2\/)?sandboxes\/([^/]+)(\/[a-z]+)?$/.exec(path);
    const record = byId ? sandboxes.get(String(byId[1])) : undefined;
    const action = byId?.[2] ?? '';

    if (method === 'POST' && path === '/v2/sandboxes') {
      const body = NewSandboxSchema.safeParse(await readJson(request));
      if (!body.success) return sendError(response, 400, body.error.message);
      if (!templates.has(body.data.templateID)) {
        return sendError(response, 404, `template '${body.data.templateID}' not found`);
      }
      if (options.maxSandboxes !== undefined && sandboxes.size >= options.maxSandboxes) {
        return sendError(
          response,
          429,
          `You have reached the maximum number of concurrent E2B sandboxes (${options.maxSandboxes}).`,
        );
      }
      const sandboxId = randomBytes(10).toString('hex');
      const dir = join(root, sandboxId);
      mkdirSync(dir);
      const sandbox = await StandinSandbox.start(dir, '/home/user');
      const created: E2bSandboxRecord = {
        sandboxId,
        templateId: body.data.templateID,
        metadata: body.data.metadata ?? {},
        envs: body.data.envVars ?? {},
        startedAt: new Date(),
        endAt: new Date(),
        envdAccessToken: randomBytes(16).toString('hex'),
        autoPause: body.data.autoPause ?? false,
        sandbox,
        timer: undefined,
      };
      sandboxes.set(sandboxId, created);
      setTimeoutOf(created, body.data.timeout ?? 300);
      return sendJson(response, 201, sandboxResponse(created));
    }
    if (method === 'GET' && path === '/v2/sandboxes') {
      const states = url.searchParams.get('state')?.split(',') ?? ['running', 'paused'];
      const listed = [...sandboxes.values()].filter((each) => states.includes(each.sandbox.state));
      return sendJson(response, 200, listed.map(sandboxDetail));
    }
    if (!byId) return sendError(response, 404, `no route ${method} ${path}`);
    if (!record) return sendError(response, 404, `sandbox "${byId[1]}" not found`);

    if (method === 'GET' && action === '') return sendJson(response, 200, sandboxDetail(record));
    if (method === 'DELETE' && action === '') {
      destroy(record);
      response.writeHead(204).end();
      return;
    }
    if (method === 'POST' && action === '/timeout') {
      const body = TimeoutSchema.safeParse(await readJson(request));
      if (!body.success) return sendError(response, 400, body.error.message);
      setTimeoutOf(record, body.data.timeout);
      response.writeHead(204).end();
      return;
    }
    if (method === 'POST' && action === '/pause') {
      if (record.sandbox.state === 'paused')
        return sendError(response, 409, `sandbox "${record.sandboxId}" is already paused`);
      pause(record);
      response.writeHead(204).end();
      return;
    }
    if (method === 'POST' && action === '/connect') {
      const body = ConnectSchema.safeParse(await readJson(request));
      if (!body.success) return sendError(response, 400, body.error.message);
      const wasPaused = record.sandbox.state === 'paused';
      if (wasPaused) record.sandbox.resume();
      setTimeoutOf(record, body.data.timeout ?? 300);
      return sendJson(response, wasPaused ? 201 : 200, sandboxResponse(record));
    }
    sendError(response, 404, `no route ${method} ${path}`);
  }

  /** Pauses when the sandbox was created with `onTimeout: 'pause'`, else kills it (E2B's `endAt`). */
  function setTimeoutOf(record: E2bSandboxRecord, seconds: number): void {
    clearTimeout(record.timer);
    record.endAt = new Date(Date.now() + seconds * 1000);
    record.timer = setTimeout(() => (record.autoPause ? pause(record) : destroy(record)), seconds * 1000);
    record.timer.unref();
  }

  function pause(record: E2bSandboxRecord): void {
    clearTimeout(record.timer);
    record.sandbox.pause();
  }

  function destroy(record: E2bSandboxRecord): void {
    clearTimeout(record.timer);
    sandboxes.delete(record.sandboxId);
    record.sandbox.destroy();
  }

  function sandboxResponse(record: E2bSandboxRecord) {
    return {
      sandboxID: record.sandboxId,
      templateID: record.templateId,
      clientID: 'standin',
      envdVersion: ENVD_VERSION,
      envdAccessToken: record.envdAccessToken,
      domain,
    };
  }

  function sandboxDetail(record: E2bSandboxRecord) {
    return {
      ...sandboxResponse(record),
      metadata: record.metadata,
      startedAt: record.startedAt.toISOString(),
      endAt: record.endAt.toISOString(),
      state: record.sandbox.state,
      cpuCount: 2,
      memoryMB: 512,
      diskSizeMB: 1024,
    };
  }

  async function handleEnvd(
    record: E2bSandboxRecord,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    if (request.headers['x-access-token'] !== record.envdAccessToken) {
      return sendError(response, 401, 'invalid access token');
    }
    const url = new URL(request.url ?? '/', 'http://standin');
    if (url.pathname === '/health') {
      response.writeHead(204).end();
      return;
    }
    if (url.pathname === '/files') return handleFiles(record, url, request, response);
    if (url.pathname.startsWith('/process.Process/')) {
      return handleProcessRpc(record, url.pathname.slice('/process.Process/'.length), request, response);
    }
    sendError(response, 404, `no route ${request.method} ${url.pathname}`);
  }

  async function handleFiles(
    record: E2bSandboxRecord,
    url: URL,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const { sandbox } = record;
    if (request.method === 'GET') {
      const hostPath = sandbox.hostPath(url.searchParams.get('path') ?? '');
      if (!hostPath) return sendError(response, 400, 'path outside the home folder and /tmp');
      let data: Buffer;
      try {
        data = readFileSync(hostPath);
      } catch {
        return sendError(response, 404, `path '${url.searchParams.get('path')}' does not exist`);
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length }).end(data);
      return;
    }
    if (request.method !== 'POST') return sendError(response, 405, 'method not allowed');
    const body = await readBody(request, MAX_FILE_BYTES);
    if (!body) return sendError(response, 413, `a file is at most ${MAX_FILE_BYTES} bytes`);
    const files: { path: string; data: Buffer }[] = [];
    const contentType = String(request.headers['content-type'] ?? '');
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Request('http://standin/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: new Uint8Array(body),
      }).formData();
      for (const entry of form.getAll('file')) {
        if (typeof entry === 'string') continue;
        files.push({ path: url.searchParams.get('path') ?? entry.name, data: Buffer.from(await entry.arrayBuffer()) });
      }
    } else {
      files.push({ path: url.searchParams.get('path') ?? '', data: body });
    }
    const written = [];
    for (const file of files) {
      const hostPath = sandbox.hostPath(file.path);
      if (!hostPath) return sendError(response, 400, `path '${file.path}' is outside the home folder and /tmp`);
      mkdirSync(dirname(hostPath), { recursive: true });
      writeFileSync(hostPath, file.data);
      written.push({ name: basename(hostPath), type: statSync(hostPath).isFile() ? 'file' : 'dir', path: file.path });
    }
    sendJson(response, 200, written);
  }

  async function handleProcessRpc(
    record: E2bSandboxRecord,
    method: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const { sandbox } = record;
    if (method === 'Start' || method === 'Connect') {
      const message = decodeEnvelope(await readBody(request, MAX_RPC_BYTES));
      let command: ReturnType<StandinSandbox['spawn']> | undefined;
      if (method === 'Start') {
        const start = StartRequestSchema.safeParse(message);
        if (!start.success) return sendRpcError(response, 'invalid_argument', start.error.message);
        const config = start.data.process;
        command = sandbox.spawn(config.cmd, config.args ?? [], {
          cwd: config.cwd,
          envs: { ...record.envs, ...config.envs },
          stdin: start.data.stdin ?? false,
          tag: start.data.tag,
        });
      } else {
        const connect = ConnectRequestSchema.safeParse(message);
        if (!connect.success) return sendRpcError(response, 'invalid_argument', connect.error.message);
        command = findCommand(sandbox, connect.data.process);
        if (!command) return sendRpcError(response, 'not_found', 'process not found');
      }
      response.writeHead(200, { 'content-type': 'application/connect+json' });
      response.write(encodeEnvelope(0, { event: { start: { pid: command.pid } } }));
      const detach = command.listen((event) => {
        if (event.type === 'exit') {
          const status = event.signal
            ? `signal: ${event.signal === 'SIGKILL' ? 'killed' : event.signal}`
            : `exit status ${event.exitCode}`;
          response.write(
            encodeEnvelope(0, {
              event: {
                end: {
                  exitCode: event.signal ? -1 : event.exitCode,
                  exited: event.signal === null,
                  status,
                  ...(event.signal ? { error: status } : {}),
                },
              },
            }),
          );
          response.end(encodeEnvelope(END_STREAM, {}));
          detach();
          return;
        }
        response.write(encodeEnvelope(0, { event: { data: { [event.type]: event.data.toString('base64') } } }));
      });
      // The process outlives the stream, as envd's does: a client that goes away just stops listening.
      response.on('close', () => detach());
      return;
    }
    const message = JSON.parse((await readBody(request, MAX_RPC_BYTES))?.toString() || '{}') as unknown;
    if (method === 'List') {
      const processes = [...sandbox.commands.values()].map((command) => ({
        pid: command.pid,
        ...(command.tag ? { tag: command.tag } : {}),
        config: { cmd: command.cmd, args: command.args, envs: command.envs, cwd: command.cwd },
      }));
      return sendJson(response, 200, { processes });
    }
    const selected = SelectedProcessSchema.safeParse(message);
    if (!selected.success) return sendRpcError(response, 'invalid_argument', selected.error.message);
    const command = findCommand(sandbox, selected.data.process);
    if (!command) return sendRpcError(response, 'not_found', 'process not found');
    if (method === 'SendSignal') {
      const signal = SendSignalSchema.safeParse(message);
      if (!signal.success) return sendRpcError(response, 'invalid_argument', signal.error.message);
      command.signal(signal.data.signal === 'SIGNAL_SIGTERM' || signal.data.signal === 15 ? 'SIGTERM' : 'SIGKILL');
      return sendJson(response, 200, {});
    }
    if (method === 'SendInput') {
      const input = SendInputSchema.safeParse(message);
      if (!input.success) return sendRpcError(response, 'invalid_argument', input.error.message);
      command.child.stdin?.write(Buffer.from(input.data.input.stdin ?? '', 'base64'));
      return sendJson(response, 200, {});
    }
    if (method === 'CloseStdin') {
      command.child.stdin?.end();
      return sendJson(response, 200, {});
    }
    sendRpcError(response, 'unimplemented', `process.Process/${method} is not in the stand-in`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const apiUrl = `http://127.0.0.1:${port}`;
  domain = `localhost:${port}`;

  return {
    apiKey,
    apiUrl,
    domain,
    env: { E2B_API_KEY: apiKey, E2B_API_URL: apiUrl, E2B_SANDBOX_URL: apiUrl, E2B_DOMAIN: domain },
    sdkOptions: { apiKey, apiUrl, sandboxUrl: apiUrl, domain },
    sandboxes: () =>
      [...sandboxes.values()].map((record) => ({
        sandboxId: record.sandboxId,
        templateId: record.templateId,
        state: record.sandbox.state,
        dir: record.sandbox.dir,
        endAt: record.endAt,
        processes: record.sandbox.commands.size,
      })),
    close: async () => {
      for (const record of sandboxes.values()) destroy(record);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Options of {@link startE2bStandin}. */
export interface E2bStandinOptions {
  /** The one API key the control API accepts; any other answers 401. @default 'e2b_standin_key' */
  apiKey?: string;
  /** Template ids that exist; creating from another answers 404. @default ['base'] */
  templates?: string[];
  /** How many sandboxes may exist at once; one more answers 429, the quota error. @default unlimited */
  maxSandboxes?: number;
}

/** A running E2B stand-in. */
export interface E2bStandin {
  apiKey: string;
  /** The control API (and the envd address: `E2B_SANDBOX_URL`). */
  apiUrl: string;
  /** The sandbox domain, `localhost:{port}`: `getHost(port)` is `{port}-{id}.localhost:{port}`. */
  domain: string;
  /** The SDK's environment variables for this stand-in. */
  env: Record<'E2B_API_KEY' | 'E2B_API_URL' | 'E2B_SANDBOX_URL' | 'E2B_DOMAIN', string>;
  /** The same as SDK options (`Sandbox.create({ ...sdkOptions })`). */
  sdkOptions: { apiKey: string; apiUrl: string; sandboxUrl: string; domain: string };
  /** The sandboxes that exist now. */
  sandboxes(): E2bStandinSandbox[];
  /** Kills every sandbox's processes, removes their folders, stops the server. */
  close(): Promise<void>;
}

export interface E2bStandinSandbox {
  sandboxId: string;
  templateId: string;
  state: 'running' | 'paused';
  /** The sandbox's folder on this machine (`home/` is `/home/user` inside). */
  dir: string;
  endAt: Date;
  /** How many processes run (or are paused) in it. */
  processes: number;
}

interface E2bSandboxRecord {
  sandboxId: string;
  templateId: string;
  metadata: Record<string, string>;
  envs: Record<string, string>;
  startedAt: Date;
  endAt: Date;
  envdAccessToken: string;
  autoPause: boolean;
  sandbox: StandinSandbox;
  timer: NodeJS.Timeout | undefined;
}

const ENVD_PORT = 49983;
/** The envd version the stand-in claims: multipart and octet-stream uploads, stdin close. */
const ENVD_VERSION = '0.5.7';
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_RPC_BYTES = 1024 * 1024;
/** Connect's end-of-stream flag on an enveloped message. */
const END_STREAM = 0x02;

const NewSandboxSchema = z.object({
  /** The template to start from. */
  templateID: z.string().min(1).max(200),
  /** Seconds until the sandbox is killed (or paused with `autoPause`). */
  timeout: z.number().int().positive().max(86_400).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  envVars: z.record(z.string(), z.string()).optional(),
  /** Pause rather than kill at the timeout (`lifecycle.onTimeout: 'pause'`). */
  autoPause: z.boolean().optional(),
});
const TimeoutSchema = z.object({ timeout: z.number().int().positive().max(86_400) });
const ConnectSchema = z.object({ timeout: z.number().int().positive().max(86_400).optional() });
const ProcessSelectorSchema = z.union([z.object({ pid: z.number().int() }), z.object({ tag: z.string() })]);
const StartRequestSchema = z.object({
  process: z.object({
    cmd: z.string().min(1),
    args: z.array(z.string()).optional(),
    envs: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
  }),
  tag: z.string().optional(),
  stdin: z.boolean().optional(),
});
const ConnectRequestSchema = z.object({ process: ProcessSelectorSchema });
const SelectedProcessSchema = z.object({ process: ProcessSelectorSchema });
const SendSignalSchema = z.object({ signal: z.union([z.string(), z.number()]) });
const SendInputSchema = z.object({ input: z.object({ stdin: z.string().optional() }) });

function findCommand(sandbox: StandinSandbox, selector: z.infer<typeof ProcessSelectorSchema>) {
  if ('pid' in selector) return sandbox.commands.get(selector.pid);
  return [...sandbox.commands.values()].find((command) => command.tag === selector.tag);
}

/** One Connect enveloped message: flags, a big-endian length, the JSON. */
function encodeEnvelope(flags: number, message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json]);
}

/** The first enveloped message of a streaming request's body. */
function decodeEnvelope(body: Buffer | undefined): unknown {
  if (!body || body.length < 5) return undefined;
  const length = body.readUInt32BE(1);
  try {
    return JSON.parse(body.subarray(5, 5 + length).toString());
  } catch {
    return undefined;
  }
}

const CONNECT_HTTP_STATUS = { invalid_argument: 400, not_found: 404, unimplemented: 501 } as const;

/** A Connect error: unary shape (the stand-in answers streams that fail before starting the same way). */
function sendRpcError(response: ServerResponse, code: keyof typeof CONNECT_HTTP_STATUS, message: string): void {
  sendJson(response, CONNECT_HTTP_STATUS[code], { code, message });
}

/** E2B's API error body: `{ code, message }`. */
function sendError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { code: status, message });
}
