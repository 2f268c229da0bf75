import { RcRepoSelector } from './repo-selector.js';

if (!customElements.get('rc-repo-selector')) customElements.define('rc-repo-selector', RcRepoSelector);

declare global {
  interface HTMLElementTagNameMap {
    'rc-repo-selector': RcRepoSelector;
  }
}
