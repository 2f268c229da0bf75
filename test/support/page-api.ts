import type { Runtime } from '@remote-chat/protocol';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** A same-origin JSON request from the page, with its session. */
export function api(
  page: Page,
  path: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ([path, method, body]) => {
      const response = await fetch(path, {
        method,
        ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    [path, method, body] as const,
  );
}

/** Resolves once the runtime's status is `status` (ready unless told), asked through the page. */
export async function untilStatus(page: Page, id: string, status: Runtime['status'] = 'ready', timeout = 30_000) {
  await expect
    .poll(async () => ((await api(page, `/api/runtimes/${id}`)).body as Runtime).status, { timeout })
    .toBe(status);
}
