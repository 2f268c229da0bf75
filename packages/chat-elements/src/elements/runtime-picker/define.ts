import { RcRuntimePicker } from './runtime-picker.js';

if (!customElements.get('rc-runtime-picker')) customElements.define('rc-runtime-picker', RcRuntimePicker);

declare global {
  interface HTMLElementTagNameMap {
    'rc-runtime-picker': RcRuntimePicker;
  }
}
