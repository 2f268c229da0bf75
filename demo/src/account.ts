// The portal's Account page: the owner's API tokens.
import './portal.css';
import './account/define.js';
import { setUpThemeChoice } from './theme-choice.js';

setUpThemeChoice();
