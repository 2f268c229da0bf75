import { chromium, type BrowserServer } from 'playwright-core';
import type { TestProject } from 'vitest/node';

/** Chromium flags that work as root on a machine without outside network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

declare module 'vitest' {
  export interface ProvidedContext {
    /** A Chromium that every browser test connects to, so the suite starts one browser. */
    browserWsEndpoint: string;
  }
}

let browser: BrowserServer | undefined;

export default async function setup(project: TestProject) {
  browser = await chromium.launchServer({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  project.provide('browserWsEndpoint', browser.wsEndpoint());
  return async () => {
    await browser?.close();
  };
}
