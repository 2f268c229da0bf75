import '../thread-token/define.js';
import { RcComposer } from './composer.js';

if (!customElements.get('rc-composer')) customElements.define('rc-composer', RcComposer);

declare global {
  interface HTMLElementTagNameMap {
    'rc-composer': RcComposer;
  }
}
