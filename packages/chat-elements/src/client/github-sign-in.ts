import {
  GitHubSignInErrorMessageSchema,
  GitHubTokenMessageSchema,
  type GitHubTokenMessage,
} from '@remote-chat/protocol';

export interface GitHubSignInOptions {
  /** `GET /api/github/oauth/start?origin=…` of the BFF. */
  url: string;
  /** The BFF's origin: the only one whose messages are heard. */
  bffOrigin: string;
  /**
   * Called when the browser blocked the popup, with the URL to offer as a link
   * (`target` {@link SIGN_IN_WINDOW}, `rel="opener"`); the sign-in keeps listening.
   */
  onBlocked?: (url: string) => void;
  signal?: AbortSignal;
  /** @default window.open */
  open?: (url: string, target: string, features: string) => { closed: boolean; close(): void } | null;
}

/** The name of the sign-in window, for a link that opens it when the popup was blocked. */
export const SIGN_IN_WINDOW = 'rc-github-sign-in';

/**
 * Signs in to GitHub in a popup: opens the BFF's OAuth start, which goes to GitHub and back to
 * the BFF's callback, whose page posts the token to this page's origin and closes. Resolves with
 * that message. Only a message from the BFF's origin that fits the protocol is heard; a refusal
 * (`rc-github-error`) rejects with its message, and so does closing the popup.
 */
export function signInWithPopup(options: GitHubSignInOptions): Promise<GitHubTokenMessage> {
  const { url, bffOrigin, signal } = options;
  return new Promise((resolve, reject) => {
    let watch: ReturnType<typeof setInterval> | undefined;
    const done = (): void => {
      window.removeEventListener('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
      clearInterval(watch);
    };
    const onMessage = (event: MessageEvent): void => {
      if (event.origin !== bffOrigin) return;
      const token = GitHubTokenMessageSchema.safeParse(event.data);
      if (token.success) {
        done();
        resolve(token.data);
        return;
      }
      const refused = GitHubSignInErrorMessageSchema.safeParse(event.data);
      if (refused.success) {
        done();
        reject(new Error(`GitHub sign-in failed: ${refused.data.message}`));
      }
    };
    const onAbort = (): void => {
      done();
      reject(signal?.reason);
    };
    if (signal?.aborted) return reject(signal.reason);
    window.addEventListener('message', onMessage);
    signal?.addEventListener('abort', onAbort);
    const open = options.open ?? ((u, t, f) => window.open(u, t, f));
    const popup = open(url, SIGN_IN_WINDOW, 'popup,width=640,height=760');
    if (!popup) {
      options.onBlocked?.(url);
      return;
    }
    // Closing the window without finishing ends the wait.
    watch = setInterval(() => {
      if (!popup.closed) return;
      done();
      reject(new Error('The GitHub sign-in window was closed before it finished.'));
    }, 500);
  });
}
