import { createContext } from '@lit/context';
import type { RemoteChatClient } from '../client/remote-chat-client.js';

/** The client every element of one `<remote-chat>` talks to the BFF through. */
export type ClientContextValue = RemoteChatClient | undefined;
export const clientContext = createContext<ClientContextValue>(Symbol('rc-client'));
