/** A private PostgreSQL cluster on loopback (see postgres-cluster.mjs). */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  /** The PostgreSQL major version, such as `15`. */
  version: string;
  /** Stops the cluster and removes its folder; a second call does nothing. */
  stop(): void;
}
export function findPostgres(): { bin: string; version: string } | null;
export function startPostgresCluster(options?: { prefix?: string }): Promise<PostgresCluster>;
