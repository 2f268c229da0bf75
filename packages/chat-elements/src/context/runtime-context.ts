import { createContext } from '@lit/context';
import type { Runtime } from '@remote-chat/protocol';

/** The selected runtime, replaced by a new object on every update the BFF sends. */
export type RuntimeContextValue = Runtime | undefined;
export const runtimeContext = createContext<RuntimeContextValue>(Symbol('rc-runtime'));
