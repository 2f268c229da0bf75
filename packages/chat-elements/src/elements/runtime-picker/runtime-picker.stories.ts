import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import type { Runtime } from '@remote-chat/protocol';
import { pausedRuntime, providers, readyRuntime, runtimes } from '../../fixtures/runtimes.js';
import type { ProviderInfo, RuntimePickerMode } from './runtime-picker.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import { RemoteChatClient } from '../../client/remote-chat-client.js';
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

/** The drop-down open: green ready, amber starting or offline, a ring paused, grey stopped, red failed. */
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

/** A paused runtime picked: its ring, and "Paused" for screen readers. */
export const Paused: Story = { args: { value: pausedRuntime.id } };

/** Opens the list and presses one of the paused runtime's buttons (× or ✎); resolves with what opened. */
async function askAbout(
  canvasElement: HTMLElement,
  action: 'delete' | 'rename' = 'delete',
): Promise<HTMLElement | null | undefined> {
  const picker = canvasElement.querySelector('rc-runtime-picker');
  await picker?.updateComplete;
  picker?.shadowRoot?.querySelector<HTMLButtonElement>('.combo-button')?.click();
  await picker?.updateComplete;
  const option = [...(picker?.shadowRoot?.querySelectorAll('[role="option"]') ?? [])].find((o) =>
    o.textContent?.includes(pausedRuntime.name),
  );
  option?.querySelector<HTMLElement>(`.option-${action}`)?.click();
  await picker?.updateComplete;
  return picker?.shadowRoot?.querySelector<HTMLElement>(
    action === 'delete' ? '[part="delete-confirm"]' : '[part="rename-form"]',
  );
}
const askDelete = (canvasElement: HTMLElement) => askAbout(canvasElement, 'delete');

/** Rename: the name in a field (selected), the runtime's id under it, Cancel and Save. */
export const Rename: Story = { play: ({ canvasElement }) => void askAbout(canvasElement, 'rename') };

export const RenameDarkPhone: Story = { ...darkPhone, play: Rename.play };

/** Delete asks first: the runtime's name, what goes with it, Cancel (focused) and Delete. */
export const DeleteConfirm: Story = { play: ({ canvasElement }) => void askDelete(canvasElement) };

export const DeleteConfirmDarkPhone: Story = { ...darkPhone, play: DeleteConfirm.play };

/**
 * A picker whose client reaches a fake BFF holding the fixture runtimes, with the paused one's
 * delete asked for and confirmed; `delete` says how the BFF answers the DELETE.
 */
function confirmedDelete(answer: 'never' | 'offline'): Story {
  const bff = new FakeBff({ latencyMs: 5, state: { runtimes } });
  const { fetch, WebSocket } = bff.transport();
  const client = new RemoteChatClient({
    bffUrl: FakeBff.url,
    WebSocket,
    // Only the DELETE is held or refused, so the story comes to rest with the list loaded.
    fetch: (input, init) =>
      init?.method !== 'DELETE'
        ? fetch(input, init)
        : answer === 'never'
          ? new Promise<Response>(() => {})
          : Promise.reject(new TypeError('Failed to fetch')),
  });
  return {
    render: () => html`<rc-runtime-picker .client=${client}></rc-runtime-picker>`,
    play: async ({ canvasElement }) => {
      const picker = canvasElement.querySelector('rc-runtime-picker');
      for (let i = 0; i < 200 && (picker?.runtimes.length ?? 0) < runtimes.length; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      const confirm = await askDelete(canvasElement);
      [...(confirm?.querySelectorAll('button') ?? [])].at(-1)?.click();
    },
  };
}

/** While the BFF tears the runtime down: a spinner on Delete, Cancel unavailable. */
export const Deleting: Story = confirmedDelete('never');

/** A delete that failed: what went wrong, with the question still open to try again. */
export const DeleteFailed: Story = confirmedDelete('offline');
