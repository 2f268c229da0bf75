import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import type { RestApi } from '../../client/rest-api.js';
import { FakeBff } from '../../fixtures/fake-bff.js';
import { fakeRepoSource } from '../../fixtures/repo-source.js';
import { readyRuntime } from '../../fixtures/runtimes.js';
import { dark, darkPhone, phone } from '../../fixtures/story-variants.js';
import type { RepoSource } from '../repo-selector/repo-source.js';
import './define.js';

interface Args {
  client: RestApi;
  source: RepoSource;
}

const at = '2025-11-20T09:00:00.000Z';

/** A BFF with the thread `th_push` on a ready runtime of `octo/notes-app`. */
function bff(options: { latencyMs?: number; tokens?: string[] } = {}): RestApi {
  const fake = new FakeBff({
    latencyMs: options.latencyMs ?? 5,
    state: {
      runtimes: [readyRuntime],
      threads: [
        {
          id: 'th_push',
          runtimeId: readyRuntime.id,
          title: 'Fix the café search',
          lastSeq: 0,
          createdAt: at,
          updatedAt: at,
        },
      ],
    },
  });
  fake.state.config = { ...fake.state.config, github: { enabled: true } };
  if (options.tokens) fake.state.github.tokens = options.tokens;
  fake.pushMs = 5;
  return fake.client();
}

/** A source whose token is `gho_fake`. */
function source(): RepoSource {
  return { ...fakeRepoSource({ delayMs: 5 }), token: async () => 'gho_fake' };
}

const meta: Meta<Args> = {
  title: 'Elements/Push dialog',
  component: 'rc-push-dialog',
  args: { client: bff(), source: source() },
  render: (args) => html`
    <rc-push-dialog open .client=${args.client} .source=${args.source} thread-id="th_push" thread-title="Fix the café search"></rc-push-dialog>
  `,
};
export default meta;

type Story = StoryObj<Args>;

/** Presses Push in the dialog. */
async function push({ canvasElement }: { canvasElement: HTMLElement }): Promise<void> {
  const dialog = canvasElement.querySelector('rc-push-dialog');
  await dialog?.updateComplete;
  dialog?.shadowRoot?.querySelector<HTMLButtonElement>('button[type="submit"]')?.click();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/** The branch suggested from the thread's title. */
export const Form: Story = {};

/** On its way. */
export const Pushing: Story = { args: { client: bff({ latencyMs: Number.POSITIVE_INFINITY }) }, play: push };

/** Pushed: the link to open a pull request. */
export const Pushed: Story = { play: push };

/** GitHub no longer takes the token: sign in again. */
export const SignInExpired: Story = { args: { client: bff({ tokens: [] }) }, play: push };

export const FormDark: Story = { ...dark };

export const PushedPhone: Story = { ...phone, play: push };

export const FormDarkPhone: Story = { ...darkPhone };
