import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { readBody, readJson, type StandinCommand, StandinSandbox, sendJson } from './standin-sandbox.js';

/**
 * A local stand-in for Daytona, for tests that drive the real `@daytonaio/sdk` (0.218) against it
 * (`new Daytona({ ...sdkOptions })`; `useDeprecatedPolling` because the stand-in has no event
 * socket).
 *
 * One loopback HTTP server speaks:
 * - the control API (`Authorization: Bearer {apiKey}`): `POST /sandbox` (from a snapshot),
 *   `GET /sandbox`, `GET /sandbox/{id}`, `POST /sandbox/{id}/start`, `POST /sandbox/{id}/stop`,
 *   `DELETE /sandbox/{id}`, `GET /sandbox/{id}/toolbox-proxy-url`,
 *   `GET /sandbox/{id}/ports/{port}/preview-url` (`{ url, token }`);
 * - the toolbox at `/toolbox/{id}` (the `toolboxProxyUrl`): `POST /process/execute`, sessions
 *   (`POST /process/session`, `POST /process/session/{sid}/exec` sync or `runAsync`,
 *   `GET /process/session/{sid}/command/{cmdId}`, its `/logs` as JSON or, with `follow=true`, a
 *   WebSocket of `01 01 01`/`02 02 02`-prefixed stdout/stderr chunks, `DELETE` a session), and
 *   files (`POST /files/bulk-upload`, `POST /files/bulk-download` answering multipart);
 * - preview URLs `http://{port}-{id}.localhost:{port of the stand-in}` that proxy HTTP and
 *   WebSocket to the port inside the sandbox when the request carries the preview token
 *   (header `x-daytona-preview-token`, or `DAYTONA_SANDBOX_AUTH_KEY` in the query). Import
 *   `./localhost-subdomains.mjs` in a Node process that should resolve such names.
 *
 * Sandboxes are {@link StandinSandbox}es (home `/home/daytona`). Stop keeps the files and kills
 * every process, as Daytona's stop does; start runs nothing by itself. `/process/execute` runs no
 * shell, as Daytona's does not: it splits the line into words ({@link toolboxWords}). What it does
 * not do: snapshots are names only, a session runs each command in a fresh shell (no `cd` or
 * variables carried between commands), no PTY, git, LSP, code-run, file listing, archive or volumes.
 */
export async function startDaytonaStandin(options: DaytonaStandinOptions = {}): Promise<DaytonaStandin> {
  const apiKey = options.apiKey ?? 'dtn_standin_key';
  const snapshots = new Set(options.snapshots ?? ['daytonaio/sandbox:0.4.3']);
  const root = mkdtempSync(join(tmpdir(), 'daytona-standin-'));
  const sandboxes = new Map<string, DaytonaSandboxRecord>();
  const logSockets = new WebSocketServer({ noServer: true });
  let apiUrl = '';
  let previewDomain = '';

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, String((error as Error).message));
      else response.destroy();
    });
  });

  server.on('upgrade', (request, socket, head) => {
    const preview = previewTarget(request);
    if (preview) {
      const record = sandboxes.get(preview.sandboxId);
      if (record?.state !== 'started' || !hasPreviewToken(request, record)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      void record.sandbox.proxyUpgrade(request, socket, head, preview.port);
      return;
    }
    const url = new URL(request.url ?? '/', 'http://standin');
    const logs = /^\/toolbox\/([^/]+)\/process\/session\/([^/]+)\/command\/([^/]+)\/logs$/.exec(url.pathname);
    const record = logs ? sandboxes.get(String(logs[1])) : undefined;
    const command = logs && record?.sessions.get(String(logs[2]))?.get(String(logs[3]));
    if (!authorized(request) || !command) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    logSockets.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      const past = command.output;
      for (const chunk of past) ws.send(chunk);
      if (command.exitCode !== undefined || !command.process) {
        ws.close(1000);
        return;
      }
      const detach = command.process.listen((event) => {
        if (event.type === 'exit') {
          detach();
          ws.close(1000);
          return;
        }
        ws.send(Buffer.concat([event.type === 'stdout' ? STDOUT_PREFIX : STDERR_PREFIX, event.data]));
      });
      ws.on('close', () => detach());
    });
  });

  function authorized(request: IncomingMessage): boolean {
    return request.headers.authorization === `Bearer ${apiKey}`;
  }

  function previewTarget(request: IncomingMessage): { sandboxId: string; port: number } | undefined {
    const host = /^(\d+)-([a-z0-9-]+)\.localhost(?::\d+)?$/.exec(request.headers.host ?? '');
    return host ? { port: Number(host[1]), sandboxId: String(host[2]) } : undefined;
  }

  function hasPreviewToken(request: IncomingMessage, record: DaytonaSandboxRecord): boolean {
    const query = new URL(request.url ?? '/', 'http://standin').searchParams.get('DAYTONA_SANDBOX_AUTH_KEY');
    return request.headers['x-daytona-preview-token'] === record.previewToken || query === record.previewToken;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const preview = previewTarget(request);
    if (preview) {
      const record = sandboxes.get(preview.sandboxId);
      if (!record) return sendError(response, 404, `Sandbox ${preview.sandboxId} not found`);
      if (!hasPreviewToken(request, record)) return sendError(response, 403, 'missing or wrong preview token');
      if (record.state !== 'started') return sendError(response, 502, `Sandbox ${record.id} is not started`);
      await record.sandbox.proxyRequest(request, response, preview.port);
      return;
    }
    if (!authorized(request)) return sendError(response, 401, 'Unauthorized');
    const url = new URL(request.url ?? '/', 'http://standin');
    const toolbox = /^\/toolbox\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (toolbox) {
      const record = sandboxes.get(String(toolbox[1]));
      if (!record) return sendError(response, 404, `Sandbox ${toolbox[1]} not found`);
      if (record.state !== 'started') return sendError(response, 502, `Sandbox ${record.id} is not started`);
      if (await handleFiles(record, String(toolbox[2]), request, response)) return;
      return handleToolbox(record, String(toolbox[2]), request, response);
    }
    return handleControl(url, request, response);
  }

  async function handleControl(url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = url.pathname;
    if (method === 'POST' && path === '/sandbox') {
      const body = NewSandboxSchema.safeParse(await readJson(request));
      if (!body.success) return sendError(response, 400, body.error.message);
      const snapshot = body.data.snapshot ?? [...snapshots][0] ?? '';
      if (!snapshots.has(snapshot)) return sendError(response, 404, `Snapshot ${snapshot} not found`);
      if (options.maxSandboxes !== undefined && sandboxes.size >= options.maxSandboxes) {
        return sendError(response, 403, `Total sandbox quota exceeded. Maximum allowed: ${options.maxSandboxes}`);
      }
      const id = randomUUID();
      const dir = join(root, id);
      mkdirSync(dir);
      const record: DaytonaSandboxRecord = {
        id,
        name: body.data.name ?? id,
        snapshot,
        user: body.data.user ?? 'daytona',
        env: body.data.env ?? {},
        labels: body.data.labels ?? {},
        target: body.data.target ?? 'us',
        autoStopInterval: body.data.autoStopInterval ?? 15,
        state: 'started',
        createdAt: new Date(),
        previewToken: randomBytes(16).toString('hex'),
        sessions: new Map(),
        sandbox: await StandinSandbox.start(dir, '/home/daytona'),
      };
      sandboxes.set(id, record);
      return sendJson(response, 200, sandboxDto(record));
    }
    if (method === 'GET' && path === '/sandbox') {
      return sendJson(response, 200, [...sandboxes.values()].map(sandboxDto));
    }
    const byId = /^\/sandbox\/([^/]+)(?:\/(start|stop|toolbox-proxy-url|ports\/(\d+)\/preview-url))?$/.exec(path);
    if (!byId) return sendError(response, 404, `Cannot ${method} ${path}`);
    const record = sandboxes.get(String(byId[1])) ?? [...sandboxes.values()].find((each) => each.name === byId[1]);
    if (!record) return sendError(response, 404, `Sandbox with ID or name ${byId[1]} not found`);
    const action = byId[2];
    if (method === 'GET' && !action) return sendJson(response, 200, sandboxDto(record));
    if (method === 'DELETE' && !action) {
      sandboxes.delete(record.id);
      record.sandbox.destroy();
      record.state = 'destroyed';
      return sendJson(response, 200, sandboxDto(record));
    }
    if (method === 'POST' && action === 'stop') {
      record.sandbox.killProcesses();
      record.sessions.clear();
      record.state = 'stopped';
      return sendJson(response, 200, sandboxDto(record));
    }
    if (method === 'POST' && action === 'start') {
      record.state = 'started';
      return sendJson(response, 200, sandboxDto(record));
    }
    if (method === 'GET' && action === 'toolbox-proxy-url') return sendJson(response, 200, { url: toolboxProxyUrl() });
    if (method === 'GET' && byId[3]) {
      const port = Number(byId[3]);
      return sendJson(response, 200, {
        sandboxId: record.id,
        url: `http://${port}-${record.id}.${previewDomain}`,
        token: record.previewToken,
      });
    }
    sendError(response, 404, `Cannot ${method} ${path}`);
  }

  async function handleToolbox(
    record: DaytonaSandboxRecord,
    path: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    const { sandbox } = record;
    if (method === 'GET' && (path === '/user-home-dir' || path === '/work-dir')) {
      return sendJson(response, 200, { dir: sandbox.home });
    }
    if (method === 'POST' && path === '/process/execute') {
      const body = ExecuteSchema.safeParse(await readJson(request));
      if (!body.success) return sendError(response, 400, body.error.message);
      // Daytona's toolbox runs no shell here: it splits the line into words itself.
      const [cmd = '', ...args] = toolboxWords(body.data.command);
      const command = sandbox.spawn(cmd, args, {
        cwd: body.data.cwd,
        envs: { ...record.env, ...body.data.envs },
      });
      const output: Buffer[] = [];
      const exitCode = await new Promise<number>((resolve) => {
        command.listen((event) => {
          if (event.type === 'exit') resolve(event.exitCode);
          else output.push(event.data);
        });
      });
      return sendJson(response, 200, { exitCode, result: Buffer.concat(output).toString() });
    }
    if (method === 'POST' && path === '/process/session') {
      const body = NewSessionSchema.safeParse(await readJson(request));
      if (!body.success) return sendError(response, 400, body.error.message);
      if (record.sessions.has(body.data.sessionId)) return sendError(response, 409, 'session already exists');
      record.sessions.set(body.data.sessionId, new Map());
      response.writeHead(201).end();
      return;
    }
    const session = /^\/process\/session\/([^/]+)(?:\/exec|\/command\/([^/]+)(\/logs)?)?$/.exec(path);
    const commands = session ? record.sessions.get(String(session[1])) : undefined;
    if (!session || !commands) return sendError(response, 404, `Cannot ${method} ${path}`);
    if (method === 'DELETE' && !path.includes('/command') && !path.endsWith('/exec')) {
      for (const command of commands.values()) command.process?.signal('SIGKILL');
      record.sessions.delete(String(session[1]));
      response.writeHead(204).end();
      return;
    }
    if (method === 'GET' && !path.includes('/command') && !path.endsWith('/exec')) {
      return sendJson(response, 200, {
        sessionId: session[1],
        commands: [...commands.values()].map((each) => ({
          id: each.id,
          command: each.command,
          exitCode: each.exitCode,
        })),
      });
    }
    if (method === 'POST' && path.endsWith('/exec')) {
      const body = SessionExecSchema.safeParse(await readJson(request));
      if (!body.success) return sendError(response, 400, body.error.message);
      const process = sandbox.spawn('/bin/sh', ['-c', body.data.command], { envs: record.env });
      const command: SessionCommand = { id: randomUUID(), command: body.data.command, output: [], process };
      commands.set(command.id, command);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const exited = new Promise<void>((resolve) => {
        process.listen((event) => {
          if (event.type === 'exit') {
            command.exitCode = event.exitCode;
            resolve();
            return;
          }
          (event.type === 'stdout' ? stdout : stderr).push(event.data);
          command.output.push(Buffer.concat([event.type === 'stdout' ? STDOUT_PREFIX : STDERR_PREFIX, event.data]));
        });
      });
      if (body.data.runAsync || body.data.async) return sendJson(response, 200, { cmdId: command.id });
      await exited;
      return sendJson(response, 200, {
        cmdId: command.id,
        exitCode: command.exitCode,
        output: Buffer.concat([...stdout, ...stderr]).toString(),
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      });
    }
    const command = commands.get(String(session[2]));
    if (!command) return sendError(response, 404, `command ${session[2]} not found`);
    if (method === 'GET' && !session[3]) {
      return sendJson(response, 200, { id: command.id, command: command.command, exitCode: command.exitCode });
    }
    if (method === 'GET' && session[3]) {
      const split = demux(command.output);
      return sendJson(response, 200, { output: split.stdout + split.stderr, ...split });
    }
    sendError(response, 404, `Cannot ${method} ${path}`);
  }

  async function handleFiles(
    record: DaytonaSandboxRecord,
    path: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<boolean> {
    const { sandbox } = record;
    if (request.method === 'POST' && path === '/files/bulk-upload') {
      const body = await readBody(request, MAX_UPLOAD_BYTES);
      if (!body) {
        sendError(response, 413, `uploads are at most ${MAX_UPLOAD_BYTES} bytes`);
        return true;
      }
      const form = await new Request('http://standin/', {
        method: 'POST',
        headers: { 'content-type': String(request.headers['content-type'] ?? '') },
        body: new Uint8Array(body),
      }).formData();
      for (const [key, value] of form.entries()) {
        const index = /^files\[(\d+)\]\.file$/.exec(key)?.[1];
        if (index === undefined || typeof value === 'string') continue;
        const destination = form.get(`files[${index}].path`);
        const hostPath = typeof destination === 'string' ? sandbox.hostPath(destination) : undefined;
        if (!hostPath) {
          sendError(response, 400, `path ${String(destination)} is outside the home folder and /tmp`);
          return true;
        }
        mkdirSync(dirname(hostPath), { recursive: true });
        writeFileSync(hostPath, Buffer.from(await value.arrayBuffer()));
      }
      response.writeHead(200).end();
      return true;
    }
    if (request.method === 'POST' && path === '/files/bulk-download') {
      const body = DownloadSchema.safeParse(await readJson(request));
      if (!body.success) {
        sendError(response, 400, body.error.message);
        return true;
      }
      const boundary = `standin-${randomBytes(8).toString('hex')}`;
      const parts: Buffer[] = [];
      for (const source of body.data.paths) {
        const hostPath = sandbox.hostPath(source);
        let data: Buffer | undefined;
        try {
          data = hostPath ? readFileSync(hostPath) : undefined;
        } catch {
          data = undefined;
        }
        const field = data ? 'file' : 'error';
        const content =
          data ??
          Buffer.from(
            JSON.stringify({ message: `file not found: ${source}`, statusCode: 404, code: 'FILE_NOT_FOUND' }),
          );
        parts.push(
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${source}"\r\n` +
              `Content-Type: ${data ? 'application/octet-stream' : 'application/json'}\r\n\r\n`,
          ),
          content,
          Buffer.from('\r\n'),
        );
      }
      parts.push(Buffer.from(`--${boundary}--\r\n`));
      const payload = Buffer.concat(parts);
      response
        .writeHead(200, {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': payload.length,
        })
        .end(payload);
      return true;
    }
    return false;
  }

  function toolboxProxyUrl(): string {
    return `${apiUrl}/toolbox`;
  }

  function sandboxDto(record: DaytonaSandboxRecord) {
    return {
      id: record.id,
      name: record.name,
      organizationId: 'standin',
      snapshot: record.snapshot,
      user: record.user,
      env: record.env,
      labels: record.labels,
      public: false,
      target: record.target,
      cpu: 1,
      gpu: 0,
      memory: 1,
      disk: 3,
      state: record.state,
      desiredState: record.state,
      toolboxProxyUrl: toolboxProxyUrl(),
      createdAt: record.createdAt.toISOString(),
      updatedAt: new Date().toISOString(),
      autoStopInterval: record.autoStopInterval,
      autoArchiveInterval: 0,
      autoDeleteInterval: -1,
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  apiUrl = `http://127.0.0.1:${port}`;
  previewDomain = `localhost:${port}`;

  return {
    apiKey,
    apiUrl,
    env: {
      DAYTONA_API_KEY: apiKey,
      DAYTONA_API_URL: apiUrl,
      DAYTONA_TARGET: 'us',
      DAYTONA_USE_DEPRECATED_POLLING: 'true',
    },
    sdkOptions: { apiKey, apiUrl, target: 'us', useDeprecatedPolling: true },
    sandboxes: () =>
      [...sandboxes.values()].map((record) => ({
        id: record.id,
        snapshot: record.snapshot,
        state: record.state,
        dir: record.sandbox.dir,
        processes: record.sandbox.commands.size,
      })),
    close: async () => {
      for (const record of sandboxes.values()) record.sandbox.destroy();
      sandboxes.clear();
      for (const client of logSockets.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Options of {@link startDaytonaStandin}. */
export interface DaytonaStandinOptions {
  /** The one API key the API accepts; any other answers 401. @default 'dtn_standin_key' */
  apiKey?: string;
  /** Snapshot names that exist; creating from another answers 404. The first is the default. @default ['daytonaio/sandbox:0.4.3'] */
  snapshots?: string[];
  /** How many sandboxes may exist at once; one more answers 403, Daytona's quota error. @default unlimited */
  maxSandboxes?: number;
}

/** A running Daytona stand-in. */
export interface DaytonaStandin {
  apiKey: string;
  apiUrl: string;
  /** The SDK's environment variables for this stand-in. */
  env: Record<'DAYTONA_API_KEY' | 'DAYTONA_API_URL' | 'DAYTONA_TARGET' | 'DAYTONA_USE_DEPRECATED_POLLING', string>;
  /** The same as `new Daytona(...)` options. */
  sdkOptions: { apiKey: string; apiUrl: string; target: string; useDeprecatedPolling: true };
  /** The sandboxes that exist now. */
  sandboxes(): DaytonaStandinSandbox[];
  /** Kills every sandbox's processes, removes their folders, stops the server. */
  close(): Promise<void>;
}

export interface DaytonaStandinSandbox {
  id: string;
  snapshot: string;
  state: 'started' | 'stopped' | 'destroyed';
  /** The sandbox's folder on this machine (`home/` is `/home/daytona` inside). */
  dir: string;
  /** How many processes run in it. */
  processes: number;
}

interface SessionCommand {
  id: string;
  command: string;
  /** Every chunk so far, prefixed as the log socket sends them. */
  output: Buffer[];
  process: StandinCommand | undefined;
  exitCode?: number;
}

interface DaytonaSandboxRecord {
  id: string;
  name: string;
  snapshot: string;
  user: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  target: string;
  autoStopInterval: number;
  state: 'started' | 'stopped' | 'destroyed';
  createdAt: Date;
  previewToken: string;
  sessions: Map<string, Map<string, SessionCommand>>;
  sandbox: StandinSandbox;
}

/** Daytona's log stream markers: three 0x01 bytes before stdout, three 0x02 before stderr. */
const STDOUT_PREFIX = Buffer.from([1, 1, 1]);
const STDERR_PREFIX = Buffer.from([2, 2, 2]);
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

const NewSandboxSchema = z.object({
  name: z.string().max(200).optional(),
  /** The snapshot to start from; the stand-in's first snapshot when absent. */
  snapshot: z.string().max(200).optional(),
  user: z.string().max(100).optional(),
  env: z.record(z.string(), z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  target: z.string().max(100).optional(),
  /** Minutes without activity before Daytona stops it; 0 never. Kept and reported, not acted on. */
  autoStopInterval: z.number().int().min(0).optional(),
});
const ExecuteSchema = z.object({
  command: z.string().min(1),
  cwd: z.string().optional(),
  envs: z.record(z.string(), z.string()).optional(),
  timeout: z.number().optional(),
});
const NewSessionSchema = z.object({ sessionId: z.string().min(1).max(200) });
const SessionExecSchema = z.object({
  command: z.string().min(1),
  runAsync: z.boolean().optional(),
  async: z.boolean().optional(),
});
const DownloadSchema = z.object({ paths: z.array(z.string()).min(1).max(1000) });

/**
 * A command line split into words as Daytona's toolbox does for `POST /process/execute`
 * (`parseCommand` in its daemon): spaces separate words except inside '…' or "…", and nothing else
 * is special: no `;`, `&&`, `|`, `$`, redirections or backslash escapes.
 */
export function toolboxWords(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote = '';
  for (const char of command) {
    if ((char === '"' || char === "'") && (!quote || quote === char)) quote = quote ? '' : char;
    else if (char === ' ' && !quote) {
      if (current) words.push(current);
      current = '';
    } else current += char;
  }
  if (current) words.push(current);
  return words;
}

/** Splits prefixed log chunks back into stdout and stderr text. */
function demux(chunks: readonly Buffer[]): { stdout: string; stderr: string } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  for (const chunk of chunks) (chunk[0] === 1 ? stdout : stderr).push(chunk.subarray(3));
  return { stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
}

/** Daytona's API error body. */
function sendError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { statusCode: status, message, error: message });
}
