import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import type { Runtime } from '@remote-chat/protocol';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { pngFile } from '../../fixtures/png.js';
import { acpConfig, ownLoginRuntime, readyRuntime, signedInConfig, startingRuntime } from '../../fixtures/runtimes.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import { threads } from '../../fixtures/threads.js';
import type { AgentInfo } from './composer.js';
import './define.js';

interface Args {
  threadId: string;
  runtime: Runtime | undefined;
  agents: AgentInfo[];
  disabledReason: string;
  maxUploadBytes: number;
}

const meta: Meta<Args> = {
  title: 'Elements/Composer',
  component: 'rc-composer',
  args: {
    threadId: 'th_tests',
    runtime: readyRuntime,
    agents: [],
    disabledReason: '',
    maxUploadBytes: 10 * 1024 * 1024,
  },
  render: (args) => html`
    <div style="max-width: 52rem; padding: 1rem 0">
      <rc-composer
        thread-id=${args.threadId}
        .runtime=${args.runtime}
        .agents=${args.agents}
        disabled-reason=${args.disabledReason}
        max-upload-bytes=${args.maxUploadBytes}
      ></rc-composer>
    </div>
  `,
};
export default meta;

type Story = StoryObj<Args>;

/** Ready: Enter sends (an `rc-message-send` event here, with no client), Shift+Enter starts a new line. */
export const Ready: Story = {};

/** Two agents to choose from: the picker says who answers the next message. */
export const AgentPicker: Story = { args: { agents: signedInConfig.agents } };

/**
 * On a person's machine: the agents it reported, its ACP agents by label; Claude Code uses the
 * person's own login there, and the picker says so.
 */
export const AgentPickerOwnLogin: Story = { args: { agents: acpConfig.agents, runtime: ownLoginRuntime } };

export const AgentPickerOwnLoginDarkPhone: Story = { ...darkPhone, args: AgentPickerOwnLogin.args };

/** The runtime is still starting: the message box is disabled and says why. */
export const RuntimeStarting: Story = { args: { runtime: startingRuntime } };

/** No thread is open. */
export const NoThread: Story = { args: { threadId: '' } };

/** Disabled by the host page, with its own reason. */
export const DisabledByHost: Story = { args: { disabledReason: 'Chat is read-only during the review.' } };

/** A pasted file over the size limit: the composer says why it was not uploaded. */
export const UploadRefused: Story = {
  args: { maxUploadBytes: 1024 },
  play: async ({ canvasElement }) => {
    const composer = canvasElement.querySelector('rc-composer');
    await composer?.updateComplete;
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(5 * 1024 * 1024)], 'screen-recording.mov', { type: 'video/quicktime' }));
    composer?.shadowRoot
      ?.querySelector('textarea')
      ?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  },
};

/** A pasted screenshot (a thumbnail), a log file (its name and size) and a file over the limit: each can be removed before Send. */
export const Attachments: Story = {
  args: { maxUploadBytes: 64 * 1024 },
  play: async ({ canvasElement }) => {
    const composer = canvasElement.querySelector('rc-composer');
    await composer?.updateComplete;
    composer?.attach(await pngFile('Screenshot 2026-12-06 at 05.40.png', 160, 100));
    composer?.attach(new File(['error: port 3000 in use\n'], 'server.log', { type: 'text/plain' }));
    composer?.attach(new File([new Uint8Array(200 * 1024)], 'screen-recording.mov', { type: 'video/quicktime' }));
  },
};

export const AttachmentsDarkPhone: Story = { ...darkPhone, args: Attachments.args, play: Attachments.play };

/** Live against a fake BFF: a sent message goes out through the client; paste a file to attach it, Send uploads it. */
export const Live: Story = {
  render: (args) => {
    const bff = new FakeBff({ state: { runtimes: [readyRuntime], threads: [threads[0]!], events: {} } });
    return html`
      <div style="max-width: 52rem; padding: 1rem 0">
        <rc-composer thread-id="th_tests" .runtime=${readyRuntime} .agents=${args.agents} .client=${bff.client()}></rc-composer>
      </div>
    `;
  },
};

export const ReadyDark: Story = { ...dark, args: { agents: signedInConfig.agents } };

export const ReadyPhone: Story = { ...phone, args: { agents: signedInConfig.agents } };

export const RuntimeStartingDarkPhone: Story = { ...darkPhone, args: { runtime: startingRuntime } };
