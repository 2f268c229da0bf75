import type { ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { CLOSE_CODES, HelloFrameSchema, PROTOCOL_VERSION, WelcomeFrameSchema } from '@remote-chat/protocol';
import { closeSocket, type LinkSession, type LinkTransport } from './session.js';
import { closeInWords } from './close-words.js';
import { LinkHandshakeError } from './errors.js';
import { encodeFrame, parseJson, rawDataText } from './frames.js';

/** How long either side waits for the other's half of the handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The close code of a connection that failed without a closing handshake. */
const ABNORMAL_CLOSURE = 1006;
const INTERNAL_ERROR = 1011;

export interface DialLinkOptions<Out, In, GOut = never, GIn = never> {
  /** `ws://` or `wss://` URL of the listener's link endpoint. */
  url: string;
  /** The runtime this link is for; the listener must answer with the same id. */
  runtimeId: string;
  /** The runtime's credential (sandbox) or the user's API token (machine). */
  token: string;
  session: LinkSession<Out, In, GOut, GIn>;
  /** Extra HTTP headers for the upgrade request. */
  headers?: Record<string, string>;
  /** @default HANDSHAKE_TIMEOUT_MS */
  timeoutMs?: number;
  /**
   * Opens the byte stream the link runs over instead of a connection to the URL's host (an
   * SSH-forwarded channel); the URL still names the host and path of the upgrade request.
   * Called once per dial. @default a TCP connection to the URL's host (a Unix socket for `ws+unix:`)
   */
  createConnection?: () => Promise<Duplex>;
}

/**
 * ws's `createConnection` (handed on to `http.request`) from a function that opens a stream: the
 * callback form, since the stream comes asynchronously. A stream that is not a socket gets the
 * socket methods http and ws call on it, as no-ops (the link has its own heartbeats and timeout).
 */
function streamConnection(open: () => Promise<Duplex>): ClientOptions['createConnection'] {
  const connect = (_options: ClientRequestArgs, done: (error: Error | null, stream?: Duplex) => void) => {
    open().then(
      (stream) => done(null, socketLike(stream)),
      (error: unknown) => done(asError(error)),
    );
    return undefined;
  };
  // ws types this option as net.createConnection; http.request takes the callback form too.
  return connect as unknown as ClientOptions['createConnection'];
}

function socketLike(stream: Duplex): Duplex {
  const socket = stream as Duplex & Record<string, unknown>;
  for (const method of ['setTimeout', 'setNoDelay', 'setKeepAlive', 'ref', 'unref']) {
    if (typeof socket[method] !== 'function') socket[method] = () => socket;
  }
  return socket;
}

/**
 * Dialler side: open ws, send hello, await welcome (timeout 10 s), then session.attach.
 * Rejects with a LinkHandshakeError carrying the close code when the listener answered and closed
 * or refused the handshake; when no WebSocket ever opened (nothing listens, the host is unknown, the
 * dial or `createConnection` failed, the upgrade got no answer in time or a plain HTTP one), with
 * the connection's own error instead ("connect ECONNREFUSED 127.0.0.1:8787"), which is no refusal.
 */
export function dialLink<Out, In, GOut = never, GIn = never>(
  options: DialLinkOptions<Out, In, GOut, GIn>,
): Promise<WebSocket> {
  const { session } = options;
  const timeoutMs = options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  session.dialling();
  return new Promise<WebSocket>((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(options.url, {
        headers: options.headers,
        maxPayload: session.maxPayloadBytes,
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        ...(options.createConnection && { createConnection: streamConnection(options.createConnection) }),
      });
    } catch (error) {
      const failure = asError(error);
      session.dialFailed(`dial failed: ${failure.message}`);
      reject(failure);
      return;
    }
    let settled = false;
    let opened = false;
    let lastError: Error | undefined;
    // The connection under the WebSocket, which the session corks per turn of the event loop.
    let transport: LinkTransport | undefined;
    socket.once('upgrade', (response) => (transport = response.socket));
    const timer = setTimeout(() => {
      if (opened) fail(CLOSE_CODES.timeout, `no welcome within ${timeoutMs} ms`, true);
      else failToConnect(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);

    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('open', onOpen);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const fail = (code: number, reason: string, close: boolean): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (close) closeSocket(socket, code, reason);
      else socket.on('error', () => {});
      session.dialFailed(`handshake failed (${code}${reason ? `: ${reason}` : ''})`);
      reject(new LinkHandshakeError(code, reason));
    };
    /** No WebSocket opened, so nobody answered the handshake: reject with what the connection said. */
    const failToConnect = (error: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      socket.on('error', () => {});
      if (socket.readyState !== socket.CLOSED) socket.terminate();
      session.dialFailed(`dial failed: ${error.message}`);
      reject(error);
    };
    const onOpen = (): void => {
      opened = true;
      socket.send(
        encodeFrame({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          runtimeId: options.runtimeId,
          token: options.token,
          lastReceived: session.lastReceived,
        }),
      );
    };
    const onMessage = (data: RawData): void => {
      const json = parseJson(rawDataText(data));
      if (isObject(json) && json.type === 'welcome' && json.protocol !== PROTOCOL_VERSION) {
        fail(
          CLOSE_CODES.protocolMismatch,
          `listener speaks protocol ${String(json.protocol)}, not ${PROTOCOL_VERSION}`,
          true,
        );
        return;
      }
      const welcome = WelcomeFrameSchema.safeParse(json);
      if (!welcome.success) {
        fail(CLOSE_CODES.badFrames, 'expected a welcome frame', true);
        return;
      }
      if (welcome.data.runtimeId !== options.runtimeId) {
        fail(CLOSE_CODES.forbidden, `listener is runtime ${welcome.data.runtimeId}, not ${options.runtimeId}`, true);
        return;
      }
      settled = true;
      cleanup();
      // Attach in the same tick as the welcome so no frame that follows it is missed.
      session.attach(socket, welcome.data.lastReceived, transport);
      resolve(socket);
    };
    const onClose = (code: number, reason: Buffer): void => {
      if (opened) fail(code, reason.toString() || lastError?.message || '', false);
      else failToConnect(lastError ?? new Error(closeInWords(code, reason.toString())));
    };
    const onError = (error: Error): void => {
      lastError = error;
    };
    socket.on('open', onOpen);
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.on('error', onError);
  });
}

/** What `acceptLink` hands to `verify`. */
export interface HelloCredentials {
  runtimeId: string;
  token: string;
}

/** What `verify` returns to refuse a dialler with a particular close code, e.g. 4403 for a runtime id of another account. */
export interface LinkRefusal {
  code: number;
  reason: string;
}

export interface AcceptLinkOptions<Out, In, GOut = never, GIn = never> {
  /** The id to answer with in `welcome`. @default the hello's runtimeId */
  runtimeId?: string;
  /** Checks the dialler's credentials: true accepts, false closes with 4401, a LinkRefusal closes with its code. */
  verify: (hello: HelloCredentials) => boolean | LinkRefusal | Promise<boolean | LinkRefusal>;
  /** The session for this runtime; called once the dialler is verified. */
  session: (hello: { runtimeId: string }) => LinkSession<Out, In, GOut, GIn>;
  /** @default HANDSHAKE_TIMEOUT_MS */
  timeoutMs?: number;
  /**
   * The connection under the WebSocket (the socket `handleUpgrade` was given): the session corks it
   * for a turn of the event loop at its first write, so a burst leaves in one write. @default none
   */
  transport?: LinkTransport;
}

/**
 * Listener side: wait for hello on an accepted socket (timeout 10 s), call verify(hello) (async;
 * return false to close with 4401, or a LinkRefusal), answer welcome, session.attach. Rejects with a
 * LinkHandshakeError (the socket is then already closed with its code).
 */
export function acceptLink<Out, In, GOut = never, GIn = never>(
  socket: WebSocket,
  options: AcceptLinkOptions<Out, In, GOut, GIn>,
): Promise<LinkSession<Out, In, GOut, GIn>> {
  const timeoutMs = options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  return new Promise<LinkSession<Out, In, GOut, GIn>>((resolve, reject) => {
    let settled = false;
    let closed: { code: number; reason: string } | undefined;
    const timer = setTimeout(() => fail(CLOSE_CODES.timeout, `no hello within ${timeoutMs} ms`), timeoutMs);

    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
    };
    const fail = (code: number, reason: string): void => {
      if (settled) return;
      settled = true;
      cleanup();
      closeSocket(socket, code, reason);
      reject(new LinkHandshakeError(code, reason));
    };
    const onClose = (code: number, reason: Buffer): void => {
      closed = { code, reason: reason.toString() };
      if (settled) return;
      settled = true;
      cleanup();
      reject(new LinkHandshakeError(code, closed.reason || 'closed before the handshake finished'));
    };
    const onMessage = (data: RawData): void => {
      socket.off('message', onMessage);
      const json = parseJson(rawDataText(data));
      if (isObject(json) && json.type === 'hello' && json.protocol !== PROTOCOL_VERSION) {
        fail(
          CLOSE_CODES.protocolMismatch,
          `this side speaks protocol ${PROTOCOL_VERSION}, not ${String(json.protocol)}`,
        );
        return;
      }
      const hello = HelloFrameSchema.safeParse(json);
      if (!hello.success) {
        fail(CLOSE_CODES.badFrames, 'expected a hello frame');
        return;
      }
      const { runtimeId, token, lastReceived } = hello.data;
      void verifyThenWelcome(runtimeId, token, lastReceived);
    };
    const verifyThenWelcome = async (runtimeId: string, token: string, lastReceived: number): Promise<void> => {
      let ok: boolean | LinkRefusal;
      try {
        ok = await options.verify({ runtimeId, token });
      } catch {
        fail(INTERNAL_ERROR, 'could not verify the credentials');
        return;
      }
      if (settled) return;
      if (closed || socket.readyState !== socket.OPEN) {
        onClose(closed?.code ?? ABNORMAL_CLOSURE, Buffer.from(closed?.reason ?? ''));
        return;
      }
      if (ok === false) {
        fail(CLOSE_CODES.unauthorized, 'unauthorized');
        return;
      }
      if (ok !== true) {
        fail(ok.code, ok.reason);
        return;
      }
      let session: LinkSession<Out, In, GOut, GIn>;
      try {
        session = options.session({ runtimeId });
      } catch {
        fail(INTERNAL_ERROR, 'no session for this runtime');
        return;
      }
      settled = true;
      cleanup();
      socket.send(
        encodeFrame({
          type: 'welcome',
          protocol: PROTOCOL_VERSION,
          runtimeId: options.runtimeId ?? runtimeId,
          lastReceived: session.lastReceived,
        }),
      );
      session.attach(socket, lastReceived, options.transport);
      resolve(session);
    };
    socket.on('error', () => {});
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
