/// <reference types="vite/client" />
// Every story of every element, rendered in Chromium as Storybook renders it (its args, its scheme
// and viewport, its play function), then checked with axe-core: no serious or critical violation.
import axe from 'axe-core';
import { render, type LitElement, type TemplateResult } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBff } from '../fixtures/fake-bff.js';
import { deepQueryAll } from '../fixtures/harness.js';

interface StoryLike {
  args?: Record<string, unknown>;
  globals?: { scheme?: string; viewport?: { value?: string } };
  render?: (args: Record<string, unknown>, context: unknown) => TemplateResult;
  play?: (context: { canvasElement: HTMLElement; args: Record<string, unknown> }) => Promise<void> | void;
}
interface MetaLike extends StoryLike {
  title: string;
}

const modules = import.meta.glob<Record<string, unknown>>('./**/*.stories.ts', { eager: true });

let container: HTMLElement | undefined;
afterEach(() => {
  if (container) render(null, container);
  container?.remove();
  container = undefined;
  sessionStorage.clear();
});

/**
 * Waits until a story is at rest: the fake BFFs it made have answered everything they were asked
 * (those that never answer, by design, aside) and no element has an update pending, both at the
 * start of a round; then one more frame, so what was rendered is laid out.
 */
async function atRest(root: HTMLElement): Promise<void> {
  const deadline = performance.now() + 5000;
  for (;;) {
    if (performance.now() > deadline) throw new Error('the story did not come to rest in 5 s');
    const wasIdle = FakeBff.idle;
    await FakeBff.settled();
    const pending = deepQueryAll<LitElement>(root, '*').filter((e) => 'isUpdatePending' in e && e.isUpdatePending);
    await Promise.all(pending.map((e) => e.updateComplete));
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (wasIdle && pending.length === 0) return;
  }
}

const WIDTHS: Record<string, string> = { phone: '360px', small: '320px', tablet: '768px', desktop: '1280px' };

for (const [path, module] of Object.entries(modules)) {
  const meta = module['default'] as MetaLike;
  describe(`${meta.title} (${path.split('/').pop()})`, () => {
    for (const [name, value] of Object.entries(module)) {
      if (name === 'default') continue;
      const story = value as StoryLike;
      const scheme = story.globals?.scheme ?? meta.globals?.scheme ?? 'light';
      const viewport = story.globals?.viewport?.value ?? 'desktop';
      it(`${name} (${scheme}, ${viewport}) has no serious accessibility violations`, async () => {
        const args = { ...meta.args, ...story.args };
        const draw = story.render ?? meta.render;
        if (!draw) throw new Error(`${name} has nothing to render`);
        container = document.createElement('div');
        container.style.cssText = `--rc-color-scheme: ${scheme}; color-scheme: ${scheme}; background: ${
          scheme === 'dark' ? '#0d0f13' : '#eef0f4'
        }; color: ${scheme === 'dark' ? '#e6e8ed' : '#1c2026'}; width: ${WIDTHS[viewport] ?? '1280px'}; height: 720px; padding: 1rem; box-sizing: border-box; overflow: auto`;
        document.body.append(container);
        render(draw(args, { args, globals: story.globals ?? {} }), container);
        await story.play?.({ canvasElement: container, args });
        await atRest(container);
        const result = await axe.run(container, { resultTypes: ['violations'] });
        const serious = result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map(
            (v) =>
              `${v.id}: ${v.help} (${v.nodes
                .map((n) => `${n.target.join(' ')}${n.any[0]?.message ? `: ${n.any[0].message}` : ''}`)
                .slice(0, 3)
                .join(' | ')})`,
          );
        expect(serious).toEqual([]);
      });
    }
  });
}
