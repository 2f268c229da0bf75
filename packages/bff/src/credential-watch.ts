/**
 * The credential a connection was opened with: a session (by its token's hash) or an API token
 * (by id; a client token names the API token that minted it, and carries its own expiry).
 */
export type Grant =
  | { kind: 'session'; sessionHash: string }
  | { kind: 'api-token'; tokenId: string; expiresAt?: number | undefined }
  /** A thread token (`/api/agent`): stands while not revoked and its thread exists. */
  | { kind: 'agent-token'; tokenId: string };

/** Checks whether a grant still stands: not revoked, not expired, not signed out. */
export type GrantCheck = (grant: Grant) => Promise<boolean>;

/** A connection opened with a grant: told once when the grant no longer stands. */
export interface GrantWatcher {
  readonly grant: Grant;
  credentialEnded(): void;
}

/** How often every watched grant is checked again. */
const CHECK_EVERY_MS = 5_000;

/**
 * Ends open connections whose credential ended: every few seconds (and at once when this BFF
 * revokes a token or a session signs out) each distinct grant of the open connections is checked
 * once, and the connections of a grant that no longer stands are told to end. Checking, rather
 * than only hearing revocations, also catches expiry and what another BFF instance revoked.
 */
export class CredentialWatch {
  private readonly watchers = new Set<GrantWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly stillStands: GrantCheck,
    private readonly onError: (error: unknown) => void,
    private readonly everyMs = CHECK_EVERY_MS,
  ) {}

  /** Calls `onEnd` once when `grant` no longer stands; returns the function that stops watching. */
  watch(grant: Grant, onEnd: () => void): () => void {
    const watcher: GrantWatcher = { grant, credentialEnded: onEnd };
    this.add(watcher);
    return () => this.remove(watcher);
  }

  /** Tells `watcher` once when its grant no longer stands, unless removed first. */
  add(watcher: GrantWatcher): void {
    this.watchers.add(watcher);
    if (!this.timer) {
      this.timer = setInterval(() => void this.checkNow(), this.everyMs);
      this.timer.unref();
    }
  }

  /** Checks every watched grant now (after a revocation); resolves when done. */
  checkNow(): Promise<void> {
    if (this.checking) {
      // A revocation during a check may have come after its grant was read: check once more.
      this.again = true;
      return this.checking;
    }
    this.checking = this.check().finally(() => {
      this.checking = undefined;
      if (this.again) {
        this.again = false;
        void this.checkNow();
      }
    });
    return this.checking;
  }

  /** Stops checking; the watched connections are the caller's to close. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watchers.clear();
  }

  private async check(): Promise<void> {
    const byGrant = new Map<string, GrantWatcher[]>();
    for (const watcher of this.watchers) {
      const key = JSON.stringify(watcher.grant);
      const same = byGrant.get(key);
      if (same) same.push(watcher);
      else byGrant.set(key, [watcher]);
    }
    await Promise.all(
      [...byGrant.values()].map(async (watchers) => {
        let stands: boolean;
        try {
          stands = await this.stillStands(watchers[0]!.grant);
        } catch (error) {
          // The store is unavailable: keep the connections rather than drop everyone.
          this.onError(error);
          return;
        }
        if (stands) return;
        for (const watcher of watchers) {
          if (!this.watchers.has(watcher)) continue;
          this.remove(watcher);
          watcher.credentialEnded();
        }
      }),
    );
  }

  /** Stops watching for `watcher` (harmless if it was not watched). */
  remove(watcher: GrantWatcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
