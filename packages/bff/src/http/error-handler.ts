import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { RemoteChatError } from '../errors.js';

/**
 * Errors that Express's own parts raise for what a client sent carry a 4xx `status` (the
 * http-errors convention): body-parser's bodies, the router's undecodable `%` escapes in a path,
 * `send`'s missing files. Map them to protocol errors; anything else is ours and a 500.
 */
function fromClientError(error: unknown): RemoteChatError | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, statusCode, type, expose, message } = error as Record<string, unknown>;
  switch (type) {
    case 'entity.too.large':
      return new RemoteChatError('payload_too_large', 'The request body is too large.');
    case 'entity.parse.failed':
      return new RemoteChatError('bad_request', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
      return new RemoteChatError('bad_request', 'The request body has a Content-Encoding this server does not take.');
    case 'charset.unsupported':
      return new RemoteChatError('bad_request', 'The request body must be UTF-8 JSON.');
    case 'request.aborted':
    case 'request.size.invalid':
      return new RemoteChatError('bad_request', 'The request body ended early or does not match its Content-Length.');
  }
  const code = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : 0;
  if (code === 404) return new RemoteChatError('not_found', 'No such file or route.');
  if (code === 413) return new RemoteChatError('payload_too_large', 'The request body is too large.');
  // A corrupt compressed body, a malformed percent-escape, a bad Range: the client's doing. Only
  // messages marked for exposure say more.
  if (code >= 400 && code < 500)
    return new RemoteChatError(
      'bad_request',
      expose === true && typeof message === 'string'
        ? `The request is malformed: ${message}.`
        : 'The request is malformed.',
    );
  return null;
}

/** The one error middleware: every error becomes `{ error: { code, message } }`. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    // Part of an answer is already out: Express's default handler ends the connection.
    if (res.headersSent) return next(error);
    // The client went away (a file being sent when it closed): there is no one to answer.
    if (req.socket.destroyed) {
      logger.debug({ err: error, method: req.method, path: req.path }, 'client went away');
      return;
    }
    const known = error instanceof RemoteChatError ? error : fromClientError(error);
    if (known) {
      res.status(known.status).json(known.toBody());
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    const internal = new RemoteChatError('internal', 'Something went wrong on the server; it has been logged.');
    res.status(internal.status).json(internal.toBody());
  };
}
