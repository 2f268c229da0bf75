import { createContext } from '@lit/context';
import type { ConfigResponse } from '@remote-chat/protocol';

/** What the BFF offers (`GET /api/config`), once it has answered. */
export type ConfigContextValue = ConfigResponse | undefined;
export const configContext = createContext<ConfigContextValue>(Symbol('rc-config'));
