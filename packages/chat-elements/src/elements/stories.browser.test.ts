/// <reference types="vite/client" />
// Every story of every element, rendered in Chromium as Storybook renders it (its args, its scheme
// and viewport, its play function), then checked with axe-core: no serious or critical violation.
import axe from 'axe-core';
import { render, type TemplateResult } from 'lit';
import { afterEach, describe, expect, it } from 'vitest';

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
        // Fake servers answer in ~60 ms and streams open in ~20 ms: let the story settle.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const result = await axe.run(container, { resultTypes: ['violations'] });
        const serious = result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map(
            (v) =>
              `${v.id}: ${v.help} (${v.nodes
                .map((n) => n.target.join(' '))
                .slice(0, 3)
                .join(' | ')})`,
          );
        expect(serious).toEqual([]);
      });
    }
  });
}
