import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, part, visibleText, waitFor } from '../../fixtures/harness.js';
import { logFailed, logMidStart, logReady, logResumed } from '../../fixtures/runtime-log.js';
import type { LogEntry } from '@remote-chat/protocol';
import {
  failedRuntime,
  machineRuntime,
  readyRuntime,
  startingRuntime,
  stoppedRuntime,
} from '../../fixtures/runtimes.js';
import { ago } from '../../fixtures/time.js';
import type { RcSandboxLog } from './sandbox-log.js';
import './define.js';

afterEach(cleanUp);

describe('<rc-sandbox-log>', () => {
  it('shows the first start at a glance: how far it got and which step runs', async () => {
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id="rt_starting" .runtime=${startingRuntime} .entries=${logMidStart}></rc-sandbox-log>`,
    );
    const bar = part(log, 'progress').querySelector('[role="progressbar"]')!;
    expect(bar.getAttribute('aria-valuenow')).toBe('2');
    expect(bar.getAttribute('aria-valuetext')).toBe('Install runtime… (step 3 of 6)');
    const steps = [...log.shadowRoot!.querySelectorAll<HTMLElement>('[part="step"]')].map(
      (s) => `${s.dataset['step']}:${s.dataset['state']}`,
    );
    expect(steps).toEqual([
      'create:ok',
      'clone:ok',
      'install:started',
      'settings:pending',
      'start:pending',
      'ready:pending',
    ]);
    expect(log.shadowRoot!.querySelector('[data-step="install"] .spinner')).not.toBeNull();
    expect(visibleText(log)).toContain('2.4 s');
  });

  it('shows a failed step with its output open, the error and what to do next', async () => {
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id="rt_failed" .runtime=${failedRuntime} .entries=${logFailed}></rc-sandbox-log>`,
    );
    expect(part(log, 'progress').textContent).toContain('Install runtime failed');
    const failed = log.shadowRoot!.querySelector<HTMLDetailsElement>('details[data-state="failed"]')!;
    expect(failed.open).toBe(true);
    expect(failed.textContent).toContain('ETIMEDOUT');
    expect(part(log, 'error').textContent).toContain('Check the sandbox has network access');
    expect(log.shadowRoot!.querySelector('[data-step="start"]')!.getAttribute('data-state')).toBe('not-run');
  });

  it('says how long a finished start took, and expands a step’s output on click', async () => {
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id="rt_ready" .runtime=${readyRuntime} .entries=${logReady}></rc-sandbox-log>`,
    );
    expect(part(log, 'progress').textContent).toContain('Started in 247 ms');
    const start = log.shadowRoot!.querySelector<HTMLDetailsElement>('[data-step="start"] details')!;
    expect(start.open).toBe(false);
    start.querySelector('summary')!.click();
    expect(start.open).toBe(true);
    expect(start.textContent).toContain('listening on');
  });

  it('notes a pause and a resume with their durations, and keeps the start checklist as it was', async () => {
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id="rt_ready" .runtime=${readyRuntime} .entries=${logResumed}></rc-sandbox-log>`,
    );
    part(log, 'toggle').click();
    await log.updateComplete;
    const text = visibleText(log);
    expect(text).toContain('Paused in 1.2 s: Files kept; compute released.');
    expect(text).toContain('Resumed in 2.3 s');
    expect(text).toContain('Runtime paused: No activity for 60 minutes');
    const steps = [...log.shadowRoot!.querySelectorAll<HTMLElement>('[part="step"]')].map((s) => s.dataset['step']);
    expect(steps).toEqual(['create', 'clone', 'install', 'settings', 'start', 'ready']);
    expect(part(log, 'progress').textContent).toContain('Started in 247 ms');
  });

  it('follows a new runtime’s log live through a client', async () => {
    const bff = new FakeBff({ latencyMs: 5, stepMs: 15 });
    const client = bff.client();
    const runtime = await client.createRuntime({ provider: 'process' });
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id=${runtime.id} .client=${client}></rc-sandbox-log>`,
    );
    await waitFor(() => part(log, 'progress').textContent?.includes('Started in'), { what: 'the end of the start' });
    expect(log.shadowRoot!.querySelector('[data-step="clone"]')!.getAttribute('data-state')).toBe('skipped');
  });

  it('folds to one line once the runtime is ready, and opens on Show into a capped scrolling list', async () => {
    const reconnects: LogEntry[] = Array.from({ length: 50 }, (_, i) => ({
      runtimeId: 'rt_ready',
      seq: logReady.length + i + 1,
      at: new Date().toISOString(),
      ...(i % 2
        ? { kind: 'link' as const, state: 'open' as const }
        : { kind: 'link' as const, state: 'offline' as const, detail: 'runtime shutting down' }),
    }));
    const log = await fixture<RcSandboxLog>(
      html`<div style="height: 900px"><rc-sandbox-log runtime-id="rt_ready" .runtime=${readyRuntime}
        .entries=${[...logReady, ...reconnects]}></rc-sandbox-log></div>`,
    ).then((wrapper) => wrapper.querySelector<RcSandboxLog>('rc-sandbox-log')!);
    const toggle = part(log, 'toggle');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(part(log, 'body').hidden).toBe(true);
    expect(visibleText(log)).toContain('Started in 247 ms');
    expect(log.getBoundingClientRect().height).toBeLessThan(80);

    toggle.click();
    await log.updateComplete;
    const body = part(log, 'body');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(body.hidden).toBe(false);
    // Fifty connection changes scroll inside the log instead of stretching it.
    expect(body.scrollHeight).toBeGreaterThan(body.clientHeight);
    expect(body.getBoundingClientRect().height).toBeLessThanOrEqual(20 * 16 + 1);
    // In plain words (the BFF writes the detail so), not link states.
    const text = visibleText(log);
    expect(text).toContain('Disconnected: runtime shutting down');
    expect(text).toContain('Connected');
    expect(text).not.toMatch(/Connection (open|offline)/);
  });

  it('stays open for a runtime the person watched start, once it is ready', async () => {
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id="rt_ready" .runtime=${{ ...readyRuntime, status: 'starting' }} .entries=${logMidStart}></rc-sandbox-log>`,
    );
    expect(part(log, 'toggle').getAttribute('aria-expanded')).toBe('true');
    log.runtime = readyRuntime;
    log.entries = logReady;
    await log.updateComplete;
    expect(part(log, 'toggle').getAttribute('aria-expanded')).toBe('true');
    expect(part(log, 'body').hidden).toBe(false);
    part(log, 'toggle').click();
    await log.updateComplete;
    expect(part(log, 'body').hidden).toBe(true);
  });

  it('shows no duration for a skipped step', async () => {
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id="rt_starting" .runtime=${startingRuntime} .entries=${logReady}></rc-sandbox-log>`,
    );
    expect(log.shadowRoot!.querySelector('[data-step="clone"]')!.getAttribute('data-state')).toBe('skipped');
    expect(log.shadowRoot!.querySelector('[data-step="clone"] .duration')!.textContent!.trim()).toBe('');
    expect(log.shadowRoot!.querySelector('[data-step="create"] .duration')!.textContent!.trim()).toBe('6 ms');
  });

  it('shows a machine as it is: host, folder, connected since and last seen, not sandbox steps', async () => {
    const machine = { ...machineRuntime, status: 'ready' as const, link: 'open' as const };
    const entries: LogEntry[] = [
      {
        runtimeId: machine.id,
        seq: 1,
        at: ago(600),
        kind: 'status',
        status: 'starting',
        detail: 'A machine registered this folder.',
      },
      { runtimeId: machine.id, seq: 2, at: ago(300), kind: 'link', state: 'open' },
      { runtimeId: machine.id, seq: 3, at: ago(300), kind: 'status', status: 'ready' },
    ];
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id=${machine.id} .runtime=${machine} .entries=${entries}></rc-sandbox-log>`,
    );
    const facts = visibleText(part(log, 'machine'));
    expect(facts).toContain('Host ada-laptop');
    expect(facts).toContain('Folder notes');
    expect(facts).toContain('Connected since 5 minutes ago');
    expect(facts).toContain('Last seen now');
    expect(log.shadowRoot!.querySelector('[part="step"]')).toBeNull();
    expect(visibleText(log)).not.toContain('Waiting to start');
  });

  it('starts a stopped sandbox again from its log, in the same workspace', async () => {
    const bff = new FakeBff({ latencyMs: 5, stepMs: 15, state: { runtimes: [stoppedRuntime] } });
    const log = await fixture<RcSandboxLog>(
      html`<rc-sandbox-log runtime-id=${stoppedRuntime.id} .runtime=${stoppedRuntime} .client=${bff.client()}></rc-sandbox-log>`,
    );
    expect(visibleText(log)).toContain('Its workspace and threads are kept.');
    part(log, 'start-again').click();
    await waitFor(() => bff.requests.includes(`POST /runtimes/${stoppedRuntime.id}/start`), { what: 'the start' });
    await waitFor(() => log.runtime?.status === 'starting', { what: 'the runtime starting' });
    expect(log.shadowRoot!.querySelector('[part="start-again"]')).toBeNull();
  });

  it('asks for a runtime when it has none', async () => {
    const log = await fixture<RcSandboxLog>(html`<rc-sandbox-log></rc-sandbox-log>`);
    expect(visibleText(log)).toContain('Create or pick a runtime');
  });
});
