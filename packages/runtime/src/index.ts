// The runtime link (used by the runtime and by the BFF).
export { DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER, LinkSession, MAX_BAD_FRAMES } from './link.js';
export type { LinkSessionOptions, LinkSessionStorage } from './link.js';
export { HANDSHAKE_TIMEOUT_MS, acceptLink, dialLink } from './link-handshake.js';
export type { AcceptLinkOptions, DialLinkOptions, HelloCredentials, LinkRefusal } from './link-handshake.js';
export { LinkDialer } from './link-dialer.js';
export type { LinkDialerOptions } from './link-dialer.js';
export { LinkClosedError, LinkFrameTooLargeError, LinkHandshakeError, LinkOutboxFullError } from './link-errors.js';
export { MemoryOutbox } from './link-outbox.js';
export type { LinkOutbox, OutboxEntry } from './link-outbox.js';

// What a runtime keeps on disk across restarts.
export { FileOutbox, OUTBOX_FILE_NAME } from './durable/file-outbox.js';
export type { FileOutboxOptions } from './durable/file-outbox.js';
export { TURN_JOURNAL_FILE_NAME, TurnJournal } from './durable/turn-journal.js';
export type { TurnJournalOptions, UnfinishedThread } from './durable/turn-journal.js';
export { openRuntimeState } from './durable/runtime-state.js';
export type { RuntimeState, RuntimeStateOptions } from './durable/runtime-state.js';
export { LOCK_FILE_NAME, StateLockedError, acquireStateLock } from './durable/state-lock.js';
export type { AppendLogRecovery } from './durable/append-log.js';

// The agent host.
export { INTERRUPTED_ERROR, RuntimeHost } from './runtime-host.js';
export type { RuntimeHostOptions, RuntimeInfoMessage } from './runtime-host.js';
export { ThreadQueue } from './thread-queue.js';
export type { ThreadJob } from './thread-queue.js';
export { ShellAgent } from './agents/shell.js';
export type { ShellAgentOptions } from './agents/shell.js';
export type { Agent, AgentMessage, AgentTurn } from './agents/agent.js';
export { NO_BACKPRESSURE, backpressureOf } from './backpressure.js';
export type { Backpressure, PressureSource } from './backpressure.js';

// Serving, and what a supervisor needs to start and find a runtime.
export { serve } from './serve.js';
export type { RunningRuntime, ServeOptions } from './serve.js';
export { DEFAULT_SETTINGS, RuntimeSettingsSchema, loadSettings } from './settings.js';
export type { RuntimeSettings } from './settings.js';
export { RUNTIME_FILE_NAME, RuntimeFileSchema, readRuntimeFile } from './runtime-file.js';
export type { RuntimeFile } from './runtime-file.js';

// Connecting a user's machine (`remote-chat-runtime connect`).
export { connect } from './connect/connector.js';
export type { ConnectOptions, Connection } from './connect/connector.js';
export { FolderLink } from './connect/folder-link.js';
export type { ConnectExit, FolderLinkOptions } from './connect/folder-link.js';
export {
  CONFIG_FILE_NAME,
  ConnectConfigSchema,
  configDir,
  readConnectConfig,
  resolveConnectSettings,
} from './connect/config.js';
export type { ConnectConfig, ConnectFlags, ConnectSettings, SettingSource } from './connect/config.js';
export { LINK_PATH, bffKey, linkUrlFor, parseBffUrl } from './connect/link-url.js';
export { MACHINE_FILE_NAME, loadMachine, newMachineId } from './connect/machine.js';
export {
  FOLDER_DATA_DIR,
  RUNTIME_IDS_FILE_NAME,
  folderRuntimeId,
  folderStateDir,
  newRuntimeId,
} from './connect/runtime-ids.js';

export { EXIT_CODES, RuntimeStartError } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { RUNTIME_VERSION } from './version.js';
