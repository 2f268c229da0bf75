import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { RemoteChatError } from '../errors.js';

/** A lone UTF-16 surrogate: JSON can escape one (`"\ud800"`), but it is no text, and stores replace it. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * Whether any string in a parsed JSON value, key or value, holds a lone surrogate. A loop, not a
 * recursion: a body of `[[[[…]]]]` nests as deep as its size allows.
 */
function holdsLoneSurrogate(body: unknown): boolean {
  const pending: unknown[] = [body];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return true;
    } else if (Array.isArray(value)) {
      pending.push(...value);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

/** Whether a request carries a body: a `Content-Length` above 0 or a chunked one. */
function carriesBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > 0;
}

/**
 * Parses a JSON body (`Content-Type: application/json`, at most `limit` bytes) into `req.body`,
 * and refuses what would otherwise reach a handler altered or not at all: a body of another type
 * (never read as an empty object), bytes that are not UTF-8 (never turned into U+FFFD), and lone
 * surrogates. A request without a body leaves `req.body` undefined.
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({
    limit,
    strict: true,
    verify: (_req, _res, bytes) => {
      if (!isUtf8(bytes)) throw new RemoteChatError('bad_request', 'The request body is not valid UTF-8.');
    },
  });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (req.body === undefined && carriesBody(req))
        return next(new RemoteChatError('bad_request', 'Send the body as JSON, with Content-Type: application/json.'));
      if (holdsLoneSurrogate(req.body))
        return next(new RemoteChatError('bad_request', 'The request body holds a lone surrogate (\\uD800–\\uDFFF).'));
      next();
    });
  };
}
