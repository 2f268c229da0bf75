/** How fast something may happen: `burst` at once, then `perMinute` a minute on average. */
export interface RateLimitOptions {
  /** Takes allowed in a burst (the bucket's size; a new bucket starts full). */
  burst: number;
  /** Takes regained per minute. */
  perMinute: number;
}

/** A token bucket: the one rate limit of the BFF, for HTTP attempts and stream frames alike. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly options: RateLimitOptions,
    now = Date.now(),
  ) {
    this.tokens = options.burst;
    this.at = now;
  }

  /** When the bucket was last drawn from (or made). */
  get lastTake(): number {
    return this.at;
  }

  /** Takes one; returns the seconds to wait before one is allowed again, or 0 if this one is. */
  take(now = Date.now()): number {
    const { burst, perMinute } = this.options;
    this.tokens = Math.min(burst, this.tokens + ((now - this.at) / 60_000) * perMinute);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / perMinute) * 60);
  }
}

/** Buckets idle this long are forgotten once there are many (a full one would be the same). */
const IDLE_MS = 10 * 60_000;
const MAX_BUCKETS = 10_000;

/**
 * A token bucket per key (a client address), so that a client that keeps guessing (sign-in links,
 * tokens) slows to the refill rate without slowing anyone else.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Takes one for `key`; returns the seconds to wait, or 0 if allowed. */
  take(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key) ?? new TokenBucket(this.options, now);
    const wait = bucket.take(now);
    if (this.buckets.size > MAX_BUCKETS) this.prune(now);
    this.buckets.set(key, bucket);
    return wait;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.lastTake > IDLE_MS) this.buckets.delete(key);
    }
  }
}

/**
 * What one socket of a runtime link may send (each socket gets its own budget, so a peer that
 * floods slows no other runtime's link). Data frames (a runtime's events) are allowed far more
 * than a runtime's outbox and output buffering let through (one runtime on SQLite stores about
 * 20,000 events a second); everything else (acks, pings, pongs) a runtime sends a few times a
 * second, so a flood of those ends within a fraction of a second.
 */
export const LINK_FRAME_LIMITS = {
  data: { burst: 50_000, perMinute: 50_000 * 60 },
  control: { burst: 200, perMinute: 100 * 60 },
} as const satisfies Record<'data' | 'control', RateLimitOptions>;

/** A fresh frame budget for one link socket: asked once per frame with its type, true admits it. */
export function linkFrameGate(limits: Record<'data' | 'control', RateLimitOptions> = LINK_FRAME_LIMITS) {
  const data = new TokenBucket(limits.data);
  const control = new TokenBucket(limits.control);
  return (type: string): boolean => (type === 'data' ? data : control).take() === 0;
}
