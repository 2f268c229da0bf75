// <remote-chat> renders the other elements, so defining it defines them too (the GitHub ones
// when first needed: see `loadGitHubElements`).
import '../chat/define.js';
import '../runtime-picker/define.js';
import '../sandbox-log/define.js';
import '../thread-list/define.js';
import { RemoteChatElement } from './remote-chat.js';

if (!customElements.get('remote-chat')) customElements.define('remote-chat', RemoteChatElement);

declare global {
  interface HTMLElementTagNameMap {
    'remote-chat': RemoteChatElement;
  }
}
