// The portal's Remote Chat page: the element fills the page below the top bar.
import '@remote-chat/elements/define';
import './portal.css';
import { setUpSignOut } from './sign-out.js';
import { setUpThemeChoice } from './theme-choice.js';

setUpThemeChoice();
setUpSignOut();
