import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Sources the gauges read when scraped. */
export interface MetricSources {
  streams: () => number;
  links: () => number;
  /** Entries handed to browser streams so far (thread events and log entries). */
  delivered: () => number;
}

/**
 * This instance's Prometheus metrics (`GET /metrics`), in a registry of its own so that several
 * BFFs in one process (tests, embedding) do not collide.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsStored: Counter<'topic'>;
  readonly storeSeconds: Histogram<'operation'>;
  readonly leaseChanges: Counter<'change'>;
  readonly gatewayCalls: Counter<'capability'>;
  readonly relayMessages: Counter<'direction'>;

  constructor(instanceId: string, sources: MetricSources) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ instance_id: instanceId });
    collectDefaultMetrics({ register: this.registry, prefix: 'remote_chat_' });
    new Gauge({
      name: 'remote_chat_stream_connections',
      help: 'Browser streams open on this instance',
      registers,
      collect() {
        this.set(sources.streams());
      },
    });
    new Gauge({
      name: 'remote_chat_runtime_links',
      help: 'Runtime links this instance holds (open or waiting for the runtime)',
      registers,
      collect() {
        this.set(sources.links());
      },
    });
    new Counter({
      name: 'remote_chat_events_delivered_total',
      help: 'Stored entries (thread events, log entries) handed to browser streams',
      registers,
      collect() {
        this.reset();
        this.inc(sources.delivered());
      },
    });
    this.eventsStored = new Counter({
      name: 'remote_chat_events_stored_total',
      help: 'Entries this instance stored (events from runtimes and users, log entries)',
      labelNames: ['topic'],
      registers,
    });
    this.storeSeconds = new Histogram({
      name: 'remote_chat_store_seconds',
      help: 'Time of a store commit of entries (a group commit of events, a log entry)',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.leaseChanges = new Counter({
      name: 'remote_chat_lease_changes_total',
      help: 'Runtime link leases this instance took, lost to another or released',
      labelNames: ['change'],
      registers,
    });
    this.gatewayCalls = new Counter({
      name: 'remote_chat_gateway_calls_total',
      help: 'Execution gateway requests from runtimes whose links this instance holds',
      labelNames: ['capability'],
      registers,
    });
    this.relayMessages = new Counter({
      name: 'remote_chat_relay_messages_total',
      help: 'Messages between instances (LISTEN/NOTIFY or Redis), sent and received',
      labelNames: ['direction'],
      registers,
    });
  }
}
