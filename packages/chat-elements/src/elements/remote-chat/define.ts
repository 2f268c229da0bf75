// <remote-chat> renders the other elements, so defining it defines them too (the GitHub ones
// when first needed: see `loadGitHubElements`). The sandbox log, shown once a runtime is picked
// and folded once it is ready, is a file of its own in the one-file bundle, fetched at once.
import '../chat/define.js';
import '../runtime-picker/define.js';
import '../thread-list/define.js';
import { RemoteChatElement } from './remote-chat.js';

if (!customElements.get('remote-chat')) customElements.define('remote-chat', RemoteChatElement);
void import('../sandbox-log/define.js');

declare global {
  interface HTMLElementTagNameMap {
    'remote-chat': RemoteChatElement;
  }
}
