// 9. Providers: New → `ready` for each provider, beside the `process` provider in the same run,
// through the public API (POST /api/runtimes, then the runtime read until it is ready). E2B and
// Daytona run against the local stand-ins (test/support/*-standin.ts, built here with esbuild),
// whose sandboxes are bubblewrap namespaces on this machine: the figures measure our steps and the
// official SDKs' round trips, not a cloud's sandbox boot; ssh runs against a real sshd on loopback. Then resume from pause → first output:
// a paused sandbox is sent `echo`, timed until its output arrives, beside the same message to a
// ready `process` runtime.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as h from '../lib/harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The stand-ins, bundled from TypeScript into node_modules/.cache (so their imports resolve). */
async function loadStandins() {
  const outdir = `${root}node_modules/.cache/remote-chat-bench`;
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: {
      e2b: `${root}test/support/e2b-standin.ts`,
      daytona: `${root}test/support/daytona-standin.ts`,
      sshd: `${root}test/support/sshd.ts`,
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
  });
  const [e2b, daytona, sshd] = await Promise.all(
    ['e2b', 'daytona', 'sshd'].map((name) => import(`${outdir}/${name}.mjs`)),
  );
  return { e2b, daytona, sshd };
}

/** Creates a runtime and reads it until ready: milliseconds from the POST. */
async function newToReady(bff, auth, provider) {
  const started = h.now();
  const runtime = await h.api(bff.url, auth.cookie, '/api/runtimes', { provider });
  for (;;) {
    const current = await h.api(bff.url, auth.cookie, `/api/runtimes/${runtime.id}`);
    if (current.status === 'ready') return { ms: h.now() - started, id: runtime.id };
    if (current.status === 'failed') {
      const log = await h.api(bff.url, auth.cookie, `/api/runtimes/${runtime.id}/log`);
      throw new Error(`${provider} runtime failed: ${JSON.stringify(log.entries.slice(-3))}`);
    }
    if (h.now() - started > 60_000) throw new Error(`${provider} runtime not ready in 60 s`);
    await h.sleep(5);
  }
}

/** Sends `echo` and reads the thread until the output is there: milliseconds from the POST. */
async function messageToOutput(bff, auth, threadId) {
  const marker = `out-${Math.random().toString(36).slice(2)}`;
  const started = h.now();
  await h.api(bff.url, auth.cookie, `/api/threads/${threadId}/messages`, {
    clientId: `bench-${marker}`,
    text: `echo ${marker}`,
  });
  for (;;) {
    const { events } = await h.api(bff.url, auth.cookie, `/api/threads/${threadId}/events?after=0`);
    if (events.some((e) => e.kind === 'tool.output' && e.data.includes(marker))) return h.now() - started;
    if (h.now() - started > 60_000) throw new Error('no output in 60 s');
    await h.sleep(5);
  }
}

async function waitStatus(bff, auth, id, status) {
  const deadline = h.now() + 60_000;
  while ((await h.api(bff.url, auth.cookie, `/api/runtimes/${id}`)).status !== status) {
    if (h.now() > deadline) throw new Error(`runtime ${id} not ${status} in 60 s`);
    await h.sleep(20);
  }
}

export async function providers({ quick, log }) {
  const rounds = quick ? 2 : 5;
  const { e2b, daytona, sshd } = await loadStandins();
  const e2bStandin = await e2b.startE2bStandin();
  const daytonaStandin = await daytona.startDaytonaStandin();
  // A real OpenSSH server on loopback, where this machine has one (Debian's openssh-server).
  const sshServer = existsSync('/usr/sbin/sshd') ? await sshd.startSshd() : null;
  if (!sshServer) log('  no /usr/sbin/sshd: the ssh row is skipped');
  const env = {
    ...e2bStandin.env,
    ...daytonaStandin.env,
    ...(sshServer && {
      REMOTE_CHAT_SSH_HOST: sshServer.host,
      REMOTE_CHAT_SSH_PORT: String(sshServer.port),
      REMOTE_CHAT_SSH_USER: sshServer.user,
      REMOTE_CHAT_SSH_KEY: sshServer.keyFile,
      REMOTE_CHAT_SSH_KNOWN_HOSTS: sshServer.knownHostsFile,
      REMOTE_CHAT_SSH_DIR: `${sshServer.remoteDir}/runtimes`,
      REMOTE_CHAT_SSH_AUDIENCE: 'all',
    }),
  };
  // Idle pause after 3 s, so the resume rows have something to resume.
  const bff = await h.startBff(
    { dataDir: h.tempDir(), env, processProviderFor: 'all', idleTimeoutMs: 3000, idleCheckMs: 100 },
    { execArgv: ['--import', `${root}test/support/localhost-subdomains.mjs`] },
  );
  const rows = [];
  const detail = {};
  let auth;
  try {
    auth = await h.owner(bff);
    const names = ['process', 'e2b', 'daytona', ...(sshServer ? ['ssh'] : [])];
    const times = Object.fromEntries(names.map((n) => [n, []]));
    const made = Object.fromEntries(names.map((n) => [n, []]));
    // Interleaved, so the machine's noise falls on every provider alike.
    for (let round = 0; round < rounds; round++) {
      for (const name of names) {
        const { ms, id } = await newToReady(bff, auth, name);
        times[name].push(ms);
        made[name].push(id);
        log(`  ${name} new → ready ${ms.toFixed(0)} ms`);
      }
    }
    const base = h.median(times.process);
    for (const name of names) {
      const value = h.median(times[name]);
      rows.push({
        id: `providers.ready.${name}`,
        name: `New → ready, ${name}${{ process: '', ssh: ' (sshd on loopback)' }[name] ?? ' (stand-in)'} (median of ${rounds})`,
        value,
        unit: 'ms',
        ...(name !== 'process' && { baseline: base, ratio: value / base }),
      });
    }
    detail.newToReady = times;

    // Resume: one thread per pausable provider, paused by the idle window, then a message.
    const warm = [];
    const resumed = { e2b: [], daytona: [] };
    const threads = {};
    for (const name of ['e2b', 'daytona']) threads[name] = await h.newThread(bff, auth, made[name][0]);
    for (let round = 0; round < Math.min(rounds, 3); round++) {
      for (const name of ['e2b', 'daytona']) {
        await waitStatus(bff, auth, made[name][0], 'paused');
        const ms = await messageToOutput(bff, auth, threads[name]);
        resumed[name].push(ms);
        log(`  ${name} resume → first output ${ms.toFixed(0)} ms`);
      }
      // The process runtime was stopped by the same idle window: a fresh one for the baseline.
      const { id } = await newToReady(bff, auth, 'process');
      const thread = await h.newThread(bff, auth, id);
      warm.push(await messageToOutput(bff, auth, thread));
    }
    const warmMedian = h.median(warm);
    for (const name of ['e2b', 'daytona']) {
      const value = h.median(resumed[name]);
      rows.push({
        id: `providers.resume.${name}`,
        name: `Resume from pause → first output, ${name} (stand-in; baseline: a message to a ready process runtime)`,
        value,
        unit: 'ms',
        baseline: warmMedian,
        ratio: value / warmMedian,
      });
    }
    detail.resume = { ...resumed, warmProcess: warm };
  } finally {
    // Deleted through the BFF, so every provider tears its runtimes down (an SSH host's outlive us).
    try {
      await h.deleteRuntimes(bff, auth);
    } catch (error) {
      log(`  could not delete the runtimes: ${error.message}`);
    }
    await bff.close();
    await e2bStandin.close();
    await daytonaStandin.close();
    await sshServer?.stop();
  }
  return { rows, detail };
}
