/**
 * A token as the host site's backend issued it: the answer of the BFF's `POST /api/client-tokens`
 * (`{ token, expiresAt }`) can be passed through as it is.
 */
export interface IssuedToken {
  /** The bearer token, `rcc_…` for a client token. */
  token: string;
  /**
   * When it stops working: an ISO timestamp, a `Date` or milliseconds since the epoch. Without
   * it, the token is used until the BFF refuses it, then refreshed once.
   */
  expiresAt?: string | number | Date | null | undefined;
}

/**
 * Gets a fresh token from the host page, which usually asks its own backend. It is called when
 * the client has no token yet, shortly before the current one expires, and once after the BFF
 * refused one; never twice at the same time.
 */
export type TokenProvider = () => Promise<string | IssuedToken>;

/** A fixed bearer token, or the function that gets a fresh one. */
export type TokenSource = string | TokenProvider;

/** How long before `expiresAt` a token is refreshed: a fifth of its lifetime, at most a minute. */
const REFRESH_MARGIN = { fraction: 0.2, maxMs: 60_000 } as const;

interface CurrentToken {
  readonly token: string;
  /** From this time on, `get()` refreshes first; undefined: until the BFF refuses it. */
  readonly refreshAt: number | undefined;
}

/**
 * The bearer token a client sends: hands out the current one, refreshes it before it expires,
 * and renews it after the BFF refused it, with one refresh at a time however many requests ask.
 */
export class BearerToken {
  private current: CurrentToken | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    readonly source: TokenSource,
    private readonly now: () => number = () => Date.now(),
  ) {
    if (typeof source === 'string') this.current = { token: source, refreshAt: undefined };
  }

  /** Whether a refused token can be replaced by another. */
  get refreshable(): boolean {
    return typeof this.source === 'function';
  }

  /** The token to send now; refreshes first if there is none yet or it is about to expire. */
  get(): Promise<string> {
    const current = this.current;
    if (current && (current.refreshAt === undefined || this.now() < current.refreshAt))
      return Promise.resolve(current.token);
    return this.refresh();
  }

  /**
   * The BFF refused `stale`: a new token, or undefined if a fixed token cannot be replaced.
   * Requests that were refused together share one refresh, and one that comes back after
   * another request already renewed the token just gets the new one.
   */
  async renew(stale: string): Promise<string | undefined> {
    if (!this.refreshable) return undefined;
    if (this.pending) return this.pending;
    if (this.current && this.current.token !== stale) return this.get();
    this.current = undefined;
    return this.refresh();
  }

  private refresh(): Promise<string> {
    const source = this.source;
    if (typeof source === 'string') return Promise.resolve(source);
    this.pending ??= (async () => {
      try {
        const requestedAt = this.now();
        const issued = await source();
        const token = typeof issued === 'string' ? issued : issued?.token;
        if (typeof token !== 'string' || token === '') throw new TypeError('The token provider returned no token.');
        const expiresAt = typeof issued === 'string' ? undefined : toMillis(issued.expiresAt);
        this.current = { token, refreshAt: refreshTime(requestedAt, expiresAt) };
        return token;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

function toMillis(value: IssuedToken['expiresAt']): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function refreshTime(requestedAt: number, expiresAt: number | undefined): number | undefined {
  if (expiresAt === undefined) return undefined;
  const lifetime = Math.max(0, expiresAt - requestedAt);
  return expiresAt - Math.min(REFRESH_MARGIN.maxMs, lifetime * REFRESH_MARGIN.fraction);
}
