import type { TokenExpiredDetail } from '../events/token-expired-event.js';
import { BearerToken, type TokenSource } from './bearer-token.js';
import { TokenError, describeError, type TokenFailure } from './errors.js';

/** A token a request was sent with, and the `BearerToken` it came from: the one to renew if refused. */
export interface SentToken {
  readonly bearer: BearerToken;
  readonly token: string;
}

/**
 * The token a client signs its requests with, in token mode: the current `BearerToken` (replaced
 * by `replace`), refreshed through it, and its lapses: when the provider fails or the BFF refuses
 * even a fresh token, `onLapse` hears of it once, until a request succeeds with a token again.
 * Without a token source the client relies on the session cookie and nothing here applies.
 */
export class TokenSession {
  private bearer: BearerToken | undefined;
  /** A lapse was reported and no request has succeeded with a token since. */
  private lapsed = false;

  constructor(
    source: TokenSource | undefined,
    private readonly onLapse: (detail: TokenExpiredDetail) => void,
  ) {
    if (source) this.bearer = new BearerToken(source);
  }

  /** The token or token provider requests are signed with; undefined: the session cookie. */
  get source(): TokenSource | undefined {
    return this.bearer?.source;
  }

  /**
   * Signs requests from now on with `source` (undefined: the session cookie). Answers whether a
   * lapse was pending, which the new token is the host page's answer to.
   */
  replace(source: TokenSource | undefined): boolean {
    if (source === this.bearer?.source) return false;
    this.bearer = source ? new BearerToken(source) : undefined;
    const lapsed = this.lapsed;
    this.lapsed = false;
    return lapsed;
  }

  /** The token to send now; undefined without a token source. A provider that fails is a lapse. */
  async current(): Promise<SentToken | undefined> {
    const bearer = this.bearer;
    if (!bearer) return undefined;
    try {
      return { bearer, token: await bearer.get() };
    } catch (error) {
      throw this.refreshFailed(bearer, error);
    }
  }

  /** A new token after `sent` was refused; undefined when a fixed token cannot be replaced. */
  async renew(sent: SentToken): Promise<SentToken | undefined> {
    try {
      const token = await sent.bearer.renew(sent.token);
      return token === undefined ? undefined : { bearer: sent.bearer, token };
    } catch (error) {
      throw this.refreshFailed(sent.bearer, error);
    }
  }

  /** A request signed with `sent` succeeded: the next lapse of the current token is reported again. */
  accepted(sent: SentToken): void {
    if (sent.bearer === this.bearer) this.lapsed = false;
  }

  /** A fresh start (the BFF accepted a token, or the host asked to reconnect): the next lapse is reported again. */
  clearLapse(): void {
    this.lapsed = false;
  }

  /** Reports a lapse, once until a request succeeds again. */
  lapse(reason: TokenFailure, message: string, error: unknown): void {
    if (this.lapsed) return;
    this.lapsed = true;
    this.onLapse({ reason, message, error });
  }

  private refreshFailed(bearer: BearerToken, error: unknown): TokenError {
    const failure = new TokenError(
      'refresh-failed',
      `This page could not get a sign-in token for the chat: ${describeError(error)}`,
      {
        cause: error,
      },
    );
    if (bearer === this.bearer) this.lapse('refresh-failed', failure.message, error);
    return failure;
  }
}
