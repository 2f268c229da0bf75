// The portal's Runtimes page: every runtime of the signed-in person, with delete.
import './portal.css';
import './runtimes/define.js';
import { setUpSignOut } from './sign-out.js';
import { setUpThemeChoice } from './theme-choice.js';

setUpThemeChoice();
setUpSignOut();
