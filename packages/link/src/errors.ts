/** Local errors of the runtime link; none of them crosses the wire. */

/** `LinkSession.send` refused a message because too many frames wait for an acknowledgement. */
export class LinkOutboxFullError extends Error {
  override readonly name = 'LinkOutboxFullError';
  constructor(
    readonly limit: number,
    /** What `limit` counts. */
    readonly unit: 'frames' | 'bytes' = 'frames',
  ) {
    super(
      `the link outbox holds ${limit} ${unit === 'frames' ? 'unacknowledged frames' : 'bytes of unacknowledged frames'}; refusing more until the peer catches up`,
    );
  }
}

/** `LinkDialer` saw the link close after its handshake; `code` is the WebSocket close code. */
export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`link closed (${code}${reason ? `: ${reason}` : ''})`);
  }
}

/** `LinkSession.send` refused a message whose frame would exceed the frame size limit. */
export class LinkFrameTooLargeError extends Error {
  override readonly name = 'LinkFrameTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a link frame of ${bytes} bytes exceeds the limit of ${limit} bytes`);
  }
}

/**
 * The other side answered and then refused or closed the handshake; `code` is the WebSocket close
 * code (1006 when the socket dropped mid-handshake). A dial that never reached a WebSocket (nothing
 * listens, an unknown host) fails with the connection's own error instead.
 */
export class LinkHandshakeError extends Error {
  override readonly name = 'LinkHandshakeError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`link handshake failed (${code}${reason ? `: ${reason}` : ''})`);
  }
}
