import {
  FromRuntimeMessageSchema,
  type EventBody,
  type FromRuntimeMessage,
  type ToRuntimeMessage,
} from '@remote-chat/protocol';
import { LinkSession } from '@remote-chat/link';

/** The BFF's end of a runtime link, for tests: records every message it receives, with when. */
export function bffSession() {
  const received: { message: FromRuntimeMessage; at: number }[] = [];
  const session = new LinkSession<ToRuntimeMessage, FromRuntimeMessage>({
    inbound: FromRuntimeMessageSchema,
    onMessage: (message) => {
      received.push({ message, at: Date.now() });
    },
  });
  /** A thread's events so far, each with the time it arrived. */
  const events = (threadId: string) =>
    received.flatMap(({ message, at }) =>
      message.type === 'thread.event' && message.threadId === threadId
        ? [{ ...message.event, at } as EventBody & { at: number }]
        : [],
    );
  return { session, received, events };
}
