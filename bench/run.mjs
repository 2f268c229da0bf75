#!/usr/bin/env node
// `npm run bench`: runs every benchmark against the built packages, prints one markdown table
// (paste it into the README) and writes bench/results.json. BENCH_QUICK=1 for a short smoke run;
// BENCH_ONLY=latency,replay to run some (latency throughput replay recovery memory storm gateway llm providers elements). Progress goes to stderr, the table to stdout.
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as h from './lib/harness.mjs';
import { latency } from './scenarios/latency.mjs';
import { throughput } from './scenarios/throughput.mjs';
import { replay } from './scenarios/replay.mjs';
import { recovery } from './scenarios/recovery.mjs';
import { memory } from './scenarios/memory.mjs';
import { storm } from './scenarios/storm.mjs';
import { gateway } from './scenarios/gateway.mjs';
import { llm } from './scenarios/llm.mjs';
import { providers } from './scenarios/providers.mjs';

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

const scenarios = { latency, throughput, replay, recovery, memory, storm, gateway, llm, providers };
if (existsSync(fileURLToPath(new URL('./elements.mjs', import.meta.url)))) scenarios.elements = elements;
const only = process.env.BENCH_ONLY?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
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
  if (only && !only.includes(name)) continue;
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
