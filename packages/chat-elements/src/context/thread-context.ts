import { createContext } from '@lit/context';
import type { Thread } from '@remote-chat/protocol';

/** The open thread, replaced by a new object on every update the BFF sends. */
export type ThreadContextValue = Thread | undefined;
export const threadContext = createContext<ThreadContextValue>(Symbol('rc-thread'));
