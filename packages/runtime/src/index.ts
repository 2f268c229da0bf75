// The runtime link (used by the runtime and by the BFF).
export { LinkSession, MAX_BAD_FRAMES } from './link.js';
export type { LinkSessionOptions, LinkSessionStorage } from './link.js';
export { HANDSHAKE_TIMEOUT_MS, acceptLink, dialLink } from './link-handshake.js';
export type { AcceptLinkOptions, DialLinkOptions, HelloCredentials } from './link-handshake.js';
export { LinkDialer } from './link-dialer.js';
export type { LinkDialerOptions } from './link-dialer.js';
export { LinkFrameTooLargeError, LinkHandshakeError, LinkOutboxFullError } from './link-errors.js';
export { MemoryOutbox } from './link-outbox.js';
export type { LinkOutbox, OutboxEntry } from './link-outbox.js';

// The agent host.
export { RuntimeHost } from './runtime-host.js';
export type { RuntimeHostOptions } from './runtime-host.js';
export { ThreadQueue } from './thread-queue.js';
export type { ThreadJob } from './thread-queue.js';
export { ShellAgent } from './agents/shell.js';
export type { ShellAgentOptions } from './agents/shell.js';
export type { Agent, AgentMessage, AgentTurn } from './agents/agent.js';

// Serving, and what a supervisor needs to start and find a runtime.
export { serve } from './serve.js';
export type { RunningRuntime, ServeOptions } from './serve.js';
export { DEFAULT_SETTINGS, RuntimeSettingsSchema, loadSettings } from './settings.js';
export type { RuntimeSettings } from './settings.js';
export { RUNTIME_FILE_NAME, RuntimeFileSchema, readRuntimeFile } from './runtime-file.js';
export type { RuntimeFile } from './runtime-file.js';
export { EXIT_CODES, RuntimeStartError } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { RUNTIME_VERSION } from './version.js';
