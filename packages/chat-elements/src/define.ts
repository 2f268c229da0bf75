/**
 * Defines every Remote Chat element whose name is still free. Import it once:
 * `import '@remote-chat/elements/define';`
 */
import './elements/chat/define.js';
import './elements/composer/define.js';
import './elements/push-dialog/define.js';
import './elements/remote-chat/define.js';
import './elements/repo-selector/define.js';
import './elements/runtime-picker/define.js';
import './elements/sandbox-log/define.js';
import './elements/thread-list/define.js';
import './elements/thread-move/define.js';
import './elements/thread-token/define.js';
import './elements/welcome/define.js';
