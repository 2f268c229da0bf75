import { RcWelcome } from './welcome.js';

if (!customElements.get('rc-welcome')) customElements.define('rc-welcome', RcWelcome);

declare global {
  interface HTMLElementTagNameMap {
    'rc-welcome': RcWelcome;
  }
}
