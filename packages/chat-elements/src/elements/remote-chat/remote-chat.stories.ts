import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { FakeBff, type FakeBffOptions } from '../../fixtures/fake-bff.js';
import { fakeRepoSource } from '../../fixtures/repo-source.js';
import { logReady } from '../../fixtures/runtime-log.js';
import { readyRuntime, signedInConfig, signedOutConfig } from '../../fixtures/runtimes.js';
import { conversation, conversationRunning } from '../../fixtures/thread-events.js';
import { threads } from '../../fixtures/threads.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import './define.js';

interface Args {
  bff: FakeBffOptions;
  theme: '' | 'light' | 'dark';
  github: boolean;
  /** The runtime remembered from an earlier visit in this tab. */
  rememberedRuntime: string;
}

const meta: Meta<Args> = {
  title: 'Remote Chat',
  component: 'remote-chat',
  args: { bff: {}, theme: '', github: false, rememberedRuntime: '' },
  argTypes: { theme: { control: 'inline-radio', options: ['', 'light', 'dark'] } },
  render: (args) => {
    sessionStorage.clear();
    if (args.rememberedRuntime) {
      const selection = JSON.stringify({ runtimeId: args.rememberedRuntime, threadId: '' });
      sessionStorage.setItem('remote-chat:https://fake-bff.test:selection', selection);
    }
    const bff = new FakeBff({
      ...args.bff,
      state: {
        ...args.bff.state,
        config: { ...(args.bff.state?.config ?? signedInConfig), github: { enabled: args.github } },
      },
    });
    return html`
      <div style="height: calc(100vh - 2rem)">
        <remote-chat
          theme=${ifDefined(args.theme || undefined)}
          .client=${bff.client()}
          .repoSource=${args.github ? { ...fakeRepoSource(), token: async () => 'gho_fake' } : undefined}
        ></remote-chat>
      </div>
    `;
  },
};
export default meta;

type Story = StoryObj<Args>;

/** Signed in, no runtime yet: the welcome explains runtimes and starts the first chat in one click. */
export const FirstVisit: Story = {};

/** The welcome, dark, on a phone. */
export const FirstVisitDarkPhone: Story = { ...darkPhone };

/** A runtime but none picked: the chat names the next step. */
export const NoRuntimePicked: Story = {
  args: { bff: { state: { runtimes: [readyRuntime], threads, logs: { [readyRuntime.id]: logReady } } } },
};

/** Many threads, one of them archived, in the sidebar. */
export const ManyThreads: Story = {
  args: {
    rememberedRuntime: readyRuntime.id,
    bff: {
      state: {
        runtimes: [readyRuntime],
        threads: [
          ...threads,
          ...Array.from({ length: 16 }, (_, i) => ({
            ...threads[0]!,
            id: `th_more${i}`,
            title: `Another thread ${i + 1}`,
            archivedAt: i === 0 ? threads[0]!.updatedAt : null,
          })),
        ],
        logs: { [readyRuntime.id]: logReady },
        events: { th_tests: conversation },
      },
    },
  },
};

export const SignedOut: Story = { args: { bff: { state: { config: signedOutConfig } } } };

export const ConnectingToServer: Story = { args: { bff: { latencyMs: Number.POSITIVE_INFINITY } } };

/** Back to a ready runtime with threads: the newest thread opens. */
export const Returning: Story = {
  args: {
    rememberedRuntime: readyRuntime.id,
    bff: {
      state: {
        runtimes: [readyRuntime],
        threads: threads.map((t, i) => (i === 0 ? { ...t, lastSeq: conversation.length } : t)),
        logs: { [readyRuntime.id]: logReady },
        events: { th_tests: conversation },
      },
    },
  },
};

/** As Returning, with GitHub switched on and a repository source: "Push to branch…" in the header. */
export const WithGitHub: Story = { args: { ...Returning.args, github: true } };

/** A thread started from a GitHub issue: the link back to it above the conversation. */
export const FromAnIssue: Story = {
  args: {
    ...WithGitHub.args,
    bff: {
      state: {
        ...Returning.args!.bff!.state,
        threads: [
          {
            ...threads[0]!,
            lastSeq: conversation.length,
            issue: {
              repo: 'octo/notes-app',
              number: 42,
              title: 'Search misses notes with accents',
              htmlUrl: 'https://github.com/octo/notes-app/issues/42',
            },
          },
        ],
      },
    },
  },
};

export const FromAnIssueDarkPhone: Story = { ...darkPhone, args: FromAnIssue.args };

/** Waits until `find` returns something, checking every 50 ms. */
async function until<T>(find: () => T | null | undefined, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() - started > timeoutMs) throw new Error('story: element not found in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Create pressed: the runtime starts, its log streams, then a thread opens by itself. */
export const CreatingRuntime: Story = {
  args: { bff: { stepMs: 1200 } },
  play: async ({ canvasElement }) => {
    const root = await until(() => canvasElement.querySelector('remote-chat')?.shadowRoot);
    const picker = await until(() => root.querySelector('rc-runtime-picker')?.shadowRoot);
    const create = await until(() => picker.querySelector<HTMLButtonElement>('.create-button'));
    create.click();
  },
};

/** Back mid-conversation: a test run is still streaming. */
export const MidConversation: Story = {
  args: {
    rememberedRuntime: readyRuntime.id,
    bff: {
      state: {
        ...Returning.args!.bff!.state,
        threads: threads.map((t, i) => (i === 0 ? { ...t, lastSeq: conversationRunning.length } : t)),
        events: { th_tests: conversationRunning },
      },
    },
  },
};

export const MidConversationDark: Story = { ...dark, args: MidConversation.args };

/** On a phone: one column; the threads and the sandbox log are in a drawer. */
export const MidConversationPhone: Story = { ...phone, args: MidConversation.args };

export const MidConversationDarkPhone: Story = { ...darkPhone, args: MidConversation.args };

/** On a phone with the drawer open. */
export const PhoneDrawerOpen: Story = {
  ...phone,
  args: MidConversation.args,
  play: async ({ canvasElement }) => {
    const root = await until(() => canvasElement.querySelector('remote-chat')?.shadowRoot);
    const toggle = await until(() => root.querySelector<HTMLButtonElement>('.sidebar-toggle'));
    toggle.click();
  },
};
