import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Files the BFF copies or serves but never imports: the one-file runtime, the embeddable elements
// and the portal. Each is an option; these defaults find the files through the installed packages
// (in the monorepo, the workspace links in node_modules), so nothing here reaches into another
// package's folder by a relative path. A default is looked up only when it is used, so a BFF
// given every file needs none of the packages installed.

/** The runtime package's built one-file bundle (`@remote-chat/runtime/bundle`). */
export function defaultRuntimeFile(): string {
  return fileURLToPath(import.meta.resolve('@remote-chat/runtime/bundle'));
}

/** The elements package's built self-contained `remote-chat.js` (its source map lies beside it). */
export function defaultElementsFile(): string {
  return fileURLToPath(import.meta.resolve('@remote-chat/elements/remote-chat.js'));
}

/**
 * The portal's build: the `dist` folder of the `@remote-chat/demo` workspace (`npm run build` makes
 * it), or undefined where that package is not installed (a BFF installed from the registry).
 */
export function defaultPortalDir(): string | undefined {
  try {
    return join(dirname(fileURLToPath(import.meta.resolve('@remote-chat/demo/package.json'))), 'dist');
  } catch {
    return undefined;
  }
}
