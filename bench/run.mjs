#!/usr/bin/env node
// `npm run bench`: builds, runs the benchmarks against the built packages, prints one markdown
// table (paste it into the README) and writes bench/results.json. `--help` lists the scenarios.
// Progress goes to stderr, the table to stdout.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Every scenario, in the order they run, with what it measures (the names `--only` takes). */
const SCENARIOS = {
  latency: 'relay latency runtime → BFF → browser, one event at a time, beside a bare ws relay',
  throughput: 'one runtime as fast as accepted to 1 / 10 / 100 subscribers (SQLite, Postgres)',
  replay: 'a 100,000-event thread to a fresh subscriber: first event and all',
  recovery: 'BFF SIGKILL → restart → the stream resumed; every event once, in order',
  memory: 'memory per idle browser connection (1,000 streams)',
  storm: '2,000 streams dropped at once, all caught up',
  gateway: 'a model stream through the execution gateway, beside the model directly',
  llm: 'the llm agent end to end: per chunk, and Send → first token',
  providers: 'New → ready and resume → first output per provider (process, e2b, daytona, ssh)',
  peers: 'one workload beside a bare relay, a corked relay and socket.io: latency, throughput, a SIGKILL',
  elements: 'the browser elements in Chromium (open a 10,000-event thread, bundle size)',
};

const HELP = `Usage: npm run bench [-- [options] [scenario ...]]

Runs the benchmarks and prints a markdown table (stdout) and bench/results.json.
With no scenario named, runs them all (about 5 minutes).

Scenarios:
${Object.entries(SCENARIOS)
  .map(([name, what]) => `  ${name.padEnd(11)} ${what}`)
  .join('\n')}

Options:
  --only a,b     run these scenarios (the same as naming them; env BENCH_ONLY)
  --quick        a short smoke run of each, SQLite only (env BENCH_QUICK=1)
  --no-build     do not run \`npm run build\` first
  -h, --help     this text

Environment:
  BENCH_POSTGRES=0 / =1     skip / force the Postgres rows (they need Debian's postgresql)
  BENCH_CPU_PROF=DIR        write V8 CPU profiles of the BFF and baseline processes into DIR
  BENCH_HEAP_PROF=DIR       write V8 sampling heap profiles (allocations) of the same into DIR
`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean' },
    'no-build': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const only = [...positionals, ...(flags.only ?? process.env.BENCH_ONLY ?? '').split(',')]
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = only.filter((name) => !(name in SCENARIOS));
if (unknown.length) {
  process.stderr.write(`unknown scenario: ${unknown.join(', ')}\n\n${HELP}`);
  process.exit(2);
}
if (flags.quick) process.env.BENCH_QUICK = '1';
if (!flags['no-build']) execFileSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'inherit', 'inherit'] });

// After the build: the scenarios import the built packages.
const h = await import('./lib/harness.mjs');
const { latency } = await import('./scenarios/latency.mjs');
const { throughput } = await import('./scenarios/throughput.mjs');
const { replay } = await import('./scenarios/replay.mjs');
const { recovery } = await import('./scenarios/recovery.mjs');
const { memory } = await import('./scenarios/memory.mjs');
const { storm } = await import('./scenarios/storm.mjs');
const { gateway } = await import('./scenarios/gateway.mjs');
const { llm } = await import('./scenarios/llm.mjs');
const { providers } = await import('./scenarios/providers.mjs');
const { peers } = await import('./scenarios/peers.mjs');

/** The browser elements' benchmarks (bench/elements.mjs, Chromium), when that file is there. */
async function elements({ quick }) {
  const { runElementsBench } = await import('./elements.mjs');
  const rows = (await runElementsBench({ quick })).map((row, i) => {
    const limit = /^(<|≤)\s*([\d.,]+)/.exec(String(row.target ?? ''));
    const bound = limit && Number(limit[2].replace(/,/g, ''));
    const pass = limit
      ? limit[1] === '<'
        ? row.value < bound
        : row.value <= bound
      : row.target === '0'
        ? row.value === 0
        : undefined;
    return { id: `elements.${i}`, ...row, ...(pass !== undefined && row.pass === undefined && { pass }) };
  });
  return { rows, detail: null };
}

const scenarios = { latency, throughput, replay, recovery, memory, storm, gateway, llm, providers, peers };
if (existsSync(fileURLToPath(new URL('./elements.mjs', import.meta.url)))) scenarios.elements = elements;
const quick = h.QUICK;
const started = Date.now();
const log = (line) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);

// Postgres rows need Debian's postgresql; a quick run skips them unless BENCH_POSTGRES=1.
let pg = null;
if (process.env.BENCH_POSTGRES === '1' || (!quick && process.env.BENCH_POSTGRES !== '0')) {
  try {
    pg = await h.startPostgres();
    log(pg ? `postgres ${pg.version} on ${pg.url}` : 'postgres not installed; Postgres rows skipped');
  } catch (error) {
    log(`postgres did not start (${error.message.split('\n')[0]}); Postgres rows skipped`);
  }
}

const rows = [];
const details = {};
const failures = [];
for (const [name, run] of Object.entries(scenarios)) {
  if (only.length && !only.includes(name)) continue;
  log(`${name}…`);
  const t = Date.now();
  try {
    const result = await run({ quick, pg, log });
    rows.push(...result.rows);
    details[name] = result.detail;
  } catch (error) {
    // A crash or a broken invariant is a finding: report it in the table, keep going.
    log(`${name} FAILED: ${error.stack ?? error}`);
    failures.push({ scenario: name, error: String(error.stack ?? error) });
    rows.push({
      id: `${name}.error`,
      name: `${name}: did not complete`,
      value: null,
      unit: '',
      target: '',
      pass: false,
      note: String(error.message ?? error).split('\n')[0],
    });
  }
  log(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  h.killChildren();
}
pg?.stop();
h.removeTemps();

const fmt = (v, unit) => {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })}${unit ? ` ${unit}` : ''}`;
};
const lines = [
  '| measurement | value | target | baseline | ratio | result |',
  '| --- | ---: | --- | ---: | ---: | --- |',
  ...rows.map((r) =>
    [
      '',
      r.name + (r.note ? ` — ${r.note}` : ''),
      fmt(r.value, r.unit),
      r.target ?? '',
      r.baseline === undefined ? '' : fmt(r.baseline, r.baselineUnit ?? r.unit),
      r.ratio === undefined ? '' : `${fmt(r.ratio)}×`,
      r.pass === undefined ? '' : r.pass ? 'pass' : '**miss**',
      '',
    ]
      .join(' | ')
      .trim(),
  ),
];
const environment = {
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  loadavg: loadavg(),
  quick,
  postgres: pg?.version ?? null,
  date: new Date().toISOString(),
  seconds: (Date.now() - started) / 1000,
};
const heading = `Remote Chat benchmarks${quick ? ' (BENCH_QUICK)' : ''}: Node ${process.version}, ${environment.cpus} × ${environment.cpu ?? 'cpu'}, load ${environment.loadavg.map((l) => l.toFixed(1)).join(' ')}, ${environment.seconds.toFixed(0)} s`;
process.stdout.write(`${heading}\n\n${lines.join('\n')}\n`);
if (failures.length)
  process.stdout.write(
    `\n${failures.length} scenario(s) failed: ${failures.map((f) => f.scenario).join(', ')} (see stderr and bench/results.json)\n`,
  );

const out = fileURLToPath(new URL('./results.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ environment, rows, details, failures }, null, 2)}\n`);
log(`wrote ${out}`);
// Benchmarks report; they do not gate. A failed scenario is in the table and the JSON.
process.exit(0);
