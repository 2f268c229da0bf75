import { createRequire } from 'node:module';

/** The BFF's version: the one in its package.json, which sits beside `src/` and `dist/`. */
export const BFF_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
