import { RcSandboxLog } from './sandbox-log.js';

if (!customElements.get('rc-sandbox-log')) customElements.define('rc-sandbox-log', RcSandboxLog);

declare global {
  interface HTMLElementTagNameMap {
    'rc-sandbox-log': RcSandboxLog;
  }
}
