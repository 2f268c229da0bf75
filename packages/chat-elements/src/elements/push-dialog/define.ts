import { RcPushDialog } from './push-dialog.js';

if (!customElements.get('rc-push-dialog')) customElements.define('rc-push-dialog', RcPushDialog);

declare global {
  interface HTMLElementTagNameMap {
    'rc-push-dialog': RcPushDialog;
  }
}
