import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import {
  CLOSE_CODES,
  FromRuntimeMessageSchema,
  type EventBody,
  type FromRuntimeMessage,
  type LinkState,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import { LinkSession, acceptLink } from '@remote-chat/link';

/** The BFF's side of one runtime, as the stub sees it. */
export interface StubRuntime {
  session: LinkSession<ToRuntimeMessage, FromRuntimeMessage>;
  handled: FromRuntimeMessage[];
  /** Every `[state, detail]` the link went through. */
  states: [LinkState, string | undefined][];
  infos(): Extract<FromRuntimeMessage, { type: 'runtime.info' }>[];
  events(threadId: string): EventBody[];
}

export interface StubBff {
  /** The BFF's base URL, with a path prefix: `http://127.0.0.1:PORT/prefix`. */
  url: string;
  runtimes: Map<string, StubRuntime>;
  /** Every hello seen, accepted or not. */
  hellos: { runtimeId: string }[];
  close(): Promise<void>;
}

/**
 * A small real BFF stand-in for `connect`: serves the runtime link at `<prefix>/api/link` with
 * acceptLink, accepts `token`, refuses runtime ids in `foreign` with 4403, and keeps a BFF-side
 * session per runtime id across reconnects.
 */
export async function startStubBff(options: {
  token: string;
  prefix?: string;
  foreign?: Set<string>;
}): Promise<StubBff> {
  const prefix = options.prefix ?? '/prefix';
  const runtimes = new Map<string, StubRuntime>();
  const hellos: { runtimeId: string }[] = [];
  const server = createServer((_request, response) => {
    response.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://stub').pathname !== `${prefix}/api/link`) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      acceptLink(ws, {
        verify: (hello) => {
          hellos.push({ runtimeId: hello.runtimeId });
          if (hello.token !== options.token) return false;
          if (options.foreign?.has(hello.runtimeId))
            return { code: CLOSE_CODES.forbidden, reason: 'runtime belongs to another user' };
          return true;
        },
        session: ({ runtimeId }) => runtimeFor(runtimes, runtimeId).session,
      }).catch(() => {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    runtimes,
    hellos,
    async close() {
      for (const runtime of runtimes.values()) runtime.session.detach(CLOSE_CODES.goingAway, 'stub closing');
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function runtimeFor(runtimes: Map<string, StubRuntime>, runtimeId: string): StubRuntime {
  const existing = runtimes.get(runtimeId);
  if (existing) return existing;
  const handled: FromRuntimeMessage[] = [];
  const states: StubRuntime['states'] = [];
  const session = new LinkSession<ToRuntimeMessage, FromRuntimeMessage>({
    inbound: FromRuntimeMessageSchema,
    onMessage: (message) => {
      handled.push(message);
    },
  });
  session.onState((state, detail) => states.push([state, detail]));
  const runtime: StubRuntime = {
    session,
    handled,
    states,
    infos: () =>
      handled.filter(
        (message): message is Extract<FromRuntimeMessage, { type: 'runtime.info' }> => message.type === 'runtime.info',
      ),
    events: (threadId) =>
      handled.flatMap((message) =>
        message.type === 'thread.event' && message.threadId === threadId ? [message.event] : [],
      ),
  };
  runtimes.set(runtimeId, runtime);
  return runtime;
}
