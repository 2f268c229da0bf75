// <rc-chat> renders an <rc-composer>.
import '../composer/define.js';
import { RcChat } from './chat.js';

if (!customElements.get('rc-chat')) customElements.define('rc-chat', RcChat);

declare global {
  interface HTMLElementTagNameMap {
    'rc-chat': RcChat;
  }
}
