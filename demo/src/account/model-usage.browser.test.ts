// Account → Model usage in Chromium, against the elements' fake BFF.
import axe from 'axe-core';
import { html } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageResponse } from '@remote-chat/protocol';
import { FakeBff } from '../../../packages/chat-elements/src/fixtures/fake-bff.js';
import { cleanUp, fixture, waitFor } from '../../../packages/chat-elements/src/fixtures/harness.js';
import { shellOnlyConfig, signedInConfig } from '../../../packages/chat-elements/src/fixtures/runtimes.js';
import { modelUsage } from '../../../packages/chat-elements/src/fixtures/usage.js';
import type { PortalModelUsage } from './model-usage.js';
import './define.js';

afterEach(cleanUp);

async function mount(bff: FakeBff, size?: { width: string; height: string }) {
  return fixture<PortalModelUsage>(html`<portal-model-usage .client=${bff.client()}></portal-model-usage>`, size);
}

/** The section's text once it has loaded, as one line. */
async function loaded(element: PortalModelUsage): Promise<string> {
  const root = element.shadowRoot!;
  await waitFor(() => !root.querySelector('[role="status"]'), { what: 'the usage' });
  return root.textContent!.replace(/\s+/g, ' ');
}

/** The figures of a span ("Today", "All time") by their names. */
const facts = (element: PortalModelUsage, span: string) =>
  Object.fromEntries(
    [...element.shadowRoot!.querySelectorAll(`[aria-labelledby="${span}"] dl div`)].map((div) => [
      div.querySelector('dt')!.textContent,
      div.querySelector('dd')!.textContent,
    ]),
  );

const rowHeads = (element: PortalModelUsage, table: string) =>
  [...element.shadowRoot!.querySelectorAll(`[aria-labelledby="${table}"] tbody th`)].map((th) => th.textContent);

describe('<portal-model-usage>', () => {
  it("shows today's and all-time tokens and calls, the budget left, per model and the top threads", async () => {
    const element = await mount(new FakeBff({ latencyMs: 5, state: { usage: modelUsage } }));
    const text = await loaded(element);
    expect(text).toContain('Today 2025-11-20 (UTC)');
    expect(facts(element, 'today-title')).toEqual({
      'Input tokens': '118,420',
      'Output tokens': '9,315',
      'Model calls': '41',
    });
    expect(facts(element, 'total-title')).toEqual({
      'Input tokens': '2,314,977',
      'Output tokens': '187,204',
      'Model calls': '806',
    });
    expect(text).toContain('127,735 of 200,000 tokens used today · 72,265 left');
    const meter = element.shadowRoot!.querySelector('meter')!;
    expect([meter.value, meter.max]).toEqual([127_735, 200_000]);
    // Models by their labels in the config, threads by id, most used first.
    expect(rowHeads(element, 'models-title')).toEqual(['GPT-4.1', 'Claude Sonnet 4']);
    expect(rowHeads(element, 'threads-title')).toEqual(['th_tests', 'th_readme', 'th_deps']);
    const gpt = element.shadowRoot!.querySelector('[aria-labelledby="models-title"] tbody tr')!;
    expect([...gpt.querySelectorAll('td')].map((td) => td.textContent)).toEqual([
      '96.1K in · 7,702 out',
      '1.8M in · 150.4K out',
      '640',
    ]);
    expect(gpt.querySelector('td')!.title).toBe('96,100 input tokens, 7,702 output tokens');
    expect(text).not.toContain('spent');
  });

  it('says when the daily budget is spent', async () => {
    const spent: UsageResponse = { ...modelUsage, dailyTokens: 100_000 };
    const element = await mount(new FakeBff({ latencyMs: 5, state: { usage: spent } }));
    const text = await loaded(element);
    expect(text).toContain('127,735 of 100,000 tokens used today · 0 left');
    expect(text).toContain("Today's budget is spent");
    expect(element.shadowRoot!.querySelector('meter')!.value).toBe(100_000);
  });

  it('says there are no model calls yet, and that there is no budget', async () => {
    const element = await mount(new FakeBff({ latencyMs: 5 }));
    const text = await loaded(element);
    expect(text).toContain('No model calls yet');
    expect(text).toContain('No daily token budget');
    expect(element.shadowRoot!.querySelector('table')).toBeNull();
  });

  it('says no models are configured when the config lists no llm agent', async () => {
    const element = await mount(new FakeBff({ latencyMs: 5, state: { config: shellOnlyConfig, usage: modelUsage } }));
    const text = await loaded(element);
    expect(text).toContain('No models configured');
    expect(element.shadowRoot!.querySelector('table')).toBeNull();
  });

  it('shows why it could not load, and loads on Try again', async () => {
    const bff = new FakeBff({ latencyMs: 5, state: { usage: modelUsage } });
    bff.goOffline();
    const element = await mount(bff);
    const alert = await waitFor(() => element.shadowRoot!.querySelector('[role="alert"]'), { what: 'the error' });
    expect(alert.textContent).toContain('Could not load your usage');
    bff.goOnline();
    element.shadowRoot!.querySelector<HTMLButtonElement>('button')!.click();
    await waitFor(() => rowHeads(element, 'models-title').length === 2, { what: 'the usage' });
  });

  it('asks to sign in when signed out', async () => {
    const element = await mount(new FakeBff({ latencyMs: 5, state: { config: { ...signedInConfig, user: null } } }));
    expect(await loaded(element)).toContain('Sign in to see your model usage.');
  });

  for (const scheme of ['light', 'dark']) {
    it(`has no serious accessibility violations at phone width (${scheme})`, async () => {
      const element = await mount(new FakeBff({ latencyMs: 5, state: { usage: modelUsage } }), {
        width: '360px',
        height: '720px',
      });
      const container = element.parentElement!;
      container.style.colorScheme = scheme;
      container.style.background = scheme === 'dark' ? '#0d0f13' : '#eef0f4';
      await loaded(element);
      // The tables scroll inside their region; the page does not.
      expect(element.scrollWidth).toBeLessThanOrEqual(360);
      const result = await axe.run(container, { resultTypes: ['violations'] });
      const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);
    });
  }
});
