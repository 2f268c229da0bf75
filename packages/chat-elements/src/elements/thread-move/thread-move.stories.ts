import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { pausedRuntime, readyRuntime, stoppedRuntime } from '../../fixtures/runtimes.js';
import { dark, darkPhone } from '../../fixtures/story-variants.js';
import './define.js';

interface Args {
  open: boolean;
}

const meta: Meta<Args> = {
  title: 'Elements/Thread move',
  component: 'rc-thread-move',
  args: { open: false },
  render: () => {
    const client = new FakeBff({
      latencyMs: 0,
      state: { runtimes: [readyRuntime, pausedRuntime, stoppedRuntime] },
    }).client();
    return html`<rc-thread-move .client=${client} thread-id="th_stuck" .runtime=${stoppedRuntime}></rc-thread-move>`;
  },
  play: async ({ canvasElement, args }) => {
    if (!args.open) return;
    const move = canvasElement.querySelector('rc-thread-move');
    await move?.updateComplete;
    move?.shadowRoot?.querySelector<HTMLButtonElement>('.open-button')?.click();
  },
};
export default meta;

type Story = StoryObj<Args>;

/** Under a stopped runtime's notice: the way on. */
export const Closed: Story = {};

/** The chooser: the runtimes that can take work, and a new one like this. */
export const Choosing: Story = { args: { open: true } };

export const ChoosingDark: Story = { ...dark, args: { open: true } };

export const ChoosingDarkPhone: Story = { ...darkPhone, args: { open: true } };
