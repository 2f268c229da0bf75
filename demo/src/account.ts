// The portal's Account page: the owner's API tokens and model usage.
import './portal.css';
import './account/define.js';
import { setUpSignOut } from './sign-out.js';
import { setUpThemeChoice } from './theme-choice.js';

setUpThemeChoice();
setUpSignOut();
