import { PortalRuntimes } from './runtime-list.js';

if (!customElements.get('portal-runtimes')) customElements.define('portal-runtimes', PortalRuntimes);

declare global {
  interface HTMLElementTagNameMap {
    'portal-runtimes': PortalRuntimes;
  }
}
