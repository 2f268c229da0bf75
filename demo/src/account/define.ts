import { PortalApiTokens } from './api-tokens.js';

if (!customElements.get('portal-api-tokens')) customElements.define('portal-api-tokens', PortalApiTokens);

declare global {
  interface HTMLElementTagNameMap {
    'portal-api-tokens': PortalApiTokens;
  }
}
