import { RcComposer } from './composer.js';

if (!customElements.get('rc-composer')) customElements.define('rc-composer', RcComposer);
// The agent picker's "Run your own agent" help: a file of its own in the one-file bundle (fetched
// beside `remote-chat.js`), since few people open it.
void import('../thread-token/define.js');
// Shown only under a runtime that cannot take work: a file of its own.
void import('../thread-move/define.js');

declare global {
  interface HTMLElementTagNameMap {
    'rc-composer': RcComposer;
  }
}
