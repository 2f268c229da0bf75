import { PortalApiTokens } from './api-tokens.js';
import { PortalConnectMachine } from './connect-machine.js';
import { PortalModelUsage } from './model-usage.js';

if (!customElements.get('portal-api-tokens')) customElements.define('portal-api-tokens', PortalApiTokens);
if (!customElements.get('portal-connect-machine'))
  customElements.define('portal-connect-machine', PortalConnectMachine);
if (!customElements.get('portal-model-usage')) customElements.define('portal-model-usage', PortalModelUsage);

declare global {
  interface HTMLElementTagNameMap {
    'portal-api-tokens': PortalApiTokens;
    'portal-connect-machine': PortalConnectMachine;
    'portal-model-usage': PortalModelUsage;
  }
}
