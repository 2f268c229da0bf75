import type { Runtime } from '@remote-chat/protocol';

/**
 * Why no message can be sent now (the runtime is starting, offline, stopped or failed; no thread
 * or runtime is open; or what the page said), or an empty string. The composer shows it; the chat's
 * status line says "Idle" only when it is empty.
 */
export function whySendingIsBlocked({
  disabledReason,
  runtime,
  threadId,
}: {
  disabledReason: string;
  runtime: Pick<Runtime, 'status'> | null | undefined;
  threadId: string | null | undefined;
}): string {
  if (disabledReason) return disabledReason;
  if (runtime) {
    switch (runtime.status) {
      case 'starting':
        return 'The runtime is starting. You can send messages once it is ready.';
      case 'offline':
        return 'The runtime is offline. You can send messages once it reconnects.';
      case 'stopping':
      case 'stopped':
        return 'This runtime is stopped. Press Start again in the sandbox log, or continue this thread on another runtime.';
      case 'failed':
        return 'This runtime failed to start: see the sandbox log, then create a new one.';
      case 'ready':
      case 'paused':
        // A paused sandbox resumes when a message arrives.
        break;
    }
  }
  if (!threadId)
    return runtime ? 'Open a thread or create one to send a message.' : 'Pick or create a runtime to start chatting.';
  return '';
}
