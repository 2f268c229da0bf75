import type { RequestHandler } from 'express';
import { RemoteChatError } from '../errors.js';

export interface RateLimitOptions {
  /** Requests allowed in a burst. */
  burst: number;
  /** Requests regained per minute. */
  perMinute: number;
}

/**
 * A token bucket per client address. Spent buckets answer 429 with `Retry-After`, so a client that
 * keeps guessing (sign-in links, tokens) slows to the refill rate.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Takes one request for `key`; returns the seconds to wait, or 0 if allowed. */
  take(key: string, now = Date.now()): number {
    const { burst, perMinute } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
    bucket.at = now;
    if (this.buckets.size > 10_000) this.prune(now);
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / perMinute) * 60);
  }

  /** Express middleware that limits by the client's address. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const wait = this.take(req.ip ?? 'unknown');
      if (wait === 0) return next();
      res.setHeader('Retry-After', String(wait));
      next(new RemoteChatError('rate_limited', `Too many attempts; try again in ${wait} s.`));
    };
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at > 10 * 60_000) this.buckets.delete(key);
    }
  }
}
