import { chromium, type BrowserServer } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { startPostgres, type TestPostgres } from './postgres.js';

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
    /** A PostgreSQL server for the run; each test makes its own database in it. */
    postgresUrl: string;
  }
}

let browser: BrowserServer | undefined;
let postgres: TestPostgres | undefined;

export default async function setup(project: TestProject) {
  [browser, postgres] = await Promise.all([
    chromium.launchServer({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    }),
    process.env.TEST_DATABASE_URL ? Promise.resolve(undefined) : startPostgres(),
  ]);
  project.provide('browserWsEndpoint', browser.wsEndpoint());
  project.provide('postgresUrl', process.env.TEST_DATABASE_URL ?? postgres!.url);
  return async () => {
    await browser?.close();
    postgres?.stop();
  };
}
