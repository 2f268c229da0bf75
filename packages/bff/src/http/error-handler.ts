import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { RemoteChatError } from '../errors.js';

/** body-parser's errors carry a `type`; map the ones a client causes to protocol errors. */
function fromBodyParser(error: unknown): RemoteChatError | null {
  if (typeof error !== 'object' || error === null || !('type' in error)) return null;
  switch ((error as { type: unknown }).type) {
    case 'entity.too.large':
      return new RemoteChatError('payload_too_large', 'The request body is too large.');
    case 'entity.parse.failed':
      return new RemoteChatError('bad_request', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new RemoteChatError('bad_request', 'The request body must be UTF-8 JSON.');
    default:
      return null;
  }
}

/** The one error middleware: every error becomes `{ error: { code, message } }`. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = error instanceof RemoteChatError ? error : fromBodyParser(error);
    if (known) {
      res.status(known.status).json(known.toBody());
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    const internal = new RemoteChatError('internal', 'Something went wrong on the server; it has been logged.');
    res.status(internal.status).json(internal.toBody());
  };
}
