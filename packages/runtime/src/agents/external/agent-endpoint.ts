import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { AGENT_ENDPOINT_PATH, CLOSE_CODES, ExternalAgentIdSchema, LIMITS } from '@remote-chat/protocol';
import { AgentSocket } from '@remote-chat/link';
import { sameSecret } from '../../same-secret.js';
import type { Agent } from '../agent.js';
import { ExternalAgent } from './external-agent.js';

/** The variables that tell a process where the agent endpoint is and how to get in. */
export const AGENT_ENDPOINT_ENV = {
  url: 'REMOTE_CHAT_AGENT_URL',
  secret: 'REMOTE_CHAT_AGENT_SECRET',
} as const;

/** `<state-dir>/agent-endpoint.json` (mode 0600): `{url, secret}`, for processes the runtime did not start. */
export const AGENT_ENDPOINT_FILE = 'agent-endpoint.json';

/** The agents the endpoint adds to and removes from: the runtime host. */
export interface AgentDirectory {
  agent(id: string): Agent | undefined;
  addAgent(agent: Agent): void;
  removeAgent(agent: Agent): void;
}

export interface AgentEndpointOptions {
  agents: AgentDirectory;
  /** Where `agent-endpoint.json` is written (and removed at close). @default not written */
  stateDir?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default console.error */
  log?: (line: string) => void;
}

export interface AgentEndpoint {
  /** ws://127.0.0.1:PORT/codebolt */
  readonly url: string;
  /** The per-runtime agent secret a connecting process presents as `Authorization: Bearer`. */
  readonly secret: string;
  /** `REMOTE_CHAT_AGENT_URL` and `REMOTE_CHAT_AGENT_SECRET`, for the programs agents start. */
  env(): Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * The runtime's agent endpoint: a loopback WebSocket server at `/codebolt?agentId=…` where any
 * process holding the runtime's agent secret (a random one per runtime process, in the
 * environment of the programs the runtime starts and in a file only the runtime's user can read)
 * registers as an agent. A registered agent is offered like any other (kind `external`) until it
 * disconnects; a newer connection with the same id replaces the older (4409). An upgrade without
 * the secret is answered 401 before any WebSocket exists.
 */
export async function startAgentEndpoint(options: AgentEndpointOptions): Promise<AgentEndpoint> {
  const log = options.log ?? ((line: string) => console.error(line));
  const secret = `rc-ag-${randomBytes(32).toString('base64url')}`;
  const held = new Map<string, { agent: ExternalAgent; socket: AgentSocket }>();

  const server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    response.end(`This is a runtime's agent endpoint: open a WebSocket at ${AGENT_ENDPOINT_PATH}.\n`);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxAgentFrameBytes, perMessageDeflate: false });

  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const refuse = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = parseUrl(request.url);
    if (!url || url.pathname !== AGENT_ENDPOINT_PATH) return refuse(404, 'Not Found');
    if (!sameSecret(bearer(request) ?? '', secret)) return refuse(401, 'Unauthorized');
    const queried = url.searchParams.get('agentId');
    if (queried !== null && !ExternalAgentIdSchema.safeParse(queried).success) return refuse(400, 'Bad Request');
    wss.handleUpgrade(request, socket, head, (ws) => {
      let mine: ExternalAgent | undefined;
      const agentSocket: AgentSocket = new AgentSocket(ws, {
        agentId: queried ?? undefined,
        log,
        register: ({ agentId, label }) => {
          const current = options.agents.agent(agentId);
          if (current && !(current instanceof ExternalAgent))
            return {
              ok: false,
              code: 'agent_id_taken',
              message: `This runtime has a ${current.kind ?? 'built-in'} agent "${agentId}"; pick another id.`,
              close: CLOSE_CODES.forbidden,
            };
          const before = held.get(agentId);
          mine = new ExternalAgent(agentId, label, agentSocket);
          held.set(agentId, { agent: mine, socket: agentSocket });
          options.agents.addAgent(mine);
          before?.socket.close(CLOSE_CODES.replaced, 'replaced by a newer connection');
          log(`external agent ${agentId} registered`);
          return { ok: true, connectionId: agentId };
        },
        onClose: () => {
          if (!mine) return;
          if (held.get(mine.id)?.agent === mine) held.delete(mine.id);
          options.agents.removeAgent(mine);
          log(`external agent ${mine.id} disconnected`);
        },
      });
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `ws://${host}:${port}${AGENT_ENDPOINT_PATH}`;
  const file = options.stateDir ? path.join(options.stateDir, AGENT_ENDPOINT_FILE) : undefined;
  if (file) {
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ url, secret }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  }

  return {
    url,
    secret,
    env: () => ({ [AGENT_ENDPOINT_ENV.url]: url, [AGENT_ENDPOINT_ENV.secret]: secret }),
    async close() {
      for (const client of wss.clients) client.close(CLOSE_CODES.goingAway, 'runtime shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (file) await rm(file, { force: true });
    },
  };
}

function parseUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://agent-endpoint');
  } catch {
    return undefined;
  }
}

function bearer(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}
