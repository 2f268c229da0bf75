import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import type { Runtime, ThreadEvent } from '@remote-chat/protocol';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { readyRuntime, startingRuntime } from '../../fixtures/runtimes.js';
import { conversation, conversationFailed, conversationRunning } from '../../fixtures/thread-events.js';
import { threads } from '../../fixtures/threads.js';
import './define.js';

interface Args {
  events: ThreadEvent[];
  threadId: string;
  runtime: Runtime | undefined;
  disabledReason: string;
}

const meta: Meta<Args> = {
  title: 'Elements/Chat',
  component: 'rc-chat',
  args: { events: conversationRunning, threadId: 'th_tests', runtime: readyRuntime, disabledReason: '' },
  render: (args) => html`
    <div style="height: calc(100vh - 2rem)">
      <rc-chat
        thread-id=${args.threadId}
        .runtime=${args.runtime}
        .events=${args.events}
        disabled-reason=${args.disabledReason}
      ></rc-chat>
    </div>
  `,
};
export default meta;

type Story = StoryObj<Args>;

/** Mid-conversation: a command's output, a diff, an answer, and a test run still streaming (Stop shows). */
export const MidConversation: Story = {};

export const Finished: Story = { args: { events: conversation } };

/** A failed command (exit 1) and an agent error. */
export const Failed: Story = { args: { events: conversationFailed } };

/** A new thread on a shell runtime: how to start. */
export const Empty: Story = { args: { events: [] } };

/** The runtime is still starting: the composer says why it is disabled. */
export const RuntimeStarting: Story = { args: { events: [], runtime: startingRuntime } };

export const NoThread: Story = { args: { events: [], threadId: '' } };

/** With a client whose BFF has not answered yet. */
export const Loading: Story = {
  render: () => html`
    <div style="height: calc(100vh - 2rem)">
      <rc-chat thread-id="th_tests" .runtime=${readyRuntime} .client=${new FakeBff({ latencyMs: Number.POSITIVE_INFINITY }).client()}></rc-chat>
    </div>
  `,
};

/** Live against a fake BFF: type a command and press Enter. */
export const Live: Story = {
  render: () => {
    const bff = new FakeBff({
      state: { runtimes: [readyRuntime], threads: [{ ...threads[0]!, lastSeq: conversation.length }], events: { th_tests: conversation } },
    });
    return html`
      <div style="height: calc(100vh - 2rem)">
        <rc-chat thread-id="th_tests" .runtime=${readyRuntime} .client=${bff.client()}></rc-chat>
      </div>
    `;
  },
};
