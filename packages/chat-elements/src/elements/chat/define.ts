import { RcChat } from './chat.js';

if (!customElements.get('rc-chat')) customElements.define('rc-chat', RcChat);

declare global {
  interface HTMLElementTagNameMap {
    'rc-chat': RcChat;
  }
}
