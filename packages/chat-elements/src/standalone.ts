// The entry of dist/remote-chat.js: defines every element, and exports the headless client for
// pages that want it next to them. The GitHub elements (the repository selector and the push
// dialog) are loaded on first use from a file beside it: see `loadGitHubElements`; so is the agent
// picker's thread-token help and "Continue on another runtime…", which the composer's define loads,
// and the sandbox log, which
// `<remote-chat>`'s define loads.
import './elements/chat/define.js';
import './elements/composer/define.js';
import './elements/remote-chat/define.js';
import './elements/runtime-picker/define.js';
import './elements/thread-list/define.js';

export { RemoteChatClient } from './client/remote-chat-client.js';
export { ChatClientError, RemoteChatError, TokenError, TransportError } from './client/errors.js';
export { RcTokenExpiredEvent } from './events/token-expired-event.js';
export { loadGitHubElements } from './github-elements.js';
