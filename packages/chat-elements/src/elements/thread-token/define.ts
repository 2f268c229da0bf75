import { RcThreadToken } from './thread-token.js';

if (!customElements.get('rc-thread-token')) customElements.define('rc-thread-token', RcThreadToken);

declare global {
  interface HTMLElementTagNameMap {
    'rc-thread-token': RcThreadToken;
  }
}
