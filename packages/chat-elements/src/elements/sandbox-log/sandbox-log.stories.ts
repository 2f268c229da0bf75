import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import type { LogEntry, Runtime } from '@remote-chat/protocol';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { logFailed, logMidStart, logReady, logResumed } from '../../fixtures/runtime-log.js';
import {
  failedRuntime,
  machineRuntime,
  readyRuntime,
  startingRuntime,
  stoppedRuntime,
} from '../../fixtures/runtimes.js';
import { ago } from '../../fixtures/time.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import './define.js';

interface Args {
  entries: LogEntry[];
  runtime: Runtime | undefined;
  runtimeId: string;
}

const meta: Meta<Args> = {
  title: 'Elements/Sandbox log',
  component: 'rc-sandbox-log',
  args: { entries: logMidStart, runtime: startingRuntime, runtimeId: startingRuntime.id },
  render: (args) => html`
    <div style="width: 20rem">
      <rc-sandbox-log runtime-id=${args.runtimeId} .runtime=${args.runtime} .entries=${args.entries}></rc-sandbox-log>
    </div>
  `,
};
export default meta;

type Story = StoryObj<Args>;

/** Created and cloned; installing now, with a running clock. */
export const MidStart: Story = {};

/** Install failed: the output is open, the error says what to do. */
export const Failed: Story = { args: { entries: logFailed, runtime: failedRuntime, runtimeId: failedRuntime.id } };

export const Ready: Story = { args: { entries: logReady, runtime: readyRuntime, runtimeId: readyRuntime.id } };

/** Paused after an idle hour and resumed by a message: both noted with their durations. */
export const PausedAndResumed: Story = {
  args: { entries: logResumed, runtime: readyRuntime, runtimeId: readyRuntime.id },
};

/** A machine that dialled in: its host, folder and connection, not the sandbox steps. */
export const Machine: Story = {
  args: {
    runtime: { ...machineRuntime, status: 'ready', link: 'open' },
    runtimeId: machineRuntime.id,
    entries: [
      { runtimeId: machineRuntime.id, seq: 1, at: ago(600), kind: 'status', status: 'starting' },
      { runtimeId: machineRuntime.id, seq: 2, at: ago(300), kind: 'link', state: 'open' },
      { runtimeId: machineRuntime.id, seq: 3, at: ago(300), kind: 'status', status: 'ready' },
    ],
  },
};

/** Stopped after an idle window: Start again brings it back in the same workspace. */
export const Stopped: Story = {
  render: () => html`
    <div style="width: 20rem">
      <rc-sandbox-log
        runtime-id=${stoppedRuntime.id}
        .runtime=${stoppedRuntime}
        .client=${new FakeBff({ state: { runtimes: [stoppedRuntime] } }).client()}
      ></rc-sandbox-log>
    </div>
  `,
};

export const StoppedDark: Story = { ...dark, render: Stopped.render };

export const MachineDarkPhone: Story = { ...darkPhone, args: Machine.args };

export const NoRuntime: Story = { args: { entries: [], runtime: undefined, runtimeId: '' } };

/** Live: a fake BFF creates a runtime and streams its steps. */
export const Live: Story = {
  render: () => {
    const bff = new FakeBff({ stepMs: 900 });
    const client = bff.client();
    const log = document.createElement('rc-sandbox-log');
    log.client = client;
    void client.createRuntime({ provider: 'process' }).then((runtime) => (log.runtimeId = runtime.id));
    return html`<div style="width: 20rem">${log}</div>`;
  },
};

export const MidStartDark: Story = { ...dark };

export const FailedDarkPhone: Story = { ...darkPhone, args: Failed.args };

export const ReadyPhone: Story = { ...phone, args: Ready.args };

/** With a client whose BFF has not answered yet. */
export const Loading: Story = {
  render: () => html`
    <div style="width: 20rem">
      <rc-sandbox-log runtime-id="rt_ready" .client=${new FakeBff({ latencyMs: Number.POSITIVE_INFINITY }).client()}></rc-sandbox-log>
    </div>
  `,
};
