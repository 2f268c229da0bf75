import { RcThreadMove } from './thread-move.js';

if (!customElements.get('rc-thread-move')) customElements.define('rc-thread-move', RcThreadMove);

declare global {
  interface HTMLElementTagNameMap {
    'rc-thread-move': RcThreadMove;
  }
}
