import { RcThreadList } from './thread-list.js';

if (!customElements.get('rc-thread-list')) customElements.define('rc-thread-list', RcThreadList);

declare global {
  interface HTMLElementTagNameMap {
    'rc-thread-list': RcThreadList;
  }
}
