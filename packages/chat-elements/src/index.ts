// The element classes, the headless client, the events and the contexts. Importing this module
// defines no element: import `./define.js` (or each element's define) for that.
export { RemoteChatClient } from './client/remote-chat-client.js';
/** The design tokens (`--rc-*` with light and dark defaults), for host pages' own elements. */
export { themeStyles } from './styles/theme.js';
/** The elements' common classes (`.button`, `.alert`, `.spinner`, `.visually-hidden`, …), after `themeStyles`. */
export { sharedStyles } from './styles/theme.js';
/** Token counts and model labels as the chat shows them, for host pages' own usage views. */
export { formatTokenCount, modelLabel, tokenDetail, tokenSummary } from './util/model-usage.js';
export { machineConnectCommand } from './util/connect-command.js';
/** A runtime's status dot and words, and times, as the picker shows them, for host pages' own runtime views. */
export { statusDotStyles } from './styles/theme.js';
export {
  formatDateTime,
  formatDuration,
  formatRelativeTime,
  runtimeStatusLabel,
  statusDotClass,
} from './util/format.js';
/** When a sandbox pauses or stops for sitting idle, in words ("Pauses after 1 h idle · in 12 min"). */
export { idleStopText } from './util/idle-window.js';
/** A snapshot topic (`runtimes`, `threads:ID`) followed live, as the elements follow it. */
export { SnapshotListController } from './controllers/snapshot-list-controller.js';
export type { SnapshotListCallbacks } from './controllers/snapshot-list-controller.js';
export type { RemoteChatClientOptions } from './client/remote-chat-client.js';
export type { GitHubPageOptions, OutgoingMessage, PageOptions, SendOptions } from './client/rest-api.js';
export type { RequestOptions } from './client/rest-transport.js';
export {
  ChatClientError,
  RemoteChatError,
  TokenError,
  TOKEN_FAILURES,
  TransportError,
  TRANSPORT_FAILURES,
} from './client/errors.js';
export type { TokenFailure, TransportFailure } from './client/errors.js';
export type { IssuedToken, TokenProvider, TokenSource } from './client/bearer-token.js';
export { CONNECTION_STATUSES, RcConnectionChangeEvent } from './client/connection-status.js';
export type { ConnectionChangeDetail, ConnectionStatus } from './client/connection-status.js';
export type { TopicFrame } from './client/topic-frames.js';
export { newClientId } from './client/client-id.js';

export { clientContext } from './context/client-context.js';
export type { ClientContextValue } from './context/client-context.js';
export { configContext } from './context/config-context.js';
export type { ConfigContextValue } from './context/config-context.js';
export { runtimeContext } from './context/runtime-context.js';
export type { RuntimeContextValue } from './context/runtime-context.js';
export { threadContext } from './context/thread-context.js';
export type { ThreadContextValue } from './context/thread-context.js';

export { RcAgentChangeEvent } from './events/agent-change-event.js';
export type { AgentChangeDetail } from './events/agent-change-event.js';
export { RcAgentStopEvent } from './events/agent-stop-event.js';
export type { AgentStopDetail } from './events/agent-stop-event.js';
export { RcPermissionAnswerEvent } from './events/permission-answer-event.js';
export type { PermissionAnswerDetail } from './events/permission-answer-event.js';
export { RcFileUploadEvent } from './events/file-upload-event.js';
export type { FileUploadDetail } from './events/file-upload-event.js';
export { RcMessageSendEvent } from './events/message-send-event.js';
export type { MessageSendDetail } from './events/message-send-event.js';
export { RcPendingChangeEvent } from './events/pending-change-event.js';
export type { PendingChangeDetail } from './events/pending-change-event.js';
export { RcPushCloseEvent } from './events/push-close-event.js';
export type { PushCloseDetail } from './events/push-close-event.js';
export { RcRepoChangeEvent } from './events/repo-change-event.js';
export type { RepoChangeDetail } from './events/repo-change-event.js';
export { RcRuntimeCreateEvent } from './events/runtime-create-event.js';
export type { RuntimeCreateDetail } from './events/runtime-create-event.js';
export { RcRuntimeDeleteEvent } from './events/runtime-delete-event.js';
export type { RuntimeDeleteDetail } from './events/runtime-delete-event.js';
export { RcRuntimeRenameEvent } from './events/runtime-rename-event.js';
export type { RuntimeRenameDetail } from './events/runtime-rename-event.js';
export { RcRuntimeSelectEvent } from './events/runtime-select-event.js';
export type { RuntimeSelectDetail } from './events/runtime-select-event.js';
export { RcFirstChatEvent } from './events/first-chat-event.js';
export type { FirstChatDetail } from './events/first-chat-event.js';
export { RcThreadCreateEvent } from './events/thread-create-event.js';
export type { ThreadCreateDetail } from './events/thread-create-event.js';
export { RcThreadRenameEvent } from './events/thread-rename-event.js';
export type { ThreadRenameDetail } from './events/thread-rename-event.js';
export { RcThreadMoveEvent } from './events/thread-move-event.js';
export type { ThreadMoveDetail } from './events/thread-move-event.js';
export { RcThreadSelectEvent } from './events/thread-select-event.js';
export type { ThreadSelectDetail } from './events/thread-select-event.js';
export { RcTokenExpiredEvent } from './events/token-expired-event.js';
export type { TokenExpiredDetail } from './events/token-expired-event.js';

export { RcChat } from './elements/chat/chat.js';
export { RcComposer } from './elements/composer/composer.js';
export type { AgentInfo } from './elements/composer/composer.js';
/** A message on its way, as `RcComposer.pending` and `rc-pending-change` list them. */
export type { PendingMessage, PendingMessageState } from './controllers/send-queue-controller.js';
export { RemoteChatElement } from './elements/remote-chat/remote-chat.js';
export { RcRepoSelector } from './elements/repo-selector/repo-selector.js';
export { GitHubRepoSource } from './elements/repo-selector/github-repo-source.js';
export type { GitHubRepoSourceOptions } from './elements/repo-selector/github-repo-source.js';
export { GitHubSignedOutError } from './elements/repo-selector/repo-source.js';
export type { RepoPageOptions, RepoSource, RepoSummary, SignInOptions } from './elements/repo-selector/repo-source.js';
export { RcPushDialog } from './elements/push-dialog/push-dialog.js';
export { RcWelcome } from './elements/welcome/welcome.js';
export { loadGitHubElements } from './github-elements.js';
export { GitHubTokenStore } from './client/github-token-store.js';
export { signInWithPopup } from './client/github-sign-in.js';
export type { GitHubSignInOptions } from './client/github-sign-in.js';
export { RcRuntimePicker } from './elements/runtime-picker/runtime-picker.js';
export type { ProviderInfo, RuntimePickerMode } from './elements/runtime-picker/runtime-picker.js';
export { RcSandboxLog } from './elements/sandbox-log/sandbox-log.js';
export { RcThreadList } from './elements/thread-list/thread-list.js';
export { RcThreadMove } from './elements/thread-move/thread-move.js';
export { RcThreadToken } from './elements/thread-token/thread-token.js';
