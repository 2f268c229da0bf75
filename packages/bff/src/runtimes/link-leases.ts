import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { RuntimeRecord, Store } from '../store/store.js';
import type { LiveLinks } from './live-links.js';
import { ENDED } from './supervisor.js';

export interface LinkLeasesOptions {
  store: Store;
  links: LiveLinks;
  instanceId: string;
  /** How long a lease lasts without a heartbeat; heartbeats come three times as often. */
  ttlMs: number;
  logger: Logger;
  /** Hears each lease taken, lost to another instance or released (metrics). */
  onChange?: (change: 'taken' | 'lost' | 'released', count: number) => void;
  /** Re-attaches a runtime whose holder stopped renewing its lease; false if another took it first. */
  reattach: (record: RuntimeRecord) => Promise<boolean>;
}

/**
 * Link ownership across the instances of a cluster: the instance that holds a runtime's link holds
 * its lease in the store and renews it on a heartbeat. A renewal that finds the lease taken (the
 * runtime dialled another instance) drops the link here; the heartbeat also numbers messages other
 * instances handed off into each held runtime's outbox (in case the relay's nudge was lost), and
 * re-attaches sandboxes whose holder died, once their lease has expired.
 */
export class LinkLeases {
  private readonly timer: NodeJS.Timeout;
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly options: LinkLeasesOptions) {
    this.timer = setInterval(
      () => {
        this.beating = this.beating.then(() => this.beat());
      },
      Math.max(100, options.ttlMs / 3),
    );
    this.timer.unref();
  }

  async take(runtimeId: string, force: boolean): Promise<boolean> {
    const { store, instanceId, ttlMs } = this.options;
    const taken = await store.takeLease(runtimeId, instanceId, ttlMs, force);
    if (taken) this.options.onChange?.('taken', 1);
    return taken;
  }

  /** A relay message: another instance handed off messages for `runtimeId`. */
  async handedOff(runtimeId: string): Promise<void> {
    const live = this.options.links.get(runtimeId);
    if (live) await this.options.links.claimHandoffs(live);
  }

  private async beat(): Promise<void> {
    const { store, links, instanceId, ttlMs, logger } = this.options;
    try {
      const lives = links.all();
      const held = new Set(
        await store.renewLeases(
          instanceId,
          lives.map((live) => live.id),
          ttlMs,
        ),
      );
      for (const live of lives) {
        if (held.has(live.id)) {
          void links
            .claimHandoffs(live)
            .catch((error: unknown) =>
              logger.warn({ runtimeId: live.id, err: errorMessage(error) }, 'cannot take handed-off messages'),
            );
          continue;
        }
        logger.info({ runtimeId: live.id }, 'another instance holds this runtime now; letting its link go');
        this.options.onChange?.('lost', 1);
        await links.forget(live);
      }
      await this.adoptOrphans();
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, 'the lease heartbeat failed');
    }
  }

  /** Sandboxes no live instance holds (their lease expired): re-attached here if this one takes it. */
  private async adoptOrphans(): Promise<void> {
    const { store, links } = this.options;
    const records = await store.listRuntimes(null);
    for (const record of records) {
      if (record.kind !== 'sandbox' || record.status === 'starting' || links.has(record.id)) continue;
      if (ENDED.has(record.status)) continue;
      if (!(await this.take(record.id, false))) continue;
      this.options.logger.info({ runtimeId: record.id }, 'its holder is gone; re-attaching the runtime here');
      await this.options.reattach(record);
    }
  }

  /** Stops the heartbeat; with `release`, lets every lease of this instance go for others to take at once. */
  async close(release: boolean): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    if (!release) return;
    this.options.onChange?.('released', this.options.links.all().length);
    await this.options.store.releaseLeases(this.options.instanceId);
  }
}
