import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import type { Thread } from '@remote-chat/protocol';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { threads } from '../../fixtures/threads.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import { signedInConfig } from '../../fixtures/runtimes.js';
import './define.js';

interface Args {
  runtimeId: string;
  threads: Thread[];
  value: string;
}

const meta: Meta<Args> = {
  title: 'Elements/Thread list',
  component: 'rc-thread-list',
  args: { runtimeId: 'rt_ready', threads, value: threads[0]!.id },
  render: (args) => html`
    <div style="width: 18rem; height: 24rem">
      <rc-thread-list runtime-id=${args.runtimeId} .threads=${args.threads} .value=${args.value}></rc-thread-list>
    </div>
  `,
};
export default meta;

type Story = StoryObj<Args>;

/** Newest first; the open thread is marked. Arrow keys move, Enter opens. */
export const Threads: Story = {};

export const Empty: Story = { args: { threads: [], value: '' } };

export const NoRuntime: Story = { args: { runtimeId: '', threads: [], value: '' } };

/** With a client whose BFF has not answered yet. */
export const Loading: Story = {
  render: () => html`
    <div style="width: 18rem; height: 24rem">
      <rc-thread-list runtime-id="rt_ready" .client=${new FakeBff({ latencyMs: Number.POSITIVE_INFINITY }).client()}></rc-thread-list>
    </div>
  `,
};

export const ThreadsDark: Story = { ...dark };

export const ThreadsPhone: Story = { ...phone };

/** Renaming the open thread (F2, a double click or Rename). */
export const Renaming: Story = {
  play: async ({ canvasElement }) => {
    const list = canvasElement.querySelector('rc-thread-list');
    await list?.updateComplete;
    list?.shadowRoot?.querySelector<HTMLButtonElement>('.rename-button')?.click();
  },
};

export const RenamingDarkPhone: Story = { ...darkPhone, play: Renaming.play };

/** The BFF refused to list the threads. */
export const Failed: Story = {
  render: () => {
    const bff = new FakeBff({ state: { config: { ...signedInConfig, user: null } } });
    return html`
      <div style="width: 18rem; height: 24rem">
        <rc-thread-list runtime-id="rt_ready" .client=${bff.client()}></rc-thread-list>
      </div>
    `;
  },
};
