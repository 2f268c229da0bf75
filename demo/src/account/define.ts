import { PortalApiTokens } from './api-tokens.js';
import { PortalModelUsage } from './model-usage.js';

if (!customElements.get('portal-api-tokens')) customElements.define('portal-api-tokens', PortalApiTokens);
if (!customElements.get('portal-model-usage')) customElements.define('portal-model-usage', PortalModelUsage);

declare global {
  interface HTMLElementTagNameMap {
    'portal-api-tokens': PortalApiTokens;
    'portal-model-usage': PortalModelUsage;
  }
}
