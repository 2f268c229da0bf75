import type { RequestHandler } from 'express';
import { RemoteChatError } from '../errors.js';
import { isSameOrigin } from './origins.js';

/**
 * CORS for the allow-listed origins only; requests from any other foreign origin (and from an
 * `Origin` that is no URL at all) are refused. Cross-origin pages authenticate with a bearer
 * client token, never with our cookie, so credentials are not allowed cross-origin.
 */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin === undefined || isSameOrigin(req, origin)) return next();
    // A page elsewhere gets nothing, not even a preflight: refusing here is simpler to reason
    // about than relying on browsers to hide the answer.
    if (!allowedOrigins.includes(origin)) return next(new RemoteChatError('forbidden', 'This origin is not allowed.'));
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-GitHub-Token');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}
