import type { Logger } from 'pino';
import { ConfigError } from '../gateway/gateway-config.js';
import { clusterName, Relay, type RelayedHub } from './relay.js';
import { PostgresTransport, RedisTransport } from './transports.js';

/** Whether a database URL is Postgres, where several instances may share the store. */
export const isPostgresUrl = (url: string | undefined): url is string => !!url && /^postgres(ql)?:\/\//.test(url);

/**
 * The relay between this instance and the others on the same Postgres: through Redis when
 * `redisUrl` is set, else through Postgres `LISTEN/NOTIFY`; none on SQLite (one instance).
 */
export async function startRelay(options: {
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  relayRecheckMs?: number | undefined;
  instanceId: string;
  hub: RelayedHub;
  logger: Logger;
  onTraffic?: (direction: 'in' | 'out') => void;
}): Promise<Relay | null> {
  const { databaseUrl, redisUrl, logger } = options;
  if (!isPostgresUrl(databaseUrl)) {
    if (redisUrl) throw new ConfigError('REDIS_URL needs a Postgres DATABASE_URL: instances share the store');
    return null;
  }
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    throw new ConfigError(`REDIS_URL must start with redis:// or rediss:// (got "${redisUrl.split(':')[0]}:…")`);
  const transport = redisUrl
    ? new RedisTransport(redisUrl, `remote-chat:${clusterName(databaseUrl)}`, logger)
    : new PostgresTransport(databaseUrl, logger);
  return Relay.start({
    instanceId: options.instanceId,
    transport,
    hub: options.hub,
    logger,
    ...(options.onTraffic && { onTraffic: options.onTraffic }),
    ...(options.relayRecheckMs !== undefined && { recheckMs: options.relayRecheckMs }),
  });
}
