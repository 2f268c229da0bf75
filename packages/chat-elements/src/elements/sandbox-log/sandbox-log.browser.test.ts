import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { cleanUp, fixture, part, visibleText, waitFor } from '../../fixtures/harness.js';
import { logFailed, logMidStart, logReady, logResumed } from '../../fixtures/runtime-log.js';
import { failedRuntime, readyRuntime, startingRuntime } from '../../fixtures/runtimes.js';
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

  it('asks for a runtime when it has none', async () => {
    const log = await fixture<RcSandboxLog>(html`<rc-sandbox-log></rc-sandbox-log>`);
    expect(visibleText(log)).toContain('Create or pick a runtime');
  });
});
