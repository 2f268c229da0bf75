import type { WorkspacePushFrame, WorkspacePushResultFrame } from '@remote-chat/protocol';
import { RemoteChatError } from '../errors.js';
import { newId } from '../secrets.js';
import type { LiveRuntime } from './live-links.js';

/** How long a push may take before the BFF stops waiting (a large first push over a slow link). */
const PUSH_TIMEOUT_MS = 10 * 60_000;

/** What a push a runtime made answered. */
export interface PushOutcome {
  commit: string;
  /** The branch the workspace was on, if any. */
  base: string | null;
}

interface Pending {
  runtimeId: string;
  resolve: (outcome: PushOutcome) => void;
  reject: (error: RemoteChatError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Pushes asked of runtimes: each a `workspace.push` frame on the link's unnumbered channel (it
 * carries the user's token, so it must never be numbered or stored like the link's messages),
 * answered by one `workspace.pushResult`. A push lives as long as the socket it was written on:
 * when the link goes offline it fails, and the person asks again.
 */
export class WorkspacePushes {
  readonly #pending = new Map<string, Pending>();

  /** Asks the runtime to push; resolves with the commit, or rejects with an error for the person. */
  push(live: LiveRuntime, request: Omit<WorkspacePushFrame, 'type' | 'requestId'>): Promise<PushOutcome> {
    const requestId = newId('push');
    return new Promise<PushOutcome>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#settle(
            requestId,
            new RemoteChatError('runtime_unavailable', 'The runtime did not finish the push in time.'),
          ),
        PUSH_TIMEOUT_MS,
      );
      timer.unref();
      this.#pending.set(requestId, { runtimeId: live.id, resolve, reject, timer });
      if (!live.session.sendGateway({ type: 'workspace.push', requestId, ...request }))
        this.#settle(
          requestId,
          new RemoteChatError(
            'runtime_unavailable',
            'The runtime is not connected right now (restarting or offline); try again once it is ready.',
          ),
        );
    });
  }

  /** A runtime's answer; one for a push it was not asked (or another runtime's) is ignored. */
  receive(live: LiveRuntime, frame: WorkspacePushResultFrame): void {
    const pending = this.#pending.get(frame.requestId);
    if (!pending || pending.runtimeId !== live.id) return;
    if (frame.ok && frame.commit) {
      this.#settle(frame.requestId, { commit: frame.commit, base: frame.base ?? null });
      return;
    }
    const message = frame.error ?? 'The push failed; see the thread for git’s output.';
    const code =
      frame.reason === 'no_access'
        ? 'github_unauthorized'
        : frame.reason === 'rejected'
          ? 'conflict'
          : frame.reason === 'network'
            ? 'github_unavailable'
            : 'bad_request';
    this.#settle(frame.requestId, new RemoteChatError(code, message));
  }

  /** The runtime's link went down: its pushes in flight fail (their socket is gone). */
  linkDown(runtimeId: string): void {
    for (const [requestId, pending] of this.#pending)
      if (pending.runtimeId === runtimeId)
        this.#settle(
          requestId,
          new RemoteChatError('runtime_unavailable', 'The link to the runtime dropped during the push; push again.'),
        );
  }

  #settle(requestId: string, outcome: PushOutcome | RemoteChatError): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#pending.delete(requestId);
    clearTimeout(pending.timer);
    if (outcome instanceof RemoteChatError) pending.reject(outcome);
    else pending.resolve(outcome);
  }
}
