import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Hub, HubRelay } from '../hub.js';

/** The part of a hub a relay drives (any hub: these do not depend on its entries). */
export type RelayedHub = Pick<Hub, 'attach' | 'advanced' | 'recheck' | 'notifyHere'>;
import type { Transport } from './transports.js';

/**
 * What instances tell each other: who sends it, the highest seq per seq topic committed since the
 * last message, and plain-topic messages. Bodies of seq topics never travel: the store has them.
 */
const RelayMessageSchema = z.object({
  from: z.string(),
  seqs: z.array(z.tuple([z.string(), z.number().int().nonnegative()])).optional(),
  notes: z.array(z.tuple([z.string(), z.unknown()])).optional(),
});
type RelayMessage = z.infer<typeof RelayMessageSchema>;

export interface RelayOptions {
  instanceId: string;
  transport: Transport;
  hub: RelayedHub;
  logger: Logger;
  /** How often every followed topic is read again, in case an announcement was lost. @default 5000 */
  recheckMs?: number;
  /** Hears each message sent and received, for metrics. */
  onTraffic?: (direction: 'in' | 'out', message: RelayMessage) => void;
}

/**
 * Connects this instance's hub to the others': after each tick in which it published, one message
 * carries the highest seq per topic (a group commit of many events costs one message) and the
 * plain-topic messages; messages from the others make the hub read the store and fan out. A lost
 * message costs latency, never data: the hub re-reads every followed topic on a slow timer and
 * whenever the transport reconnects.
 */
export class Relay implements HubRelay {
  private seqs = new Map<string, number>();
  private notes: Array<[string, unknown]> = [];
  private scheduled = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly options: RelayOptions) {
    this.timer = setInterval(() => this.hub.recheck(), options.recheckMs ?? 5000);
    this.timer.unref();
  }

  private get hub(): RelayedHub {
    return this.options.hub;
  }

  /** Starts listening and attaches the relay to the hub. */
  static async start(options: RelayOptions): Promise<Relay> {
    const relay = new Relay(options);
    await options.transport.start({
      onMessage: (payload) => relay.receive(payload),
      // Announcements sent while we were not listening are gone: read what they announced.
      onResync: () => relay.hub.recheck(),
    });
    relay.hub.attach(relay);
    return relay;
  }

  announce(topic: string, seq: number): void {
    if (seq > (this.seqs.get(topic) ?? 0)) this.seqs.set(topic, seq);
    this.schedule();
  }

  broadcast(channel: string, message: unknown): void {
    this.notes.push([channel, message]);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const seqs = [...this.seqs];
    const notes = this.notes;
    this.seqs = new Map();
    this.notes = [];
    const max = this.options.transport.maxPayloadBytes;
    // Split to fit the transport (Postgres NOTIFY takes < 8000 bytes): topics first, then notes.
    const batches: RelayMessage[] = [];
    let current: RelayMessage = { from: this.options.instanceId };
    let size = JSON.stringify(current).length + 32;
    const add = (key: 'seqs' | 'notes', item: [string, number] | [string, unknown]) => {
      const bytes = Buffer.byteLength(JSON.stringify(item)) + 1;
      if (bytes + 64 > max) {
        this.options.logger.warn(
          { channel: item[0], bytes },
          'a live update is too large to relay; others see it on reload',
        );
        return;
      }
      if (size + bytes > max) {
        batches.push(current);
        current = { from: this.options.instanceId };
        size = JSON.stringify(current).length + 32;
      }
      ((current[key] ??= []) as unknown[]).push(item);
      size += bytes;
    };
    for (const item of seqs) add('seqs', item);
    for (const item of notes) add('notes', item);
    if (current.seqs || current.notes) batches.push(current);
    for (const message of batches) {
      this.options.onTraffic?.('out', message);
      this.options.transport.send(JSON.stringify(message)).catch((error: unknown) =>
        // The others' recheck timer reads it soon; nothing is lost.
        this.options.logger.warn({ err: String(error) }, 'relaying to the other instances failed'),
      );
    }
  }

  private receive(payload: string): void {
    let message: RelayMessage;
    try {
      message = RelayMessageSchema.parse(JSON.parse(payload));
    } catch {
      this.options.logger.warn('an unreadable relay message was ignored');
      return;
    }
    if (message.from === this.options.instanceId) return;
    this.options.onTraffic?.('in', message);
    for (const [topic, seq] of message.seqs ?? []) this.hub.advanced(topic, seq);
    for (const [channel, note] of message.notes ?? []) this.hub.notifyHere(channel, note);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.scheduled) this.flush();
    await this.options.transport.close();
  }
}

/** A short name for a database, so clusters on different databases share a Redis without crossing. */
export function clusterName(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return createHash('sha256').update(`${url.hostname}:${url.port}${url.pathname}`).digest('hex').slice(0, 16);
}
