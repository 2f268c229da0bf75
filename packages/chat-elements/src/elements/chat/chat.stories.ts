import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import type { Runtime, ThreadEvent } from '@remote-chat/protocol';
import type { AgentInfo } from '../composer/composer.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { hostileBodies } from '../../fixtures/hostile-outputs.js';
import { longOutputBodies } from '../../fixtures/long-output.js';
import { longThread } from '../../fixtures/long-thread.js';
import { acpConfig, acpRuntime, readyRuntime, signedInConfig, startingRuntime } from '../../fixtures/runtimes.js';
import {
  conversation,
  conversationAllowed,
  conversationAsking,
  conversationTimedOut,
  conversationBodies,
  conversationFailed,
  conversationRunning,
  conversationWithModels,
  threadEvents,
} from '../../fixtures/thread-events.js';
import { threads } from '../../fixtures/threads.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import './define.js';

interface Args {
  events: ThreadEvent[];
  threadId: string;
  runtime: Runtime | undefined;
  disabledReason: string;
  agents: AgentInfo[];
}

const meta: Meta<Args> = {
  title: 'Elements/Chat',
  component: 'rc-chat',
  args: { events: conversationRunning, threadId: 'th_tests', runtime: readyRuntime, disabledReason: '', agents: [] },
  render: (args) => html`
    <div style="height: calc(100vh - 2rem)">
      <rc-chat
        thread-id=${args.threadId}
        .runtime=${args.runtime}
        .events=${args.events}
        .agents=${args.agents}
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

/** Live against a fake BFF: type a command and press Enter, or pick a model and ask it something. */
export const Live: Story = {
  render: () => {
    const bff = new FakeBff({
      state: {
        runtimes: [readyRuntime],
        threads: [{ ...threads[0]!, lastSeq: conversation.length }],
        events: { th_tests: conversation },
      },
    });
    return html`
      <div style="height: calc(100vh - 2rem)">
        <rc-chat thread-id="th_tests" .runtime=${readyRuntime} .client=${bff.client()} .agents=${signedInConfig.agents}></rc-chat>
      </div>
    `;
  },
};

/** Mid-conversation in the dark scheme. */
export const MidConversationDark: Story = { ...dark };

/** Mid-conversation on a phone. */
export const MidConversationPhone: Story = { ...phone };

export const FailedDarkPhone: Story = { ...darkPhone, args: { events: conversationFailed } };

/** The agent is thinking: Stop shows before any output. */
export const Thinking: Story = {
  args: {
    events: threadEvents('th_tests', [
      ...conversationBodies,
      { kind: 'message.user', clientId: 'g1a2b3c4d5e6f7a8', text: 'Why is the sync test slow?', agent: 'llm' },
      { kind: 'status', state: 'thinking' },
    ]),
  },
};

/** An answer still streaming in, with a code block. */
export const Streaming: Story = {
  args: {
    events: threadEvents('th_tests', [
      ...conversationBodies,
      { kind: 'message.user', clientId: 'h1a2b3c4d5e6f7a8', text: 'How do I run one test file?', agent: 'llm' },
      { kind: 'status', state: 'thinking' },
      {
        kind: 'message.delta',
        messageId: 'm-9',
        text: 'Pass the file to **vitest**:\n\n```sh\nnpx vitest run src/sync.test.ts\n```\n\nAdd `--watch` to re-run it on every',
      },
    ]),
  },
};

/** Agents to choose from (the shell and two models): the picker sits under the message box. */
export const AgentPicker: Story = { args: { agents: signedInConfig.agents } };

/** Two models' answers, each with the model's label and its tokens; the thread's total in the status line. */
export const ModelAnswers: Story = { args: { events: conversationWithModels, agents: signedInConfig.agents } };

export const ModelAnswersDark: Story = { ...dark, args: ModelAnswers.args };

export const ModelAnswersPhone: Story = { ...phone, args: ModelAnswers.args };

/** An ACP agent's plan as a checklist, and its request for permission to edit a file: one button per option. */
export const PermissionRequest: Story = { args: { events: conversationAsking, runtime: acpRuntime } };

export const PermissionRequestDark: Story = { ...dark, args: PermissionRequest.args };

export const PermissionRequestDarkPhone: Story = { ...darkPhone, args: PermissionRequest.args };

/** The request answered (here or in another browser): the outcome instead of the buttons; the plan done. */
export const PermissionAllowed: Story = { args: { events: conversationAllowed, runtime: acpRuntime } };

/** No one answered in time: the request was denied, and the card says so. */
export const PermissionTimedOut: Story = { args: { events: conversationTimedOut, runtime: acpRuntime } };

export const PermissionTimedOutPhone: Story = { ...phone, args: PermissionTimedOut.args };

/**
 * Live against a fake BFF with Claude Code as an ACP agent: pick it, send a message, and answer
 * its permission request (unanswered, it is denied after 30 seconds).
 */
export const PermissionLive: Story = {
  render: () => {
    const bff = new FakeBff({
      state: {
        config: acpConfig,
        runtimes: [acpRuntime],
        threads: [{ ...threads[0]!, lastSeq: conversation.length }],
        events: { th_tests: conversation },
      },
      permissionTimeoutMs: 30_000,
    });
    return html`
      <div style="height: calc(100vh - 2rem)">
        <rc-chat thread-id="th_tests" agent="claude" .runtime=${acpRuntime} .client=${bff.client()} .agents=${acpConfig.agents}></rc-chat>
      </div>
    `;
  },
};

/** A thread of 10,000 events: it opens at the end and scrolls smoothly; a few dozen rows are in the DOM. */
export const LongThread: Story = { args: { events: longThread('th_tests', 10_000) } };

/**
 * A command's output longer than a card shows: how much is left out, "Show more" and "Download";
 * then `ls` colours on coloured backgrounds, and lines that scroll sideways.
 */
export const LongOutput: Story = { args: { events: threadEvents('th_tests', longOutputBodies()) } };

export const LongOutputDarkPhone: Story = { ...darkPhone, args: LongOutput.args };

/** Scripts, event handlers, javascript: links, SVG, CSS and terminal escapes: all shown as text. */
export const HostileOutput: Story = { args: { events: threadEvents('th_tests', hostileBodies()) } };

/** Offline: the message waits and is sent once the connection returns. */
export const Offline: Story = {
  render: () => {
    const bff = new FakeBff({
      state: {
        runtimes: [readyRuntime],
        threads: [{ ...threads[0]!, lastSeq: conversation.length }],
        events: { th_tests: conversation },
      },
    });
    const chat = document.createElement('rc-chat');
    chat.threadId = 'th_tests';
    chat.runtime = readyRuntime;
    chat.client = bff.client();
    setTimeout(() => {
      bff.goOffline();
      setTimeout(async () => {
        if (!chat.isConnected) return;
        chat.insertText('npm run build');
        await chat.updateComplete;
        chat.shadowRoot?.querySelector('rc-composer')?.shadowRoot?.querySelector('form')?.requestSubmit();
      }, 400);
    }, 600);
    return html`<div style="height: calc(100vh - 2rem)">${chat}</div>`;
  },
};

/** A pasted file over the size limit: the composer says why it was not uploaded. */
export const UploadRefused: Story = {
  render: (args) => html`
    <div style="height: calc(100vh - 2rem)">
      <rc-chat thread-id="th_tests" max-upload-bytes="1024" .runtime=${args.runtime} .events=${args.events}></rc-chat>
    </div>
  `,
  play: async ({ canvasElement }) => {
    const chat = canvasElement.querySelector('rc-chat');
    await chat?.updateComplete;
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(5 * 1024 * 1024)], 'screen-recording.mov', { type: 'video/quicktime' }));
    chat?.shadowRoot
      ?.querySelector('rc-composer')
      ?.shadowRoot?.querySelector('textarea')
      ?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  },
};

/** A file dragged over the chat: drop it to upload it into the workspace. */
export const DropZone: Story = {
  play: async ({ canvasElement }) => {
    const chat = canvasElement.querySelector('rc-chat');
    await chat?.updateComplete;
    const data = new DataTransfer();
    data.items.add(new File(['x'], 'screenshot.png', { type: 'image/png' }));
    chat?.shadowRoot
      ?.querySelector('.base')
      ?.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
  },
};
