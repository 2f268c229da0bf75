/**
 * Defines the GitHub elements, `<rc-repo-selector>` and `<rc-push-dialog>` (each only if its
 * name is free). `<remote-chat>` calls it when the BFF has GitHub on, or when the user opens the
 * repository selector. In the one-file `remote-chat.js` they are a file of their own beside it
 * (`remote-chat-*.js`), fetched on first use, so the chat does not carry them until they are
 * needed; a page that uses them without `<remote-chat>` calls it first:
 *
 * @example
 * ```js
 * import { loadGitHubElements } from 'https://chat.example.com/remote-chat.js';
 * await loadGitHubElements();
 * ```
 */
export async function loadGitHubElements(): Promise<void> {
  await Promise.all([import('./elements/repo-selector/define.js'), import('./elements/push-dialog/define.js')]);
}
