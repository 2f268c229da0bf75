import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import type { Runtime } from '@remote-chat/protocol';
import { providers, readyRuntime, runtimes } from '../../fixtures/runtimes.js';
import type { ProviderInfo, RuntimePickerMode } from './runtime-picker.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import './define.js';

interface Args {
  runtimes: Runtime[];
  providers: ProviderInfo[];
  value: string;
  mode: RuntimePickerMode;
  disabled: boolean;
}

const meta: Meta<Args> = {
  title: 'Elements/Runtime picker',
  component: 'rc-runtime-picker',
  args: { runtimes, providers, value: readyRuntime.id, mode: 'existing', disabled: false },
  argTypes: { mode: { control: 'inline-radio', options: ['existing', 'new'] } },
  render: (args) => html`
    <rc-runtime-picker
      .runtimes=${args.runtimes}
      .providers=${args.providers}
      .value=${args.value}
      .mode=${args.mode}
      ?disabled=${args.disabled}
    ></rc-runtime-picker>
  `,
};
export default meta;

type Story = StoryObj<Args>;

/** A ready runtime picked; the list holds one of each status. */
export const Existing: Story = {};

/** The drop-down open: green ready, amber starting or offline, grey stopped, red failed. */
export const ExistingOpen: Story = {
  play: async ({ canvasElement }) => {
    const picker = canvasElement.querySelector('rc-runtime-picker');
    await picker?.updateComplete;
    picker?.shadowRoot?.querySelector<HTMLButtonElement>('.combo-button')?.click();
  },
  parameters: { docs: { story: { height: '26rem' } } },
};

export const NoRuntimes: Story = { args: { runtimes: [], value: '' } };

/** New: the providers from the config and the Create runtime button. */
export const New: Story = { args: { mode: 'new' } };

export const NoProviders: Story = { args: { mode: 'new', providers: [] } };

export const Disabled: Story = { args: { disabled: true } };

export const ExistingOpenDark: Story = { ...dark, play: ExistingOpen.play };

export const ExistingOpenPhone: Story = { ...phone, play: ExistingOpen.play };

export const NewDarkPhone: Story = { ...darkPhone, args: { mode: 'new' } };

/** With a client whose BFF has not answered yet. */
export const Loading: Story = {
  render: () =>
    html`<rc-runtime-picker .client=${new FakeBff({ latencyMs: Number.POSITIVE_INFINITY }).client()}></rc-runtime-picker>`,
};
