// The portal's Remote Chat page: the element fills the page below the top bar.
import '@remote-chat/elements/define';
import './portal.css';
import { setUpThemeChoice } from './theme-choice.js';

setUpThemeChoice();
