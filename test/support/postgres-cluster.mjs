// A private PostgreSQL cluster on loopback, shared by the tests (test/support/global-setup.ts) and
// the benchmarks (bench/lib/harness.mjs). Plain JavaScript so that both can import it.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.mjs';

const ROOT = '/usr/lib/postgresql';

/**
 * The newest installed PostgreSQL (Debian's layout), or null when there is none.
 * @returns {{ bin: string; version: string } | null}
 */
export function findPostgres() {
  const versions = existsSync(ROOT) ? readdirSync(ROOT).sort((a, b) => Number(b) - Number(a)) : [];
  const version = versions.find((v) => existsSync(join(ROOT, v, 'bin', 'pg_ctl')));
  return version === undefined ? null : { bin: join(ROOT, version, 'bin'), version };
}

/**
 * Starts a throwaway cluster: initdb with trust auth, loopback only, fsync on (durability costs
 * what it costs in production). PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user. Throws when PostgreSQL is not installed.
 * @param {{ prefix?: string }} [options] `prefix`: of the temporary folder. Default `rc-pg-`.
 * @returns {Promise<import('./postgres-cluster.d.mts').PostgresCluster>}
 */
export async function startPostgresCluster({ prefix = 'rc-pg-' } = {}) {
  const found = findPostgres();
  if (!found)
    throw new Error('PostgreSQL is not installed: `apt-get install -y postgresql` (the store tests run on it)');
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  const asRoot = process.getuid?.() === 0;
  /** @param {string} cmd @param {string[]} args */
  const run = (cmd, args) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(found.bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(join(found.bin, cmd), args, { stdio: 'pipe' });
  const port = await freePort();
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'pg.log'),
    '-w',
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=on -c max_connections=200`,
    'start',
  ]);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version: found.version,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
