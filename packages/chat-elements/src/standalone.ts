// The entry of dist/remote-chat.js: defines every element, and exports the headless client for
// pages that want it next to them.
import './define.js';

export { RemoteChatClient } from './client/remote-chat-client.js';
export { ChatClientError, RemoteChatError, TokenError, TransportError } from './client/errors.js';
export { RcTokenExpiredEvent } from './events/token-expired-event.js';
