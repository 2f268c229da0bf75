import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';

export interface TransportHandlers {
  onMessage: (payload: string) => void;
  /** Listening (again) after a time it was not: messages sent meanwhile were missed. */
  onResync: () => void;
}

/** How instances reach each other: a channel every instance listens on and sends to. */
export interface Transport {
  /** The largest payload `send` takes. */
  readonly maxPayloadBytes: number;
  /** Resolves once listening; keeps listening across reconnects until `close`. */
  start(handlers: TransportHandlers): Promise<void>;
  send(payload: string): Promise<void>;
  close(): Promise<void>;
}

/** The Postgres channel of a cluster (each database is its own cluster). */
const PG_CHANNEL = 'remote_chat_relay';

/**
 * Postgres `LISTEN/NOTIFY` on one connection of its own, which also sends (a NOTIFY payload must
 * be under 8000 bytes). A dropped connection is made again after a second, then resyncs.
 */
export class PostgresTransport implements Transport {
  readonly maxPayloadBytes = 7900;
  private client: pg.Client | null = null;
  private closed = false;
  private handlers: TransportHandlers | null = null;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
  ) {}

  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (n) => {
      if (n.channel === PG_CHANNEL && n.payload) this.handlers?.onMessage(n.payload);
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error.message }, 'the LISTEN connection failed; making it again');
      this.dropped(client);
    });
    client.on('end', () => this.dropped(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${PG_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) await client.end();
    else this.client = client;
  }

  private dropped(client: pg.Client): void {
    if (this.closed || this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.connectLater();
  }

  private connectLater(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.connect().then(
        () => this.handlers?.onResync(),
        (error: unknown) => {
          this.logger.warn({ err: String(error) }, 'listening on Postgres failed; trying again');
          if (!this.closed) this.connectLater();
        },
      );
    }, 1000);
  }

  async send(payload: string): Promise<void> {
    if (!this.client) throw new Error('not connected to Postgres');
    await this.client.query('SELECT pg_notify($1, $2)', [PG_CHANNEL, payload]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}

/** Redis pub/sub: one connection subscribed, one publishing; ioredis reconnects both, then we resync. */
export class RedisTransport implements Transport {
  readonly maxPayloadBytes = 1024 * 1024;
  private readonly subscriber: Redis;
  private readonly publisher: Redis;

  constructor(
    url: string,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 2 };
    this.subscriber = new Redis(url, options);
    this.publisher = new Redis(url, options);
    for (const connection of [this.subscriber, this.publisher])
      connection.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'Redis connection failed'));
  }

  async start(handlers: TransportHandlers): Promise<void> {
    this.subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) handlers.onMessage(payload);
    });
    await Promise.all([this.subscriber.connect(), this.publisher.connect()]);
    await this.subscriber.subscribe(this.channel);
    // ioredis subscribes again after a reconnect and then emits `ready`.
    this.subscriber.on('ready', () => handlers.onResync());
  }

  async send(payload: string): Promise<void> {
    await this.publisher.publish(this.channel, payload);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}
