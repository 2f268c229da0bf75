import type { RequestHandler } from 'express';
import { RemoteChatError } from '../errors.js';
import type { RateLimiter } from '../rate-limiter.js';

/**
 * Express middleware that limits requests by the client's address. A spent bucket answers 429
 * with `Retry-After`.
 */
export function rateLimit(limiter: RateLimiter): RequestHandler {
  return (req, res, next) => {
    const wait = limiter.take(req.ip ?? 'unknown');
    if (wait === 0) return next();
    res.setHeader('Retry-After', String(wait));
    next(new RemoteChatError('rate_limited', `Too many attempts; try again in ${wait} s.`));
  };
}
