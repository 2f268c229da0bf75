import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket } from './rate-limiter.js';

describe('rate limits', () => {
  it('allows a burst, then one take per refill interval, and says how long to wait', () => {
    const bucket = new TokenBucket({ burst: 3, perMinute: 6 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    // Six a minute: one every 10 s.
    expect(bucket.take(0)).toBe(10);
    expect(bucket.take(5_000)).toBe(5);
    expect(bucket.take(10_000)).toBe(0);
    expect(bucket.take(10_000)).toBe(10);
  });

  it('refills no further than the burst, however long it was idle', () => {
    const bucket = new TokenBucket({ burst: 2, perMinute: 60 }, 0);
    const takes = Array.from({ length: 4 }, () => bucket.take(3_600_000));
    expect(takes.map((wait) => wait === 0)).toEqual([true, true, false, false]);
  });

  it('keeps one bucket per client, so one client spending its own slows nobody else', () => {
    const limiter = new RateLimiter({ burst: 1, perMinute: 1 });
    expect(limiter.take('10.0.0.1', 0)).toBe(0);
    expect(limiter.take('10.0.0.1', 0)).toBe(60);
    expect(limiter.take('10.0.0.2', 0)).toBe(0);
  });
});
