import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';
import { testService } from './services.js';

let shared: Promise<Browser> | undefined;

/** The run's one Chromium (started on first use by the global setup), connected once per test file. */
export function browser(): Promise<Browser> {
  shared ??= testService('chromium').then((endpoint) => chromium.connect(endpoint));
  return shared;
}

/** A fresh browser context (its own cookies and storage), closed when the test ends. */
export async function newContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const context = await (await browser()).newContext(options);
  onTestFinished(() => context.close());
  return context;
}

/** A page in a fresh context that fails the test on any uncaught page error. */
export async function newPage(
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, errors };
}

/** Waits until the composer is enabled, wherever it is in the shadow roots. */
export async function composerReady(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const find = (root: Document | ShadowRoot): HTMLTextAreaElement | null => {
        for (const el of root.querySelectorAll('*')) {
          if (el instanceof HTMLTextAreaElement) return el;
          if (el.shadowRoot) {
            const found = find(el.shadowRoot);
            if (found) return found;
          }
        }
        return null;
      };
      const textarea = find(document);
      return textarea !== null && !textarea.disabled;
    },
    undefined,
    { timeout },
  );
}
