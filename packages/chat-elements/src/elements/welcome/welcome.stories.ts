import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { providers } from '../../fixtures/runtimes.js';
import { dark, darkPhone } from '../../fixtures/story-variants.js';
import './define.js';

interface Args {
  busy: boolean;
  error: string;
  sandboxes: boolean;
}

const meta: Meta<Args> = {
  title: 'Elements/Welcome',
  component: 'rc-welcome',
  args: { busy: false, error: '', sandboxes: true },
  render: (args) => html`
    <rc-welcome
      .providers=${args.sandboxes ? providers : []}
      bff-url="https://chat.example.com"
      ?busy=${args.busy}
      error=${args.error}
    ></rc-welcome>
  `,
};
export default meta;

type Story = StoryObj<Args>;

/** A first-time user: the two kinds of runtime, and the first chat in one click. */
export const FirstTime: Story = {};

export const FirstTimeDark: Story = { ...dark };

export const FirstTimeDarkPhone: Story = { ...darkPhone };

/** The sandbox is being made. */
export const Starting: Story = { args: { busy: true } };

/** The sandbox could not be made. */
export const StartFailed: Story = {
  args: { error: 'Could not start a sandbox: the server is at its limit of runtimes.' },
};

/** A server with no sandbox provider: only your own machine. */
export const MachinesOnly: Story = { args: { sandboxes: false } };
